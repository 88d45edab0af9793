"""Strict readers for environment settings.

settings.py is the only caller. Each reader rejects values it does not understand instead of
guessing, so a typo in production configuration stops start-up with a clear message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

__all__ = ["env_bool", "env_int", "env_list", "env_secret", "env_str"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """Return the variable as a stripped string, or ``default`` when unset or empty."""
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Parse a boolean; anything but true/false/1/0/yes/no/on/off is an error."""
    raw = env_str(name, "", environ).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(
    name: str, default: int, *, minimum: int | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """Parse an integer, optionally with a lower bound."""
    raw = env_str(name, "", environ)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Parse a comma-separated list; empty items are an error (usually a stray comma)."""
    raw = env_str(name, "", environ)
    if not raw:
        return list(default)
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} has an empty item: {raw!r}")
    return items


def env_secret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE`` (container secrets)."""
    env = os.environ if environ is None else environ
    value = env_str(name, "", env)
    path = env_str(f"{name}_FILE", "", env)
    if value and path:
        raise ImproperlyConfigured(f"set either {name} or {name}_FILE, not both")
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                value = fh.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc}") from None
    return value
