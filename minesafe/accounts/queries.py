"""Read-side helpers about divisions, shared by every app's list filters."""

from __future__ import annotations

from typing import Any

from minesafe.accounts.models import Division
from minesafe.core.querysets import code_prefix_q, scope_of

__all__ = ["division_options"]

_INDENT = {"province": "", "city": "\u3000", "county": "\u3000\u3000"}


def division_options(user: Any) -> list[tuple[str, str]]:
    """Provinces, cities and counties inside a regulator's jurisdiction (below its own division),
    indented by level, for list filters; [] for everyone else."""
    scope = scope_of(user)
    if not scope.is_regulator:
        return []
    divisions = Division.objects.filter(code_prefix_q("code", scope.division_prefix),
                                        level__in=["province", "city", "county"]).order_by("code")
    return [(d.code, f"{_INDENT[d.level]}{d.name}") for d in divisions if d.code != scope.division_prefix]
