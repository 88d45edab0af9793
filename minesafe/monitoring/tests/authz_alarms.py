"""Monitoring pages and API of alarms, live panels, the map and falsification flags in the authorization
matrix (minesafe/core/tests/test_authz_matrix.py).

Everyone in business holds ``monitoring.view`` and ``monitoring.handle_alarms``; confirming into the
hazard ledger and deciding flags are for regulators; the three admins get 403 everywhere.

Object kinds (test setup writes the rows directly through the ORM: alarms and flags are the engine's
and the detectors' output, not something a person creates):

- "alarm" — an active CH₄ alarm at mine_a (岫岩, SEES_A) and one at mine_b (阜新 海州区, SEES_B), made once
  per world; "alarm_fresh" — an ended alarm at each mine made anew on every call, so that each allowed
  role in scope can acknowledge, assign or clear its own;
- "flag" — an open flag-line flag at each mine, once per world; "flag_fresh" — anew on every call;
- "mine" (the matrix's own) for the live panels and the series.

The helpers below are also the test factories of test_views, test_queries and test_api.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from minesafe.monitoring.models import Alarm, FalsificationFlag, MinuteAggregate, Sensor
from minesafe.registry.models import Mine
from minesafe.testing.authz import BUSINESS, REGULATORS, SEES_A, SEES_B, r
from minesafe.testing.factories import World

_seq = itertools.count(1)

UI_ROUTES = {
    "monitoring:overview": r(BUSINESS),
    "monitoring:alarm_list": r(BUSINESS),
    "monitoring:alarm_export": r(BUSINESS),
    "monitoring:alarm_detail": r(BUSINESS, obj="alarm"),
    "monitoring:alarm_ack": r(BUSINESS, method="POST", obj="alarm"),
    "monitoring:alarm_assign": r(BUSINESS, method="POST", obj="alarm"),
    "monitoring:alarm_clear": r(BUSINESS, method="POST", obj="alarm"),
    "monitoring:alarm_comment": r(BUSINESS, method="POST", obj="alarm"),
    "monitoring:alarm_confirm": r(REGULATORS, method="POST", obj="alarm"),
    "monitoring:mine_panel": r(BUSINESS, obj="mine"),
    "monitoring:mine_panel_data": r(BUSINESS, obj="mine"),
    "monitoring:map": r(BUSINESS),
    "monitoring:flag_list": r(BUSINESS),
    "monitoring:flag_detail": r(BUSINESS, obj="flag"),
    "monitoring:flag_decide": r(REGULATORS, method="POST", obj="flag"),
}

ALARMS = "/api/v1/monitoring/alarms"
API_ROUTES = {
    ("GET", ALARMS): r(BUSINESS),
    ("GET", ALARMS + "/{pk}"): r(BUSINESS, obj="alarm"),
    ("POST", ALARMS + "/{pk}/acknowledge"): r(BUSINESS, method="POST", obj="alarm_fresh"),
    ("POST", ALARMS + "/{pk}/assign"): r(BUSINESS, method="POST", obj="alarm_fresh"),
    ("POST", ALARMS + "/{pk}/clear"): r(BUSINESS, method="POST", obj="alarm_fresh"),
    ("POST", ALARMS + "/{pk}/comment"): r(BUSINESS, method="POST", obj="alarm", ok=(201,)),
    ("GET", "/api/v1/monitoring/mines/{pk}/series"): r(BUSINESS, obj="mine"),
    ("GET", "/api/v1/monitoring/flags"): r(BUSINESS),
    ("GET", "/api/v1/monitoring/flags/{pk}"): r(BUSINESS, obj="flag"),
    ("POST", "/api/v1/monitoring/flags/{pk}/decide"): r(REGULATORS, method="POST", obj="flag_fresh"),
}


# --- factories -------------------------------------------------------------------------------------


def make_sensor(mine: Mine, *, code: str = "", kind: str = "ch4", location: str = "coal_face", **extra: Any
                ) -> Sensor:
    """A CH₄ sensor at a coal face with the 规程 第498条 levels (alarm 1.0, cut 1.5, restore 1.0; DOMAIN §4.2)."""
    defaults: dict[str, Any] = {"unit": "%", "range_low": 0.0, "range_high": 4.0, "alarm_high": 1.0,
                                "cut_high": 1.5, "restore_high": 1.0} if kind == "ch4" else {}
    return Sensor.objects.create(mine=mine, code=code or f"T{next(_seq):04d}", kind=kind, location=location,
                                 **{**defaults, **extra})


def make_alarm(mine: Mine, *, sensor: Sensor | None = None, kind: str = "high", severity: int = 2,
               started: dt.datetime | None = None, ended: dt.datetime | None = None, **extra: Any) -> Alarm:
    started = started or timezone.now() - dt.timedelta(minutes=20)
    return Alarm.objects.create(mine=mine, sensor=sensor, kind=kind, severity=severity, started_at=started,
                                ended_at=ended, peak_value=extra.pop("peak_value", 1.32),
                                last_value=extra.pop("last_value", 1.2), threshold=extra.pop("threshold", 1.0),
                                **extra)


def make_flag(mine: Mine, *, sensor: Sensor | None = None, pattern: str = "flat_line", **extra: Any
              ) -> FalsificationFlag:
    end = extra.pop("window_end", timezone.now() - dt.timedelta(hours=1))
    return FalsificationFlag.objects.create(
        mine=mine, sensor=sensor, pattern=pattern, window_start=extra.pop("window_start", end - dt.timedelta(hours=6)),
        window_end=end, score=extra.pop("score", 0.93),
        explanation=extra.pop("explanation", "6 小时内读数恒为 0.12%，方差为 0：疑似传感器被屏蔽或数据被替换。"),
        evidence=extra.pop("evidence", {"std": 0.0, "hours": 6, "value": 0.12}), **extra)


def put_minutes(sensor: Sensor, values: Iterable[float], *, end: dt.datetime | None = None) -> list[MinuteAggregate]:
    """Minute aggregates for the last len(values) minutes before ``end`` (one reading a minute)."""
    values = list(values)
    end = (end or timezone.now()).replace(second=0, microsecond=0)
    first = end - dt.timedelta(minutes=len(values))
    rows = [MinuteAggregate(sensor=sensor, minute=first + dt.timedelta(minutes=i), n=1, min_value=v, max_value=v,
                            sum_value=v, last_value=v, last_ts=first + dt.timedelta(minutes=i, seconds=30))
            for i, v in enumerate(values)]
    return MinuteAggregate.objects.bulk_create(rows)


# --- the matrix's objects ----------------------------------------------------------------------------


def _sensors(world: World) -> tuple[Sensor, Sensor]:
    cache = world.__dict__.setdefault("_monitoring_alarms_authz", {})
    if "sensors" not in cache:
        cache["sensors"] = (make_sensor(world.mine_a, code="ALM-A1"), make_sensor(world.mine_b, code="ALM-B1"))
    return cache["sensors"]


def _made(world: World, kind: str) -> list[Any]:
    cache = world.__dict__.setdefault("_monitoring_alarms_authz", {})
    if kind not in cache:
        sa, sb = _sensors(world)
        if kind == "alarm":
            cache[kind] = [make_alarm(world.mine_a, sensor=sa), make_alarm(world.mine_b, sensor=sb)]
        else:
            cache[kind] = [make_flag(world.mine_a, sensor=sa), make_flag(world.mine_b, sensor=sb)]
    return cache[kind]


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind in ("alarm", "flag"):
        at_a, at_b = _made(world, kind)
    elif kind == "alarm_fresh":
        sa, sb = _sensors(world)
        ended = timezone.now() - dt.timedelta(minutes=5)
        at_a = make_alarm(world.mine_a, sensor=sa, ended=ended)
        at_b = make_alarm(world.mine_b, sensor=sb, ended=ended)
    elif kind == "flag_fresh":
        sa, sb = _sensors(world)
        at_a, at_b = (make_flag(world.mine_a, sensor=sa, window_end=timezone.now() - dt.timedelta(minutes=next(_seq))),
                      make_flag(world.mine_b, sensor=sb, window_end=timezone.now() - dt.timedelta(minutes=next(_seq))))
    else:
        return None
    return [(at_a.pk, role in SEES_A), (at_b.pk, role in SEES_B)]


def api_payload(world: World, method: str, path: str) -> dict[str, Any] | None:
    if method != "POST" or not path.startswith("/api/v1/monitoring/"):
        return None
    payloads: dict[str, dict[str, Any]] = {
        ALARMS + "/{pk}/acknowledge": {"note": "调度室已确认"},
        # the province leader sees both mines and handles alarms: a valid assignee for every alarm
        ALARMS + "/{pk}/assign": {"assignee_id": world.province_leader.pk},
        ALARMS + "/{pk}/clear": {"note": "局部通风机恢复运转，瓦斯浓度降至 0.3%"},
        ALARMS + "/{pk}/comment": {"text": "已通知区队撤人"},
        "/api/v1/monitoring/flags/{pk}/decide": {"confirm": False, "note": "现场核查：传感器正常，系停采期间"},
    }
    return payloads.get(path)


def alarm_state() -> list[tuple[Any, ...]]:
    """Everything a refused request must leave as it was: alarms, comments, flags, hazards, audit."""
    from minesafe.core.models import AuditEntry
    from minesafe.hazards.models import Hazard
    from minesafe.monitoring.models import AlarmComment

    return (list(Alarm.objects.order_by("pk").values_list("pk", "acknowledged_at", "assigned_to_id", "cleared_at",
                                                           "hazard_id"))
            + list(AlarmComment.objects.order_by("pk").values_list("pk"))
            + list(FalsificationFlag.objects.order_by("pk").values_list("pk", "status"))
            + [(Hazard.objects.count(), AuditEntry.objects.count())])
