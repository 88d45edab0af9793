"""Alarm handling: acknowledge, assign, clear and comment an alarm, confirm a 瓦斯超限作业 or 明停暗开
alarm into the hazard ledger, decide a falsification flag; and the read side the alarm list and the
province map start from.

Alarms themselves are opened and closed only by the engine worker (``minesafe.monitoring.worker``);
the services here record what people do with them. Each: permission (``accounts.permissions.require``,
which also checks the alarm is in the actor's scope through ``Alarm.objects.visible_to``) → input
validation → a compare-and-set on the locked row inside ``transaction.atomic`` → audit entry.
The central station records who handled each alarm, when and with what measures (DOMAIN §4.3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.models import User
from minesafe.accounts.permissions import has_perm, require
from minesafe.core import audit
from minesafe.core.errors import Conflict, FieldErrors
from minesafe.hazards.choices import HazardSource
from minesafe.hazards.models import Hazard
from minesafe.monitoring.choices import AlarmKind, FlagStatus
from minesafe.monitoring.models import ACTIVE_ALARM, Alarm, AlarmComment, FalsificationFlag
from minesafe.rules.hazard_standards import standard_for

__all__ = [
    "CLEARABLE_WHILE_OPEN", "HAZARD_KINDS", "acknowledge", "active_alarms", "assign", "clear", "comment",
    "confirm_hazard", "decide_flag", "hazard_defaults", "mine_alarm_levels",
]

MAX_TEXT = 2000
# Alarms a regulator may confirm into the hazard ledger: working on with gas at the power-cut level
# (煤矿重大事故隐患判定标准 2020 第五条 / 煤矿安全生产条例 第三十六条第（二）项, DOMAIN §2.1, §2.2) and
# activity while ordered halted (明停暗开, seed 004 task 25–26; DOMAIN §1 打非治违).
HAZARD_KINDS = (AlarmKind.GAS_WORK, AlarmKind.HIDDEN_OPERATION)
# A lost signal has no "end" an operator can wait for when a sensor is removed or a line is cut for
# good: these may be cleared while still open. Every other alarm is cleared only once it has ended.
CLEARABLE_WHILE_OPEN = (AlarmKind.STALE, AlarmKind.COMM_LOSS)

GAS_WORK_CATEGORY = "瓦斯超限作业"  # category title in both coal standards (DOMAIN §2.1 Art. 5, §2.2 Art. 36(2))
GAS_WORK_ITEM = "瓦斯超限后继续作业"  # item (2): 井下瓦斯超限后继续作业或者未按照国家规定处置继续进行作业
OTHER_CATEGORY = "其他重大事故隐患"  # the catch-all category of every standard (DOMAIN §2, §3) [U] mapping


def _text(value: Any, field: str, *, required: bool) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise FieldErrors.single(field, _("This field is required."))
    if len(text) > MAX_TEXT:
        raise FieldErrors.single(field, _("At most %(n)d characters.") % {"n": MAX_TEXT})
    return text


def _locked(alarm: Alarm) -> Alarm:
    """Re-read and lock the alarm row (callers hold the transaction). Only the alarm row is locked:
    PostgreSQL refuses FOR UPDATE on the nullable side of the sensor join."""
    return Alarm.objects.select_for_update(of=("self",)).select_related("mine", "sensor").get(pk=alarm.pk)


def _handling(alarm: Alarm) -> dict[str, Any]:
    return {"acknowledged_by": alarm.acknowledged_by_id, "acknowledged_at": alarm.acknowledged_at,
            "assigned_to": alarm.assigned_to_id, "cleared_by": alarm.cleared_by_id, "cleared_at": alarm.cleared_at,
            "hazard": alarm.hazard_id}


def _update(alarm: Alarm, **fields: Any) -> None:
    Alarm.objects.filter(pk=alarm.pk).update(**fields)
    for name, value in fields.items():
        setattr(alarm, name, value)


def _refuse_cleared(alarm: Alarm) -> None:
    if alarm.cleared_at is not None:
        raise FieldErrors.single("__all__", _("The alarm has already been cleared."))


def acknowledge(*, actor: User, alarm: Alarm, note: str = "", request_id: str = "") -> Alarm:
    """Acknowledge an alarm (确认): the central station has seen it (DOMAIN §4.3 alarms handled and
    recorded). A note becomes a comment on the alarm. Acknowledging twice is refused."""
    require(actor, "monitoring.handle_alarms", alarm)
    note = _text(note, "note", required=False)
    with transaction.atomic():
        alarm = _locked(alarm)
        _refuse_cleared(alarm)
        if alarm.acknowledged_at is not None:
            raise FieldErrors.single("__all__", _("The alarm has already been acknowledged."))
        before = _handling(alarm)
        _update(alarm, acknowledged_by=actor, acknowledged_at=timezone.now())
        if note:
            AlarmComment.objects.create(alarm=alarm, author=actor, text=note)
        audit.record(actor=actor, action="monitoring.alarm.acknowledge", obj=alarm, before=before,
                     after=_handling(alarm), message=note, request_id=request_id)
    return alarm


def assign(*, actor: User, alarm: Alarm, assignee: User, request_id: str = "") -> Alarm:
    """Assign the handling of an alarm to someone who can see it and handle alarms: the regulators
    of the mine's county or a level above it, or the staff of the mine's enterprise."""
    require(actor, "monitoring.handle_alarms", alarm)
    if not (isinstance(assignee, User) and assignee.is_active and has_perm(assignee, "monitoring.handle_alarms")
            and Alarm.objects.visible_to(assignee).filter(pk=alarm.pk).exists()):
        raise FieldErrors.single("assignee", _("Select a person who can see and handle this alarm: a regulator of "
                                               "the mine's county or a level above it, or the mine's own staff."))
    with transaction.atomic():
        alarm = _locked(alarm)
        _refuse_cleared(alarm)
        if alarm.assigned_to_id == assignee.pk:
            raise FieldErrors.single("assignee", _("The alarm is already assigned to this person."))
        before = _handling(alarm)
        _update(alarm, assigned_to=assignee)
        audit.record(actor=actor, action="monitoring.alarm.assign", obj=alarm, before=before,
                     after={**_handling(alarm), "assignee_name": str(assignee)}, request_id=request_id)
    return alarm


def clear(*, actor: User, alarm: Alarm, note: str, request_id: str = "") -> Alarm:
    """Clear (消警) an alarm once its cause is removed, saying what was done: only an ended alarm, or
    a no-data / communication-loss alarm (which may never end by itself). Records who and when; the
    episode's end stays the engine's (a cleared no-data alarm still ends when data returns)."""
    require(actor, "monitoring.handle_alarms", alarm)
    note = _text(note, "note", required=True)
    with transaction.atomic():
        alarm = _locked(alarm)
        _refuse_cleared(alarm)
        if alarm.ended_at is None and alarm.kind not in CLEARABLE_WHILE_OPEN:
            raise FieldErrors.single("__all__", _("The alarm is still active: it can be cleared once it has "
                                                  "ended."))
        before = _handling(alarm)
        _update(alarm, cleared_by=actor, cleared_at=timezone.now())
        AlarmComment.objects.create(alarm=alarm, author=actor, text=note)
        audit.record(actor=actor, action="monitoring.alarm.clear", obj=alarm, before=before, after=_handling(alarm),
                     message=note, request_id=request_id)
    return alarm


def comment(*, actor: User, alarm: Alarm, text: str, request_id: str = "") -> AlarmComment:
    """Add a comment (measures taken, findings) to an alarm in the actor's scope."""
    require(actor, "monitoring.handle_alarms", alarm)
    text = _text(text, "text", required=True)
    with transaction.atomic():
        alarm = _locked(alarm)
        entry = AlarmComment.objects.create(alarm=alarm, author=actor, text=text)
        audit.record(actor=actor, action="monitoring.alarm.comment", obj=alarm, after={"comment": entry.pk},
                     message=text, request_id=request_id)
    return entry


def _category_of(alarm: Alarm, found_on: dt.date) -> tuple[str, str]:
    """(category code, item code) proposed for the alarm in the standard in force for the mine's
    sector on ``found_on``; ("", "") when that standard has none (the regulator chooses).

    瓦斯超限作业: coal 2020 Art. 5 item (2) / 条例 Art. 36(2) item (2) "井下瓦斯超限后继续作业"
    (DOMAIN §2.1, §2.2). 明停暗开: no category names it, so the catch-all "其他重大事故隐患" of the
    sector's standard is proposed [U] (MineSafe mapping; the regulator may choose another)."""
    try:
        standard = standard_for(alarm.mine.sector, found_on)
    except LookupError:
        return "", ""
    title = GAS_WORK_CATEGORY if alarm.kind == AlarmKind.GAS_WORK else OTHER_CATEGORY
    for category in standard.categories:
        if title in category.title:
            if alarm.kind == AlarmKind.GAS_WORK:
                item = next((i.code for i in category.items if GAS_WORK_ITEM in i.text), "")
                return category.code, item
            return category.code, ""
    return "", ""


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def hazard_defaults(alarm: Alarm) -> dict[str, Any]:
    """The ledger entry ``confirm_hazard`` proposes for an alarm (a form starts from these)."""
    started = timezone.localtime(alarm.started_at)
    found_on = started.date()
    category_code, item_code = _category_of(alarm, found_on)
    sensor = alarm.sensor
    location = (sensor.place or sensor.get_location_display() if sensor is not None else alarm.mine.name)[:200]
    facts = {"id": alarm.pk, "start": f"{started:%Y-%m-%d %H:%M:%S}", "peak": _number(alarm.peak_value),
             "threshold": _number(alarm.threshold), "sensor": str(sensor or "")}
    if alarm.kind == AlarmKind.GAS_WORK:
        description = _("Methane at sensor %(sensor)s reached %(peak)s%% (power-cut level %(threshold)s%%) from "
                        "%(start)s while its feed sensor still showed power: work went on with gas over the limit "
                        "(monitoring alarm %(id)s).") % facts
    else:
        description = _("Electricity use or people underground were recorded from %(start)s while the mine was "
                        "ordered halted (monitoring alarm %(id)s).") % facts
    return {"source": HazardSource.MONITORING, "category_code": category_code, "item_code": item_code,
            "description": description, "location": location, "found_on": found_on,
            "found_by": _("Monitoring and early warning system")}


def confirm_hazard(*, actor: User, alarm: Alarm, data: Mapping[str, Any] | None = None,
                   today: dt.date | None = None, request_id: str = "") -> Hazard:
    """A regulator confirms a 瓦斯超限作业 or 明停暗开 alarm into the major-hazard ledger (issue 6:
    "a hazard candidate for the regulator to confirm into the ledger"). The entry is registered by
    ``hazards.services.register_hazard`` with source "monitoring"; ``data`` overrides the proposal of
    :func:`hazard_defaults` (category, item, description, location, finding date, finder, production
    stop). The alarm links the entry; confirming it twice is refused."""
    from minesafe.hazards.services import register_hazard  # hazards imports nothing of monitoring

    require(actor, "monitoring.confirm_hazard", alarm)
    alarm = Alarm.objects.select_related("mine", "sensor").get(pk=alarm.pk)
    if alarm.kind not in HAZARD_KINDS:
        raise FieldErrors.single("__all__", _("Only an alarm of working with gas over the limit or of activity "
                                              "while ordered halted can be confirmed as a hazard."))
    if alarm.hazard_id is not None:
        raise FieldErrors.single("__all__", _("This alarm is already in the hazard ledger."))
    values = hazard_defaults(alarm)
    values.update({k: v for k, v in (data or {}).items() if v not in (None, "") and k != "source"})
    with transaction.atomic():
        locked = _locked(alarm)
        if locked.hazard_id is not None:
            raise Conflict(_("This alarm is already in the hazard ledger."))
        before = _handling(locked)
        hazard = register_hazard(actor=actor, mine=locked.mine, data=values, today=today, request_id=request_id)
        _update(locked, hazard=hazard)
        audit.record(actor=actor, action="monitoring.alarm.confirm_hazard", obj=locked, before=before,
                     after={**_handling(locked), "category_code": hazard.category_code,
                            "item_code": hazard.item_code}, request_id=request_id)
    return hazard


def decide_flag(*, actor: User, flag: FalsificationFlag, confirm: bool, note: str,
                request_id: str = "") -> FalsificationFlag:
    """A regulator confirms or dismisses a suspicion of falsified monitoring data (安全监控系统造假,
    DOMAIN §1 打非治违, §4.3). The reason is required and kept in the audit entry."""
    require(actor, "monitoring.decide_flags", flag)
    note = _text(note, "note", required=True)
    status = FlagStatus.CONFIRMED if confirm else FlagStatus.DISMISSED
    with transaction.atomic():
        now = timezone.now()
        updated = FalsificationFlag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
            status=status, decided_by=actor, decided_at=now)
        if updated != 1:
            raise FieldErrors.single("__all__", _("The flag has already been decided."))
        flag = FalsificationFlag.objects.select_related("mine", "sensor").get(pk=flag.pk)
        audit.record(actor=actor, action="monitoring.flag.decide", obj=flag, before={"status": FlagStatus.OPEN},
                     after={"status": status, "decided_by": actor.pk, "decided_at": now}, message=note,
                     request_id=request_id)
    return flag


# --- read side -------------------------------------------------------------------------------------


def active_alarms(user: Any) -> QuerySet[Alarm]:
    """Alarms in the user's scope that are active (not ended) and not cleared, most severe and newest
    first; a county, its city and its province all see the county's mines' alarms (scoping)."""
    if not has_perm(user, "monitoring.view"):
        return Alarm.objects.none()
    return (Alarm.objects.visible_to(user).filter(ACTIVE_ALARM)
            .select_related("mine", "sensor", "acknowledged_by", "assigned_to", "inhibited_by")
            .order_by("-severity", "-started_at", "-id"))


def mine_alarm_levels(user: Any) -> dict[int, int]:
    """Mine id → highest severity among its active alarms, for the map (one query). Alarms suppressed
    by an active mine-wide communication loss do not count on their own."""
    suppressed = Q(inhibited_by__isnull=False, inhibited_by__ended_at__isnull=True)
    rows = active_alarms(user).exclude(suppressed).order_by().values("mine_id").annotate(level=Max("severity"))
    return {row["mine_id"]: row["level"] for row in rows}
