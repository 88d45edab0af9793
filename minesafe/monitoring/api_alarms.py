"""Monitoring API: alarms, a mine's sensor series and falsification flags (mounted by
minesafe/monitoring/api.py under /api/v1/). Same services (``minesafe.monitoring.alarms``), queries
and scoping as the pages: handlers only shape input and output.

- ``GET /monitoring/alarms`` — paged, newest first; filters mine_id, sensor_id, kind, severity, active,
  acknowledged, assigned_to_me, started_from / started_to (local dates).
- ``GET /monitoring/alarms/{pk}`` — one alarm with its comments and the actions open to the caller.
- ``POST /monitoring/alarms/{pk}/acknowledge|assign|clear|comment`` — the handling steps; answer the
  updated alarm (``comment``: 201).
- ``GET /monitoring/mines/{pk}/series?sensor=&hours=`` — minute aggregates (bucketed beyond 360
  points) of one sensor or all active sensors of a mine over the last ``hours`` (1–72, default 6),
  with each sensor's thresholds.
- ``GET /monitoring/flags``, ``GET /monitoring/flags/{pk}``, ``POST /monitoring/flags/{pk}/decide`` —
  falsification flags with their explanation and evidence; regulators confirm or dismiss them.

403: the role may not (admins everywhere; enterprises for flag decisions); 404: outside the caller's
scope; 422: field errors ``{"errors": {field: [..]}}`` (a refusal of the alarm's state is under
``__all__``).
"""

import datetime as dt
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from minesafe.accounts.models import User
from minesafe.accounts.permissions import has_perm, require
from minesafe.core.api import BoundedPagination, StrictSchema
from minesafe.core.errors import FieldErrors, NotFound
from minesafe.core.middleware import request_id_of
from minesafe.monitoring import alarms, queries
from minesafe.monitoring.choices import AlarmKind, FalsificationPattern, FlagStatus
from minesafe.monitoring.models import ACTIVE_ALARM, Alarm, FalsificationFlag, Sensor
from minesafe.registry.models import Mine

router = Router(tags=["monitoring"])

ID_MAX = 2**63 - 1
TEXT_MAX = 20_000  # only stops absurd bodies; the services word the real limit (2,000 characters)
KindCode = Literal[tuple(AlarmKind.values)]  # type: ignore[valid-type]
PatternCode = Literal[tuple(FalsificationPattern.values)]  # type: ignore[valid-type]
FlagStatusCode = Literal[tuple(FlagStatus.values)]  # type: ignore[valid-type]


def _name(user: User | None) -> str:
    return "" if user is None else str(user)


def _rename(exc: FieldErrors, names: dict[str, str]) -> FieldErrors:
    errors: dict[str, list[str]] = {}
    for key, messages in exc.errors.items():
        errors.setdefault(names.get(key, key), []).extend(messages)
    return FieldErrors(errors)


# --- schemas ---------------------------------------------------------------------------------------


class _AlarmFields(Schema):
    """The fields of an alarm (the detail adds to them; resolvers only on the list's schema, since the
    detail is built from the list row's dict)."""

    id: int
    mine_id: int
    mine_name: str
    county_code: str
    sensor_id: int | None
    sensor_code: str
    sensor_kind: str
    kind: str
    kind_label: str
    severity: int = Field(description="1 notice, 2 alarm, 3 critical")
    severity_label: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    active: bool = Field(description="neither ended nor cleared")
    peak_value: float | None
    last_value: float | None
    threshold: float | None
    inhibited_by_id: int | None
    acknowledged_by_id: int | None
    acknowledged_by_name: str
    acknowledged_at: dt.datetime | None
    assigned_to_id: int | None
    assigned_to_name: str
    cleared_by_id: int | None
    cleared_by_name: str
    cleared_at: dt.datetime | None
    hazard_id: int | None


class AlarmOut(_AlarmFields):
    @staticmethod
    def resolve_mine_name(obj: Alarm) -> str:
        return obj.mine.name

    @staticmethod
    def resolve_county_code(obj: Alarm) -> str:
        return obj.mine.county_id

    @staticmethod
    def resolve_sensor_code(obj: Alarm) -> str:
        return obj.sensor.code if obj.sensor else ""

    @staticmethod
    def resolve_sensor_kind(obj: Alarm) -> str:
        return obj.sensor.kind if obj.sensor else ""

    @staticmethod
    def resolve_kind_label(obj: Alarm) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_severity_label(obj: Alarm) -> str:
        return str(obj.get_severity_display())

    @staticmethod
    def resolve_active(obj: Alarm) -> bool:
        return obj.active

    @staticmethod
    def resolve_acknowledged_by_name(obj: Alarm) -> str:
        return _name(obj.acknowledged_by)

    @staticmethod
    def resolve_assigned_to_name(obj: Alarm) -> str:
        return _name(obj.assigned_to)

    @staticmethod
    def resolve_cleared_by_name(obj: Alarm) -> str:
        return _name(obj.cleared_by)


class CommentOut(Schema):
    id: int
    at: dt.datetime
    author: str
    text: str


class AlarmDetailOut(_AlarmFields):
    details: dict[str, Any]
    comments: list[CommentOut]
    allowed_actions: list[str] = Field(description="POST /monitoring/alarms/{pk}/<action> open to the caller")


class AlarmFilters(Schema):
    mine_id: int | None = Field(None, ge=1, le=ID_MAX)
    sensor_id: int | None = Field(None, ge=1, le=ID_MAX)
    kind: KindCode | None = None
    severity: int | None = Field(None, ge=1, le=3)
    active: bool | None = Field(None, description="true: neither ended nor cleared; false: the others")
    acknowledged: bool | None = None
    assigned_to_me: bool | None = None
    started_from: dt.date | None = Field(None, description="first local day of the start")
    started_to: dt.date | None = Field(None, description="last local day of the start")


class AcknowledgeIn(StrictSchema):
    note: str = Field("", max_length=TEXT_MAX)


class AssignIn(StrictSchema):
    assignee_id: int = Field(..., ge=1, le=ID_MAX)


class ClearIn(StrictSchema):
    note: str = Field(..., max_length=TEXT_MAX, description="cause and measures taken")


class CommentIn(StrictSchema):
    text: str = Field(..., max_length=TEXT_MAX)


class PointOut(Schema):
    t: dt.datetime = Field(description="start of the minute (or bucket of minutes)")
    avg: float
    min: float
    max: float
    last: float
    n: int = Field(description="readings in the minute or bucket")


class SensorSeriesOut(Schema):
    id: int
    code: str
    kind: str
    unit: str
    thresholds: dict[str, float | None] = Field(description="alarm_high, cut_high, restore_high, alarm_low")
    points: list[PointOut]


class SeriesOut(Schema):
    mine_id: int
    hours: int
    start: dt.datetime
    end: dt.datetime
    sensors: list[SensorSeriesOut]


class SeriesFilters(Schema):
    sensor: int | None = Field(None, ge=1, le=ID_MAX, description="one sensor's id (default: all active sensors)")
    hours: int = Field(queries.HOURS_DEFAULT, ge=1, le=queries.HOURS_MAX)


class _FlagFields(Schema):
    id: int
    mine_id: int
    mine_name: str
    sensor_id: int | None
    sensor_code: str
    pattern: str
    pattern_label: str
    window_start: dt.datetime
    window_end: dt.datetime
    score: float
    explanation: str
    evidence: dict[str, Any]
    status: str
    status_label: str
    decided_by_id: int | None
    decided_by_name: str
    decided_at: dt.datetime | None
    created_at: dt.datetime


class FlagOut(_FlagFields):
    @staticmethod
    def resolve_mine_name(obj: FalsificationFlag) -> str:
        return obj.mine.name

    @staticmethod
    def resolve_sensor_code(obj: FalsificationFlag) -> str:
        return obj.sensor.code if obj.sensor else ""

    @staticmethod
    def resolve_pattern_label(obj: FalsificationFlag) -> str:
        return str(obj.get_pattern_display())

    @staticmethod
    def resolve_status_label(obj: FalsificationFlag) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_decided_by_name(obj: FalsificationFlag) -> str:
        return _name(obj.decided_by)

    @staticmethod
    def resolve_evidence(obj: FalsificationFlag) -> dict[str, Any]:
        return obj.evidence if isinstance(obj.evidence, dict) else {"value": obj.evidence}


class FlagDetailOut(_FlagFields):
    decision_note: str = Field(description="the reasons given with the decision")


class FlagFilters(Schema):
    status: FlagStatusCode | None = None
    pattern: PatternCode | None = None
    mine_id: int | None = Field(None, ge=1, le=ID_MAX)
    sensor_id: int | None = Field(None, ge=1, le=ID_MAX)


class DecideIn(StrictSchema):
    confirm: bool = Field(..., description="true: the data were falsified; false: dismissed")
    note: str = Field(..., max_length=TEXT_MAX, description="the reasons (required)")


# --- alarms ----------------------------------------------------------------------------------------


def _alarms(user: Any) -> QuerySet[Alarm]:
    return Alarm.objects.visible_to(user).select_related("mine", "sensor", "acknowledged_by", "assigned_to",
                                                         "cleared_by")


def _find(user: Any, pk: int) -> Alarm:
    require(user, "monitoring.view")
    alarm = _alarms(user).filter(pk=pk).first() if pk <= ID_MAX else None
    if alarm is None:
        raise NotFound(f"alarm {pk}")
    return alarm


def _allowed(user: Any, alarm: Alarm) -> list[str]:
    names = []
    if has_perm(user, "monitoring.handle_alarms"):
        if alarm.cleared_at is None and alarm.acknowledged_at is None:
            names.append("acknowledge")
        if alarm.cleared_at is None:
            names.append("assign")
            if alarm.ended_at is not None or alarm.kind in alarms.CLEARABLE_WHILE_OPEN:
                names.append("clear")
        names.append("comment")
    return names


def _detail(user: Any, pk: int) -> dict[str, Any]:
    alarm = _find(user, pk)
    row = AlarmOut.from_orm(alarm).dict()
    row.update({
        "details": alarm.details if isinstance(alarm.details, dict) else {},
        "comments": [{"id": c.pk, "at": c.at, "author": _name(c.author), "text": c.text}
                     for c in alarm.comments.select_related("author")],
        "allowed_actions": _allowed(user, alarm),
    })
    return row


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@router.get("/monitoring/alarms", response=list[AlarmOut])
@paginate(BoundedPagination)
def list_alarms(request: HttpRequest, filters: Query[AlarmFilters]) -> Any:
    """Alarms of the caller's scope, newest first (a county, its city and its province all see the
    county's mines' alarms; an enterprise its own mines')."""
    require(request.auth, "monitoring.view")
    qs = _alarms(request.auth).order_by("-started_at", "-id")
    for f in ("mine_id", "sensor_id", "kind", "severity"):
        value = getattr(filters, f)
        if value is not None:
            qs = qs.filter(**{f: value})
    if filters.active is not None:
        qs = qs.filter(ACTIVE_ALARM) if filters.active else qs.exclude(ACTIVE_ALARM)
    if filters.acknowledged is not None:
        qs = qs.filter(acknowledged_at__isnull=not filters.acknowledged)
    if filters.assigned_to_me is not None:
        mine = Q(assigned_to=request.auth)
        qs = qs.filter(mine) if filters.assigned_to_me else qs.exclude(mine)
    if filters.started_from is not None:
        qs = qs.filter(started_at__gte=_day_start(filters.started_from))
    if filters.started_to is not None:
        qs = qs.filter(started_at__lt=_day_start(filters.started_to + dt.timedelta(days=1)))
    return qs


@router.get("/monitoring/alarms/{int:pk}", response=AlarmDetailOut)
def get_alarm(request: HttpRequest, pk: int) -> dict[str, Any]:
    """One alarm with its comments and the handling steps open to the caller."""
    return _detail(request.auth, pk)


@router.post("/monitoring/alarms/{int:pk}/acknowledge", response=AlarmDetailOut)
def acknowledge_alarm(request: HttpRequest, pk: int, payload: AcknowledgeIn | None = None) -> dict[str, Any]:
    """Acknowledge (确认) the alarm; a note becomes a comment. 422 ``__all__`` when already acknowledged
    or cleared."""
    alarm = _find(request.auth, pk)
    body = payload or AcknowledgeIn()
    alarms.acknowledge(actor=request.auth, alarm=alarm, note=body.note, request_id=request_id_of(request))
    return _detail(request.auth, pk)


@router.post("/monitoring/alarms/{int:pk}/assign", response=AlarmDetailOut)
def assign_alarm(request: HttpRequest, pk: int, payload: AssignIn) -> dict[str, Any]:
    """Assign the handling to someone who can see and handle the alarm (a regulator of the mine's
    county or above, or the mine's own staff)."""
    alarm = _find(request.auth, pk)
    assignee = User.objects.filter(pk=payload.assignee_id).select_related("organisation").first()
    if assignee is None:
        raise FieldErrors.single("assignee_id", _("Select a person who can see and handle this alarm."))
    try:
        alarms.assign(actor=request.auth, alarm=alarm, assignee=assignee, request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc, {"assignee": "assignee_id"}) from None
    return _detail(request.auth, pk)


@router.post("/monitoring/alarms/{int:pk}/clear", response=AlarmDetailOut)
def clear_alarm(request: HttpRequest, pk: int, payload: ClearIn) -> dict[str, Any]:
    """Clear (消警) an ended alarm — or a no-data alarm — saying what caused it and what was done."""
    alarm = _find(request.auth, pk)
    alarms.clear(actor=request.auth, alarm=alarm, note=payload.note, request_id=request_id_of(request))
    return _detail(request.auth, pk)


@router.post("/monitoring/alarms/{int:pk}/comment", response={201: AlarmDetailOut})
def comment_alarm(request: HttpRequest, pk: int, payload: CommentIn) -> tuple[int, dict[str, Any]]:
    """Add a comment (findings, measures) to the alarm."""
    alarm = _find(request.auth, pk)
    alarms.comment(actor=request.auth, alarm=alarm, text=payload.text, request_id=request_id_of(request))
    return 201, _detail(request.auth, pk)


# --- series ----------------------------------------------------------------------------------------


@router.get("/monitoring/mines/{int:pk}/series", response=SeriesOut)
def mine_series(request: HttpRequest, pk: int, filters: Query[SeriesFilters]) -> dict[str, Any]:
    """Minute aggregates of a mine's active sensors (or of ``sensor``, one of them) over the last
    ``hours``; more than 360 minutes are merged into buckets. A sensor of another mine is 422."""
    require(request.auth, "monitoring.view")
    mine = Mine.objects.visible_to(request.auth).filter(pk=pk).first() if pk <= ID_MAX else None
    if mine is None:
        raise NotFound(f"mine {pk}")
    sensors: list[Sensor] = list(queries.mine_sensors(mine))
    if filters.sensor is not None:
        sensors = [s for s in sensors if s.pk == filters.sensor]
        if not sensors:
            raise FieldErrors.single("sensor", _("Select an active sensor of this mine."))
    return queries.series_payload(mine, sensors, hours=filters.hours)


# --- falsification flags ---------------------------------------------------------------------------


def _find_flag(user: Any, pk: int) -> FalsificationFlag:
    flag = queries.flag_queryset(user).filter(pk=pk).first() if pk <= ID_MAX else None
    if flag is None:
        raise NotFound(f"flag {pk}")
    return flag


@router.get("/monitoring/flags", response=list[FlagOut])
@paginate(BoundedPagination)
def list_flags(request: HttpRequest, filters: Query[FlagFilters]) -> Any:
    """Suspicions of falsified monitoring data in the caller's scope, newest first."""
    require(request.auth, "monitoring.view")
    qs = queries.flag_queryset(request.auth).order_by("-created_at", "-id")
    for f in ("status", "pattern", "mine_id", "sensor_id"):
        value = getattr(filters, f)
        if value is not None:
            qs = qs.filter(**{f: value})
    return qs


def _flag_detail(flag: FalsificationFlag) -> dict[str, Any]:
    row = FlagOut.from_orm(flag).dict()
    row["decision_note"] = queries.flag_decision_note(flag)
    return row


@router.get("/monitoring/flags/{int:pk}", response=FlagDetailOut)
def get_flag(request: HttpRequest, pk: int) -> dict[str, Any]:
    """One flag with the detector's explanation and evidence, and the reasons of its decision."""
    require(request.auth, "monitoring.view")
    return _flag_detail(_find_flag(request.auth, pk))


@router.post("/monitoring/flags/{int:pk}/decide", response=FlagDetailOut)
def decide_flag(request: HttpRequest, pk: int, payload: DecideIn) -> dict[str, Any]:
    """Confirm or dismiss the flag (regulators), with the reasons; 422 ``__all__`` once decided."""
    require(request.auth, "monitoring.decide_flags")
    flag = _find_flag(request.auth, pk)
    alarms.decide_flag(actor=request.auth, flag=flag, confirm=payload.confirm, note=payload.note,
                       request_id=request_id_of(request))
    return _flag_detail(_find_flag(request.auth, pk))
