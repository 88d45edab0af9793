"""Monitoring API: the sensor registry (mounted by minesafe/monitoring/api.py). Same scoping and
services as the pages: regulators read their division's sensors, enterprises manage their own."""

import datetime as dt
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from minesafe.accounts.permissions import require
from minesafe.core.api import BoundedPagination, StrictSchema
from minesafe.core.errors import FieldErrors
from minesafe.core.middleware import request_id_of
from minesafe.monitoring import sensors as services
from minesafe.monitoring.choices import SensorKind, SensorLocation
from minesafe.monitoring.models import Sensor
from minesafe.registry.models import Mine

router = Router(tags=["monitoring"])

KindCode = Literal[tuple(SensorKind.values)]  # type: ignore[valid-type]
LocationCode = Literal[tuple(SensorLocation.values)]  # type: ignore[valid-type]
_NUMBER = {"ge": -1e12, "le": 1e12, "allow_inf_nan": False}


class CitationOut(Schema):
    source: str
    section: str
    note: str


class DefaultsOut(Schema):
    unit: str
    range_low: float | None
    range_high: float | None
    alarm_high: float | None
    alarm_low: float | None
    cut_high: float | None
    restore_high: float | None
    citation: CitationOut
    range_citation: CitationOut | None


class SensorOut(Schema):
    id: int
    mine_id: int
    code: str
    kind: str
    location: str
    place: str
    unit: str
    range_low: float | None
    range_high: float | None
    alarm_high: float | None
    alarm_low: float | None
    cut_high: float | None
    restore_high: float | None
    thresholds_overridden: bool
    looser_than_rule: list[str] = Field(description="fields whose value the rule refuses (DOMAIN §5: a flag)")
    min_duration_s: int
    repeat_count: int
    repeat_window_s: int
    stale_after_s: int
    feed_sensor_id: int | None
    active: bool
    updated_at: dt.datetime

    @staticmethod
    def resolve_looser_than_rule(obj: Any) -> list[str]:
        return obj["looser_than_rule"] if isinstance(obj, dict) else services.looser_fields(obj)


class SensorDetailOut(SensorOut):
    defaults: DefaultsOut
    problems: dict[str, list[str]]


class SensorIn(StrictSchema):
    code: str | None = Field(None, min_length=1, max_length=40)
    location: LocationCode | None = None
    place: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, max_length=12)
    range_low: float | None = Field(None, **_NUMBER)
    range_high: float | None = Field(None, **_NUMBER)
    min_duration_s: int | None = Field(None, ge=0, le=7 * 86400)
    repeat_count: int | None = Field(None, ge=0, le=1000)
    repeat_window_s: int | None = Field(None, ge=0, le=7 * 86400)
    stale_after_s: int | None = Field(None, ge=0, le=30 * 86400)
    feed_sensor_id: int | None = Field(None, ge=1, le=2**62)
    active: bool | None = None


class SensorCreateIn(SensorIn):
    mine_id: int = Field(..., ge=1, le=2**62)
    code: str = Field(..., min_length=1, max_length=40)
    kind: KindCode
    location: LocationCode


class ThresholdsIn(StrictSchema):
    alarm_high: float | None = Field(None, **_NUMBER)
    alarm_low: float | None = Field(None, **_NUMBER)
    cut_high: float | None = Field(None, **_NUMBER)
    restore_high: float | None = Field(None, **_NUMBER)
    reset: bool = Field(False, description="reset every level to the rule's default (the other fields are ignored)")
    reason: str = Field(..., max_length=500)


class SensorFilters(Schema):
    q: str | None = Field(None, max_length=50)
    mine_id: int | None = Field(None, ge=1, le=2**62)
    kind: KindCode | None = None
    location: LocationCode | None = None
    overridden: bool | None = None
    active: bool | None = None


def _out(sensor: Sensor) -> dict[str, Any]:
    data = {f: getattr(sensor, f) for f in SensorOut.model_fields if hasattr(sensor, f)}
    data["looser_than_rule"] = services.looser_fields(sensor)
    return data


def _citation(c: Any) -> dict[str, str] | None:
    return None if c is None else {"source": c.source, "section": c.section, "note": c.note}


def _detail(sensor: Sensor) -> dict[str, Any]:
    default = services.defaults_for(sensor.mine, sensor.kind, sensor.location)
    return _out(sensor) | {
        "defaults": {**default.values(), "unit": default.unit, "citation": _citation(default.citation),
                     "range_citation": _citation(default.range_citation)},
        "problems": services.check_sensor(sensor).field_errors(),
    }


def _sensor(request: HttpRequest, pk: int) -> Sensor:
    return get_object_or_404(Sensor.objects.visible_to(request.auth).select_related("mine"), pk=pk)


def _rename(exc: FieldErrors) -> FieldErrors:
    names = {"mine": "mine_id", "feed_sensor": "feed_sensor_id"}
    return FieldErrors({names.get(k, k): v for k, v in exc.errors.items()})


@router.get("/monitoring/sensors", response=list[SensorOut])
@paginate(BoundedPagination)
def list_sensors(request: HttpRequest, filters: Query[SensorFilters]) -> Any:
    require(request.auth, "monitoring.view")
    qs = Sensor.objects.visible_to(request.auth).select_related("mine").order_by("mine_id", "code", "id")
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(place__icontains=filters.q))
    if filters.mine_id is not None:
        qs = qs.filter(mine_id=filters.mine_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.location:
        qs = qs.filter(location=filters.location)
    if filters.overridden is not None:
        qs = qs.filter(thresholds_overridden=filters.overridden)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    return qs


@router.post("/monitoring/sensors", response={201: SensorDetailOut})
def create_sensor(request: HttpRequest, payload: SensorCreateIn) -> Any:
    """Register a sensor; thresholds default from the rule (DOMAIN §4.1, §4.2, §9)."""
    require(request.auth, "monitoring.manage_sensors")
    data = payload.model_dump(exclude_unset=True)
    mine = Mine.objects.visible_to(request.auth).filter(pk=data.pop("mine_id")).first()
    if mine is None:
        raise FieldErrors.single("mine_id", "未找到该矿山")
    try:
        sensor = services.create_sensor(request.auth, mine, data, request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc) from None
    return 201, _detail(Sensor.objects.select_related("mine").get(pk=sensor.pk))


@router.get("/monitoring/sensors/{pk}", response=SensorDetailOut)
def get_sensor(request: HttpRequest, pk: int) -> Any:
    require(request.auth, "monitoring.view")
    return _detail(_sensor(request, pk))


@router.patch("/monitoring/sensors/{pk}", response=SensorDetailOut)
def update_sensor(request: HttpRequest, pk: int, payload: SensorIn) -> Any:
    require(request.auth, "monitoring.manage_sensors")
    sensor = _sensor(request, pk)
    try:
        services.update_sensor(request.auth, sensor, payload.model_dump(exclude_unset=True),
                               request_id=request_id_of(request))
    except FieldErrors as exc:
        raise _rename(exc) from None
    return _detail(_sensor(request, pk))


@router.post("/monitoring/sensors/{pk}/thresholds", response=SensorDetailOut)
def set_thresholds(request: HttpRequest, pk: int, payload: ThresholdsIn) -> Any:
    """Override the alarm / cut / restore levels (fields left out keep their value; null unsets),
    or reset them. Looser than the rule → 422 with the rule's reason per field (DOMAIN §5)."""
    require(request.auth, "monitoring.manage_sensors")
    sensor = _sensor(request, pk)
    data = payload.model_dump(exclude_unset=True)
    reason, reset = data.pop("reason"), data.pop("reset", False)
    services.set_thresholds(request.auth, sensor, data, reason, reset=reset, request_id=request_id_of(request))
    return _detail(_sensor(request, pk))
