"""Strict environment parsing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from minesafe.env import env_bool, env_int, env_list, env_secret


def test_env_bool_is_strict() -> None:
    assert env_bool("X", False, {"X": "true"}) is True
    assert env_bool("X", True, {"X": "0"}) is False
    assert env_bool("X", True, {}) is True
    with pytest.raises(ImproperlyConfigured):
        env_bool("X", False, {"X": "ture"})


def test_env_int_bounds() -> None:
    assert env_int("N", 5, environ={"N": "7"}) == 7
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 5, environ={"N": "seven"})
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 5, minimum=60, environ={"N": "59"})


def test_env_list_rejects_empty_items() -> None:
    assert env_list("H", [], {"H": "a.cn, b.cn"}) == ["a.cn", "b.cn"]
    with pytest.raises(ImproperlyConfigured):
        env_list("H", [], {"H": "a.cn,,b.cn"})


def test_env_secret_from_file(tmp_path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    assert env_secret("K", {"K_FILE": str(secret)}) == "s3cret"
    with pytest.raises(ImproperlyConfigured):
        env_secret("K", {"K": "a", "K_FILE": str(secret)})
    with pytest.raises(ImproperlyConfigured):
        env_secret("K", {"K_FILE": str(tmp_path / "missing")})


def test_production_settings_refuse_to_start_without_secret() -> None:
    import subprocess
    import sys

    code = "import minesafe.settings"
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "false"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
