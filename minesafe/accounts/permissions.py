"""Role × permission matrix and the ``require`` check every service calls first.

Scope (which rows) is decided by ``ScopedQuerySet.visible_to``; this module decides which actions a
role may take at all. The three admin roles (三员分立) hold no business permission.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from minesafe.accounts.choices import ADMIN_ROLES, ENTERPRISE_ROLES, REGULATOR_ROLES, Role
from minesafe.core.errors import NotFound, PermissionDenied

__all__ = ["PERMISSIONS", "has_perm", "require", "require_visible"]

BUSINESS_ROLES = REGULATOR_ROLES | ENTERPRISE_ROLES

PERMISSIONS: dict[str, frozenset[str]] = {
    # registry
    "registry.view": BUSINESS_ROLES,
    "registry.export": BUSINESS_ROLES,
    "registry.edit": REGULATOR_ROLES,
    "registry.import": REGULATOR_ROLES,
    "registry.change_status": REGULATOR_ROLES,
    # hazard ledger (重大事故隐患台账)
    "hazards.view": BUSINESS_ROLES,
    "hazards.register": BUSINESS_ROLES,  # enterprises register their own self-check findings
    "hazards.rectify": BUSINESS_ROLES,  # 五落实 plan, evidence, close-out application, extension request
    "hazards.verify": REGULATOR_ROLES,  # close-out verification, extension decisions
    "hazards.list": frozenset({Role.REG_LEADER}),  # 挂牌督办
    "hazards.self_inspection": BUSINESS_ROLES,
    "hazards.export": BUSINESS_ROLES,
    "hazards.import": BUSINESS_ROLES,
    # people and qualifications (人员资质): enterprises keep their own rosters, regulators read them
    "people.view": BUSINESS_ROLES,
    "people.manage": ENTERPRISE_ROLES,  # persons, posts, training sessions and drills of their own mines
    "people.import": ENTERPRISE_ROLES,
    "people.export": BUSINESS_ROLES,  # ID numbers are masked in every export
    "people.recheck": BUSINESS_ROLES,  # recompute a mine's findings (derived data only)
    # Full ID numbers: the employer's principal (responsible for its staff) and the inspectors who
    # query certificates in the national system (特种作业人员证件查询); every reveal is audited.
    "people.reveal_id": frozenset({Role.ENT_PRINCIPAL, Role.REG_INSPECTOR}),
    # public tip-offs (举报): regulators only — enterprises never see reports or reporters
    "tipoffs.view": REGULATOR_ROLES,
    "tipoffs.handle": REGULATOR_ROLES,  # accept/decline, assign, verify, handle, answer, merge, close
    "tipoffs.reward": frozenset({Role.REG_LEADER}),  # decide the reward, record its payment
    "tipoffs.extend": frozenset({Role.REG_LEADER}),  # approve a longer handling period (upper level only)
    "tipoffs.reveal_reporter": frozenset({Role.REG_LEADER}),  # every reveal is audited
    "tipoffs.export": REGULATOR_ROLES,
    # monitoring and early warning (监测预警): enterprises keep their sensors, everyone in scope sees alarms
    "monitoring.view": BUSINESS_ROLES,
    "monitoring.manage_sensors": ENTERPRISE_ROLES,  # sensors, thresholds and gateways of their own mines
    "monitoring.handle_alarms": BUSINESS_ROLES,  # acknowledge, assign, clear, comment
    "monitoring.confirm_hazard": REGULATOR_ROLES,  # 瓦斯超限作业 candidate → hazard ledger
    "monitoring.decide_flags": REGULATOR_ROLES,  # confirm or dismiss suspected falsification
    # own API tokens
    "accounts.own_tokens": BUSINESS_ROLES,
    # 三员分立: each admin role has one narrow duty
    "accounts.manage_users": frozenset({Role.SYS_ADMIN}),
    "accounts.security": frozenset({Role.SEC_ADMIN}),
    "audit.view": frozenset({Role.AUDIT_ADMIN}),
}

BUSINESS_PREFIXES = ("registry.", "hazards.", "people.", "tipoffs.", "monitoring.")
assert not any(PERMISSIONS[p] & ADMIN_ROLES for p in PERMISSIONS if p.startswith(BUSINESS_PREFIXES))
assert not any(PERMISSIONS[p] & ENTERPRISE_ROLES for p in PERMISSIONS if p.startswith("tipoffs."))


def has_perm(user: Any, perm: str) -> bool:
    """True when the user is active and its role carries ``perm``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if perm not in PERMISSIONS:
        raise KeyError(f"unknown permission {perm!r}")
    return user.role in PERMISSIONS[perm]


def require(user: Any, perm: str, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied unless the user holds ``perm``; NotFound if ``obj`` is out of scope."""
    if not has_perm(user, perm):
        raise PermissionDenied(perm)
    if obj is not None:
        require_visible(user, obj)


def require_visible(user: Any, obj: models.Model) -> None:
    """Raise NotFound when ``obj`` is not in ``type(obj).objects.visible_to(user)``."""
    manager = type(obj)._default_manager
    if not manager.visible_to(user).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        raise NotFound(f"{obj._meta.label} {obj.pk}")
