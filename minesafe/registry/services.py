"""Registry state changes. Views, API and the xlsx import all call these and nothing else writes.

Each function: permission (``accounts.permissions.require``) → scope of referenced objects →
rules (``minesafe.rules``) → write inside ``transaction.atomic`` → audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.choices import OrgKind
from minesafe.accounts.models import Division, Organisation, User
from minesafe.accounts.permissions import require
from minesafe.core import audit
from minesafe.core.errors import Conflict, FieldErrors, PermissionDenied
from minesafe.core.querysets import scope_of
from minesafe.registry.models import Enterprise, Mine, MineStatusChange
from minesafe.registry.signals import mine_county_changed
from minesafe.rules import Verdict, check_mine_attributes, check_status_change, normalize_uscc, validate_uscc
from minesafe.rules.mine_attributes import SECTOR_PROFILES, MineFacts
from minesafe.rules.mine_status import StatusChangeFacts, check_initial_status

__all__ = [
    "ENTERPRISE_FIELDS", "MINE_FIELDS", "change_mine_status", "create_enterprise", "create_mine",
    "open_enterprise_account", "require_enterprise_editable", "update_enterprise", "update_mine",
]

ENTERPRISE_FIELDS = (
    "name", "uscc", "division", "parent", "actual_controller", "legal_representative", "address", "phone",
)
MINE_FIELDS = (
    "name", "enterprise", "county", "sector", "scale", "approved_capacity", "latitude", "longitude",
    "boundary", "depth_m", "gas_grade", "hydrogeology", "rock_burst", "spontaneous_combustion",
    "standardization_grade", "production_levels", "headcount_cap", "mining_licence_no",
    "mining_licence_valid_until", "safety_licence_no", "safety_licence_valid_until", "dam_height_m",
    "tailings_capacity", "tailings_grade", "downstream_population",
)
_TEXT_DEFAULTS = {"gas_grade", "hydrogeology", "spontaneous_combustion", "standardization_grade",
                  "mining_licence_no", "safety_licence_no", "actual_controller", "legal_representative",
                  "address", "phone"}


def _today() -> dt.date:
    return timezone.localdate()


def _division_in_scope(actor: User, division: Division | None, field: str, errors: dict[str, list[str]]) -> None:
    if division is None:
        errors.setdefault(field, []).append(_("This field is required."))
        return
    if division.level != "county":
        errors.setdefault(field, []).append(_("Choose a county-level division."))
        return
    scope = scope_of(actor)
    if not (scope.is_regulator and division.code.startswith(scope.division_prefix)):
        errors.setdefault(field, []).append(_("This county is outside your jurisdiction."))


def _clean(data: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(fields)
    if unknown:
        raise FieldErrors({k: [_("Unknown field.")] for k in sorted(unknown)})
    out = {}
    for f in fields:
        if f in data:
            value = data[f]
            if isinstance(value, str):
                value = value.strip()
            if value is None and f in _TEXT_DEFAULTS:
                value = ""
            out[f] = value
    return out


def _field_limits(model: type[Model], values: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Column limits (length, digits, integer range, finite numbers) as field errors.

    Forms enforce these already; the API and the xlsx import reach the service without them, and a
    value the column cannot hold must be a field error, not a database error or an unreadable row.
    """
    for name, value in values.items():
        if value in (None, ""):
            continue
        field = model._meta.get_field(name)
        if field.is_relation:
            continue
        if isinstance(field, DecimalField) and isinstance(value, int | float) and not isinstance(value, bool):
            value = Decimal(str(value))
        try:
            field.run_validators(value)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(str(m) for m in exc.messages)


def require_enterprise_editable(actor: User, enterprise: Enterprise) -> None:
    """Only the regulators of the county an enterprise is registered in (and above) may edit it.

    A regulator also *sees* enterprises that own a mine in its county, but editing one would let it
    rename, re-register or regroup another county's enterprise.
    """
    scope = scope_of(actor)
    if not (scope.is_regulator and enterprise.division_id.startswith(scope.division_prefix)):
        raise PermissionDenied("registry.edit: enterprise registered outside the actor's jurisdiction")


def _merge(errors: dict[str, list[str]], verdict: Verdict) -> None:
    for field, messages in verdict.field_errors().items():
        errors.setdefault(field, []).extend(messages)


# --- enterprises -----------------------------------------------------------------------------


def _validate_enterprise(actor: User, values: dict[str, Any], instance: Enterprise | None) -> None:
    errors: dict[str, list[str]] = {}
    if not values.get("name"):
        errors["name"] = [_("This field is required.")]
    uscc = normalize_uscc(values.get("uscc") or "")
    values["uscc"] = uscc
    _merge(errors, validate_uscc(uscc, field="uscc"))
    if "uscc" not in errors:
        clash = Enterprise.objects.filter(uscc=uscc)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["uscc"] = [_("An enterprise with this code is already registered.")]
    _field_limits(Enterprise, {k: v for k, v in values.items() if k != "uscc"}, errors)
    _division_in_scope(actor, values.get("division"), "division", errors)
    parent = values.get("parent")
    unchanged_parent = instance is not None and parent is not None and parent.pk == instance.parent_id
    if parent is not None and not unchanged_parent:
        if instance is not None and _is_descendant_or_self(parent, instance):
            errors["parent"] = [_("The parent company cannot be this enterprise or one of its subsidiaries.")]
        elif not Enterprise.objects.visible_to(actor).filter(pk=parent.pk).exists():
            errors["parent"] = [_("Parent company not found.")]
    if errors:
        raise FieldErrors(errors)


def _is_descendant_or_self(candidate: Enterprise, root: Enterprise) -> bool:
    node: Enterprise | None = candidate
    seen = set()
    while node is not None and node.pk not in seen:
        if node.pk == root.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def create_enterprise(*, actor: User, data: Mapping[str, Any], request_id: str = "") -> Enterprise:
    """Register an enterprise in a county within the actor's jurisdiction."""
    require(actor, "registry.edit")
    values = _clean(data, ENTERPRISE_FIELDS)
    _validate_enterprise(actor, values, None)
    try:
        with transaction.atomic():
            enterprise = Enterprise.objects.create(**values)
            audit.record(actor=actor, action="registry.enterprise.create", obj=enterprise,
                         after=audit.snapshot(enterprise), request_id=request_id)
    except IntegrityError:
        # Someone registered the same code between our check and our insert.
        raise FieldErrors.single("uscc", _("An enterprise with this code is already registered.")) from None
    return enterprise


def update_enterprise(*, actor: User, enterprise: Enterprise, data: Mapping[str, Any],
                      request_id: str = "") -> Enterprise:
    """Edit an enterprise's registration data."""
    require(actor, "registry.edit", enterprise)
    require_enterprise_editable(actor, enterprise)
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        before = audit.snapshot(locked)
        values = {f: getattr(locked, f) for f in ENTERPRISE_FIELDS}
        values.update(_clean(data, ENTERPRISE_FIELDS))
        _validate_enterprise(actor, values, locked)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.save()
        locked.refresh_from_db()  # the audit shows what the database stored (rounded decimals etc.)
        after = audit.snapshot(locked)
        if after != before | {"updated_at": after["updated_at"]}:
            audit.record(actor=actor, action="registry.enterprise.update", obj=locked, before=before,
                         after=after, request_id=request_id)
    return locked


# --- mines -----------------------------------------------------------------------------------


def _needs_mining_licence(sector: str) -> bool:
    profile = SECTOR_PROFILES.get(sector)
    return profile.needs_mining_licence if profile is not None else True


def _facts(values: Mapping[str, Any]) -> MineFacts:
    return MineFacts(**{f: values.get(f) for f in MineFacts.__dataclass_fields__})


def _validate_mine(actor: User, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for field in ("name", "sector", "scale"):
        if not values.get(field):
            errors.setdefault(field, []).append(_("This field is required."))
    enterprise = values.get("enterprise")
    if enterprise is None:
        errors["enterprise"] = [_("This field is required.")]
    elif not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        errors["enterprise"] = [_("Enterprise not found.")]
    _division_in_scope(actor, values.get("county"), "county", errors)
    _field_limits(Mine, values, errors)
    for field in ("gas_grade", "hydrogeology", "spontaneous_combustion", "standardization_grade"):
        values[field] = values.get(field) or ""
    if values.get("sector"):
        _merge(errors, check_mine_attributes(_facts(values)))
    if errors:
        raise FieldErrors(errors)


def create_mine(*, actor: User, data: Mapping[str, Any], status: str = "construction",
                status_reason: str = "", request_id: str = "", today: dt.date | None = None) -> Mine:
    """Register a mine with its initial status (history starts with that status)."""
    require(actor, "registry.edit")
    values = _clean(data, MINE_FIELDS)
    _validate_mine(actor, values)
    today = today or _today()
    initial = check_initial_status(
        status, today=today, mining_licence_valid_until=values.get("mining_licence_valid_until"),
        safety_licence_valid_until=values.get("safety_licence_valid_until"),
        mining_licence_required=_needs_mining_licence(values["sector"]),
    )
    if not initial.ok:
        raise FieldErrors.from_verdict(initial)
    with transaction.atomic():
        mine = Mine.objects.create(status=status, status_since=today, **values)
        MineStatusChange.objects.create(
            mine=mine, from_status="", to_status=status, effective_date=today,
            reason=status_reason or _("Registered"), actor=actor,
        )
        audit.record(actor=actor, action="registry.mine.create", obj=mine, after=audit.snapshot(mine),
                     request_id=request_id)
    return mine


def update_mine(*, actor: User, mine: Mine, data: Mapping[str, Any], request_id: str = "") -> Mine:
    """Edit a mine's attributes. Status is not editable here: see :func:`change_mine_status`."""
    require(actor, "registry.edit", mine)
    with transaction.atomic():
        locked = Mine.objects.select_for_update().get(pk=mine.pk)
        before = audit.snapshot(locked)
        old_county = locked.county_id
        values = {f: getattr(locked, f) for f in MINE_FIELDS}
        values.update(_clean(data, MINE_FIELDS))
        _validate_mine(actor, values)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.save()
        locked.refresh_from_db()  # the audit shows what the database stored (rounded decimals etc.)
        if locked.county_id != old_county:
            mine_county_changed.send(sender=Mine, mine_id=locked.pk, old_county=old_county,
                                     new_county=locked.county_id)
        after = audit.snapshot(locked)
        if after != before | {"updated_at": after["updated_at"]}:
            audit.record(actor=actor, action="registry.mine.update", obj=locked, before=before, after=after,
                         request_id=request_id)
    return locked


def change_mine_status(
    *, actor: User, mine: Mine, target: str, reason: str, document_no: str = "",
    effective_date: dt.date | None = None, today: dt.date | None = None, request_id: str = "",
) -> Mine:
    """Move a mine through the guarded status table (``rules.mine_status``).

    Compare-and-set on the old status: if someone changed it meanwhile, raise :class:`Conflict`.
    """
    require(actor, "registry.change_status", mine)
    today = today or _today()
    effective_date = effective_date or today
    old = mine.status
    verdict = check_status_change(StatusChangeFacts(
        current=old, target=target, reason=(reason or "").strip(), document_no=(document_no or "").strip(),
        effective_date=effective_date, today=today,
        mining_licence_valid_until=mine.mining_licence_valid_until,
        safety_licence_valid_until=mine.safety_licence_valid_until,
        mining_licence_required=_needs_mining_licence(mine.sector), status_since=mine.status_since,
    ))
    if not verdict.ok:
        raise FieldErrors.from_verdict(verdict)
    with transaction.atomic():
        updated = Mine.objects.filter(pk=mine.pk, status=old).update(
            status=target, status_since=effective_date, updated_at=timezone.now()
        )
        if updated != 1:
            raise Conflict(_("The mine's status was changed by someone else; reload and try again."))
        change = MineStatusChange.objects.create(
            mine=mine, from_status=old, to_status=target, effective_date=effective_date,
            reason=reason.strip(), document_no=(document_no or "").strip(), actor=actor,
        )
        audit.record(
            actor=actor, action="registry.mine.status", obj=mine, before={"status": old},
            after={"status": target, "effective_date": effective_date, "document_no": change.document_no},
            message=change.reason, request_id=request_id,
        )
    mine.refresh_from_db()
    return mine


def open_enterprise_account(*, actor: User, uscc: str, request_id: str = "") -> Organisation:
    """System administrator opens the organisation an enterprise's users log in under.

    The enterprise is named by its exact 统一社会信用代码, so the administrator does not browse
    business data (三员分立).
    """
    require(actor, "accounts.manage_users")
    code = normalize_uscc(uscc or "")
    with transaction.atomic():
        enterprise = Enterprise.objects.select_for_update().filter(uscc=code).first()
        if enterprise is None:
            raise FieldErrors.single("uscc", _("No registered enterprise has this code."))
        if enterprise.organisation_id is not None:
            raise FieldErrors.single("uscc", _("This enterprise already has an account organisation."))
        org = Organisation.objects.create(kind=OrgKind.ENTERPRISE, name=enterprise.name)
        Enterprise.objects.filter(pk=enterprise.pk).update(organisation=org)
        audit.record(actor=actor, action="registry.enterprise.open_account", obj=enterprise,
                     after={"organisation_id": org.pk}, request_id=request_id)
    return org
