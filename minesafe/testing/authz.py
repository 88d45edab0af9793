"""Shared vocabulary of the authorization matrix (minesafe/core/tests/test_authz_matrix.py).

Apps declare their routes in ``minesafe/<app>/tests/authz_*.py`` with :func:`r` and these role sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REGULATORS = {"province_inspector", "province_leader", "city_inspector", "city_leader", "county_inspector",
              "county_leader", "other_county_inspector"}
ENTERPRISE = {"ent_principal", "ent_safety", "other_ent_principal"}
BUSINESS = REGULATORS | ENTERPRISE
ADMINS = {"sys_admin", "sec_admin", "audit_admin"}
EVERYONE = BUSINESS | ADMINS
ROLES = [*sorted(EVERYONE), "anonymous"]
# Who sees mine_a / ent_a (岫岩 210323) and mine_b / ent_b (阜新 海州区 210902)
SEES_A = {"province_inspector", "province_leader", "city_inspector", "city_leader", "county_inspector",
          "county_leader", "ent_principal", "ent_safety"}
SEES_B = {"province_inspector", "province_leader", "other_county_inspector", "other_ent_principal"}


@dataclass(frozen=True)
class Route:
    """allowed: roles holding the permission. obj: "mine"/"enterprise"/"own" → pk argument comes
    from the world; scoped routes answer 404 to an allowed role that cannot see the object."""

    allowed: frozenset[str]
    method: str = "GET"
    obj: str | None = None
    public: bool = False
    ok: tuple[int, ...] = (200,)


def r(allowed: set[str], **kw: Any) -> Route:
    return Route(frozenset(allowed), **kw)


