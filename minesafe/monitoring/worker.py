"""The engine worker: turns stored readings into alarms, one shard of mines at a time.

Issue #6: alarms are evaluated by the vectorised engine (``minesafe.monitoring.engine``) over batches
of stored readings, in arrival order (``Reading.seq``). A shard is the set of mines with
``mine_id % count == index``; everything the engine needs is loaded from the database, so a shard is
stateless and can move to another machine (docs/ARCHITECTURE.md, scaling past one machine):

- :func:`load_tables` builds the engine's sensor and mine tables from the shard's active sensors;
- :func:`rebuild_state` rebuilds the engine state from the database: the last reading per sensor up
  to the shard's cursor, the recent readings of sensors with a duration / repeat / grace rule, and the
  open alarms, so a restarted worker continues its episodes instead of opening them again;
- :func:`run_once` reads the next batch after ``EngineCursor.last_seq``, evaluates it, runs the
  clock (stale sensors, communication loss), stores the transitions and advances the cursor in ONE
  transaction: a crash replays the batch, and replaying is idempotent (an alarm already open is not
  opened again, an episode already stored with the same start is not stored again, a close only
  ends the open alarm);
- :func:`scan_falsification` runs the falsification detectors over the shard's recent data and
  stores their flags (one per sensor, pattern and window: a rerun adds nothing).

Readings flagged 标校 (calibrating, status bit 4) are stored but not evaluated, so calibration gas
raises no alarm (DOMAIN §5 engine notes). ``manage.py monitoring_engine`` runs the loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Mod
from django.utils import timezone

from minesafe.monitoring import engine, falsification
from minesafe.monitoring.choices import AlarmKind, FlagStatus
from minesafe.monitoring.models import Alarm, EngineCursor, FalsificationFlag, Sensor
from minesafe.registry.models import Mine

__all__ = [
    "CALIBRATING", "HALTED_STATUSES", "Shard", "Tables", "forget", "load_tables", "persist_events", "rebuild_state",
    "run_once", "scan_falsification", "shard_mine_ids",
]

log = logging.getLogger(__name__)

CALIBRATING = 4  # DOMAIN §5 point-status bit 标校: stored, not evaluated
HALTED_STATUSES = ("rectification", "suspended")  # 停产整顿 / 长期停产: activity there is 明停暗开
REBUILD_WINDOW_MAX_S = 6 * 3600  # history replayed per sensor when rebuilding the state, at most
# Kinds whose peak follows the readings of the batch (hidden_operation mixes electricity and people).
PEAK_KINDS = (AlarmKind.HIGH, AlarmKind.LOW, AlarmKind.POWER_CUT, AlarmKind.GAS_WORK, AlarmKind.OVER_HEADCOUNT)
# Kinds whose value is a measurement (peak and last value kept); stale / comm_loss have none.
VALUE_KINDS = (AlarmKind.HIGH, AlarmKind.LOW, AlarmKind.POWER_CUT, AlarmKind.GAS_WORK, AlarmKind.OVER_HEADCOUNT,
               AlarmKind.HIDDEN_OPERATION)
_UTC = dt.UTC


@dataclass(frozen=True)
class Shard:
    """The mines with ``mine_id % count == index``."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not (self.count >= 1 and 0 <= self.index < self.count):
            raise ValueError(f"shard index must be in 0..{self.count - 1}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/n"`` → Shard(i, n)."""
        index, _, count = text.partition("/")
        return cls(int(index), int(count or 1))

    @property
    def name(self) -> str:
        """The ``EngineCursor.shard`` key."""
        return f"{self.index}/{self.count}"

    def mines(self) -> QuerySet[Mine]:
        if self.count == 1:
            return Mine.objects.all()
        return Mine.objects.annotate(_shard=Mod("id", self.count)).filter(_shard=self.index)

    def sensors(self) -> QuerySet[Sensor]:
        if self.count == 1:
            return Sensor.objects.all()
        return Sensor.objects.annotate(_shard=Mod("mine_id", self.count)).filter(_shard=self.index)

    def sql(self, column: str) -> tuple[str, list[int]]:
        """A WHERE fragment (and its parameters) keeping the shard's rows by a mine id column."""
        if self.count == 1:
            return "", []
        return f" AND {column} %% %s = %s", [self.count, self.index]


class Tables(NamedTuple):
    """What :func:`load_tables` returns: the engine tables and pk → row index maps."""

    sensors: engine.SensorTable
    mines: engine.MineTable
    sensor_index: dict[int, int]
    mine_index: dict[int, int]


def idle_power() -> float:
    """Electricity reading above which a halted mine counts as using power (明停暗开); setting
    ``MONITORING_IDLE_POWER`` (default 5.0, in the electricity sensor's unit) [U] site-specific."""
    return float(getattr(settings, "MONITORING_IDLE_POWER", 5.0))


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def load_tables(shard: Shard) -> Tables:
    """The shard's active sensors and their mines as engine tables (sensor order: by pk)."""
    rows = list(shard.sensors().filter(active=True).order_by("id").values_list(
        "id", "mine_id", "kind", "alarm_high", "alarm_low", "cut_high", "restore_high", "min_duration_s",
        "repeat_count", "repeat_window_s", "feed_sensor_id", "stale_after_s"))
    mine_ids = sorted({row[1] for row in rows})
    mine_index = {pk: i for i, pk in enumerate(mine_ids)}
    mines = {pk: (cap, status) for pk, cap, status in
             Mine.objects.filter(id__in=mine_ids).values_list("id", "headcount_cap", "status")}
    sensor_index = {row[0]: i for i, row in enumerate(rows)}
    n = len(rows)
    sensors = engine.SensorTable(
        ids=np.array([r[0] for r in rows], np.int64),
        mine=np.array([mine_index[r[1]] for r in rows], np.int64),
        kind=np.array([engine.KIND_CODES[r[2]] for r in rows], np.int16),
        alarm_high=np.array([_float(r[3]) for r in rows], np.float64),
        alarm_low=np.array([_float(r[4]) for r in rows], np.float64),
        cut_high=np.array([_float(r[5]) for r in rows], np.float64),
        restore_high=np.array([_float(r[6]) for r in rows], np.float64),
        min_duration=np.array([r[7] for r in rows], np.int64),
        repeat_count=np.array([r[8] for r in rows], np.int64),
        repeat_window=np.array([r[9] for r in rows], np.int64),
        feed=np.array([sensor_index.get(r[10], -1) if r[10] is not None else -1 for r in rows], np.int64),
        stale_after=np.array([r[11] for r in rows], np.int64),
    )
    assert len(sensors.ids) == n
    mine_table = engine.MineTable(
        ids=np.array(mine_ids, np.int64),
        headcount_cap=np.array([_float(mines[pk][0]) for pk in mine_ids], np.float64),
        halted=np.array([mines[pk][1] in HALTED_STATUSES for pk in mine_ids], bool),
        idle_power=np.full(len(mine_ids), idle_power(), np.float64),
    )
    return Tables(sensors, mine_table, sensor_index, mine_index)


def _version(shard: Shard) -> tuple[Any, ...]:
    """Changes whenever a sensor or mine of the shard is added or edited (two aggregate queries)."""
    s = shard.sensors().aggregate(n=Count("id"), at=Max("updated_at"))
    m = shard.mines().aggregate(n=Count("id"), at=Max("updated_at"))
    return s["n"], s["at"], m["n"], m["at"]


# --- reading the readings table ------------------------------------------------------------------


def _epoch_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _cursor_seq(shard: Shard, *, lock: bool) -> int:
    EngineCursor.objects.get_or_create(shard=shard.name)
    rows = EngineCursor.objects.filter(shard=shard.name)
    if lock:
        rows = rows.select_for_update()
    return int(rows.values_list("last_seq", flat=True).get())


def _lag_ms() -> int:
    """PostgreSQL hands out ``seq`` at insert, not at commit: a reading may become visible after one
    with a higher seq. The worker leaves readings younger than this alone (setting
    ``MONITORING_ENGINE_LAG_MS``, default 500) so an ingest transaction has committed before the
    cursor passes it. SQLite serialises writers: no lag there."""
    return int(getattr(settings, "MONITORING_ENGINE_LAG_MS", 500))


def _fetch(shard: Shard, after: int, limit: int) -> tuple[np.ndarray, ...]:
    """(seq, sensor_id, ts, value, status) of the next readings of the shard, in seq order."""
    where, params = shard.sql("s.mine_id")
    young = "0"
    lag = _lag_ms()
    if connection.vendor == "postgresql" and lag > 0:
        young = "CASE WHEN r.received_at > clock_timestamp() - %s * interval '1 millisecond' THEN 1 ELSE 0 END"
    sql = (f"SELECT r.seq, r.sensor_id, {_epoch_sql('r.ts')}, r.value, r.status, {young} "  # noqa: S608
           "FROM monitoring_reading r JOIN monitoring_sensor s ON s.id = r.sensor_id "
           f"WHERE r.seq > %s{where} ORDER BY r.seq LIMIT %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, ([lag] if young != "0" else []) + [after, *params, limit])
        rows = cursor.fetchall()
    if not rows:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, np.empty(0, np.float64), empty
    seq = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    sensor = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    ts = np.fromiter((r[2] for r in rows), np.int64, len(rows))
    value = np.fromiter((r[3] for r in rows), np.float64, len(rows))
    status = np.fromiter((r[4] for r in rows), np.int64, len(rows))
    young_flags = np.fromiter((r[5] for r in rows), np.int64, len(rows))
    if young_flags.any():
        stop = int(np.argmax(young_flags > 0))
        seq, sensor, ts, value, status = seq[:stop], sensor[:stop], ts[:stop], value[:stop], status[:stop]
    return seq, sensor, ts, value, status


def _ids_sql(ids: Iterable[int]) -> str:
    """An IN list of integers (built from ints here, never from input)."""
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _last_readings(sensor_ids: list[int], upto: int) -> dict[int, tuple[int, float]]:
    """Sensor pk → (epoch ts, value) of its latest evaluated reading (seq ≤ ``upto``, not calibrating)."""
    found: dict[int, tuple[int, float]] = {}
    for start in range(0, len(sensor_ids), 500):
        chunk = sensor_ids[start:start + 500]
        sql = (f"SELECT r.sensor_id, {_epoch_sql('r.ts')}, r.value FROM monitoring_reading r "  # noqa: S608
               "WHERE r.seq IN (SELECT (SELECT r2.seq FROM monitoring_reading r2 WHERE r2.sensor_id = s.id "
               "AND r2.seq <= %s AND (r2.status & %s) = 0 ORDER BY r2.ts DESC LIMIT 1) "
               f"FROM monitoring_sensor s WHERE s.id IN ({_ids_sql(chunk)}))")
        with connection.cursor() as cursor:
            cursor.execute(sql, [upto, CALIBRATING])
            for sensor_id, ts, value in cursor.fetchall():
                found[int(sensor_id)] = (int(ts), float(value))
    return found


def _history(sensor_ids: list[int], since: int, upto: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluated readings (seq ≤ ``upto``, not calibrating) of some sensors from epoch ``since``."""
    if not sensor_ids:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    rows: list[tuple[int, int, float]] = []
    start_dt = dt.datetime.fromtimestamp(since, _UTC)
    for start in range(0, len(sensor_ids), 500):
        chunk = sensor_ids[start:start + 500]
        sql = (f"SELECT r.sensor_id, {_epoch_sql('r.ts')}, r.value FROM monitoring_reading r "  # noqa: S608
               f"WHERE r.sensor_id IN ({_ids_sql(chunk)}) AND r.ts >= %s AND r.seq <= %s AND (r.status & %s) = 0")
        with connection.cursor() as cursor:
            cursor.execute(sql, [start_dt, upto, CALIBRATING])
            rows += cursor.fetchall()
    return (np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.int64),
            np.array([r[2] for r in rows], np.float64))


# --- state ---------------------------------------------------------------------------------------


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def _open_alarms(shard: Shard) -> QuerySet[Alarm]:
    return Alarm.objects.filter(ended_at__isnull=True, mine__in=shard.mines())


def rebuild_state(shard: Shard, tables: Tables, *, now: int | None = None) -> engine.EngineState:
    """The engine state as the database knows it, up to the shard's cursor.

    The last evaluated reading per sensor; for sensors whose next reading may depend on more than
    that (a duration, repeat or gas-work grace rule with the condition holding, or a repeat rule at
    all) their recent readings are replayed through the engine to recover run starts; then the
    open alarms set the open flags (the database is authoritative), so the next batch continues
    open episodes instead of duplicating them."""
    sensors, mines, sensor_index, mine_index = tables
    n, m = len(sensors.ids), len(mines.ids)
    now = int(time.time()) if now is None else int(now)
    upto = _cursor_seq(shard, lock=False)
    state = engine.EngineState.empty(n, m, created=now)
    if n == 0:
        return state
    last = _last_readings(sensors.ids.tolist(), upto)
    for pk, (ts, value) in last.items():
        i = sensor_index.get(pk)
        if i is not None:
            state.last_ts[i], state.last_value[i] = ts, value
    heard = state.last_ts != engine.NEVER
    np.maximum.at(state.last_data, sensors.mine[heard], state.last_ts[heard])

    # Sensors whose run starts matter: replay their recent readings on a scratch state.
    lv = state.last_value
    with np.errstate(invalid="ignore"):
        high = (lv >= sensors.alarm_high) & (sensors.min_duration > 0)
        low = (lv < sensors.alarm_low) & (sensors.min_duration > 0)
        gas = (sensors.kind == engine.KIND_CODES["ch4"]) & (sensors.feed >= 0) & (lv >= sensors.cut_high)
    repeat = (sensors.repeat_count > 0) & (sensors.repeat_window > 0)
    need = heard & (high | low | gas | repeat)
    if need.any():
        feeds = sensors.feed[need & gas]
        replay = np.union1d(np.flatnonzero(need), feeds[feeds >= 0])
        window = np.maximum(sensors.min_duration, np.where(repeat, sensors.repeat_window, 0))
        window = np.where(gas, np.maximum(window, engine.GAS_WORK_GRACE_S), window)
        span = int(min(REBUILD_WINDOW_MAX_S, window[replay].max() + 1))
        since = int(state.last_ts[replay].max()) - span
        ids, ts, values = _history(sensors.ids[replay].tolist(), since, upto)
        if len(ids):
            scratch = engine.EngineState.empty(n, m, created=now)
            index = np.array([sensor_index[int(pk)] for pk in ids], np.int64)
            scratch, _ = engine.evaluate(sensors, mines, scratch, index, ts, values)
            for name in ("high_since", "low_since", "gas_since"):
                getattr(state, name)[replay] = getattr(scratch, name)[replay]
            for name in ("high_starts", "low_starts"):
                target = getattr(state, name)
                source = getattr(scratch, name)
                if target.shape != source.shape:
                    target = np.full(source.shape, engine.NEVER, np.int64)
                    setattr(state, name, target)
                target[replay] = source[replay]
    # Open alarms: the database is authoritative.
    flags = {AlarmKind.HIGH: ("high_open", "high_since"), AlarmKind.LOW: ("low_open", "low_since"),
             AlarmKind.POWER_CUT: ("cut_open", None), AlarmKind.GAS_WORK: ("gas_open", "gas_since"),
             AlarmKind.STALE: ("stale_open", None)}
    mine_flags = {AlarmKind.OVER_HEADCOUNT: "over_open", AlarmKind.HIDDEN_OPERATION: "hidden_open",
                  AlarmKind.COMM_LOSS: "comm_open"}
    for sensor_id, mine_id, kind, started, last_value in _open_alarms(shard).values_list(
            "sensor_id", "mine_id", "kind", "started_at", "last_value"):
        if sensor_id is None:
            j = mine_index.get(mine_id)
            if j is not None and kind in mine_flags:
                getattr(state, mine_flags[kind])[j] = True
            continue
        i = sensor_index.get(sensor_id)
        if i is None or kind not in flags:
            continue
        open_name, since_name = flags[kind]
        getattr(state, open_name)[i] = True
        if since_name and getattr(state, since_name)[i] == engine.NEVER:
            getattr(state, since_name)[i] = _epoch(started)
        if kind != AlarmKind.STALE and state.last_ts[i] < _epoch(started):
            # The reading that opened it was evaluated (the cursor was moved back since): readings
            # up to it are history, not news.
            state.last_ts[i] = _epoch(started)
            if last_value is not None:
                state.last_value[i] = last_value
    state.refresh()
    return state


# --- persisting events ---------------------------------------------------------------------------


def _when(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(ts), _UTC)


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def persist_events(events: engine.Events, tables: Tables,
                   readings: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                   accepted: np.ndarray | None = None) -> tuple[int, int]:
    """Store the engine's transitions; returns (alarms opened, alarms closed). Callers hold the
    transaction.

    Opening an alarm already open for the same sensor (or mine) and kind is a no-op, and so is
    opening one whose episode (same start) is already stored; a close ends only the open alarm.
    A stale alarm of a mine with an open communication-loss alarm is suppressed by it
    (``inhibited_by``). With ``readings`` (sensor index, epoch ts, value of the batch) the peak
    and last values of the alarms the batch touched are brought up to date; ``accepted`` marks the
    readings the engine did not treat as late (only those can be an alarm's last value)."""
    sensors, mines, _si, _mi = tables
    sensor_ids, mine_ids = sensors.ids, mines.ids
    touched: dict[int, Alarm] = {}
    created: list[Alarm] = []
    n_closed = 0
    if len(events):
        kinds = [engine.ALARM_NAMES[k] for k in events.kind.tolist()]
        ev_mines = mine_ids[events.mine].tolist()
        ev_sensors = [int(sensor_ids[s]) if s >= 0 else None for s in events.sensor.tolist()]
        involved = set(ev_mines)
        open_now: dict[tuple[Any, int, str], Alarm] = {
            (a.sensor_id, a.mine_id, a.kind): a for a in Alarm.objects.filter(ended_at__isnull=True,
                                                                               mine_id__in=involved)}
        opening = events.opened
        stored: dict[tuple[Any, int, str, dt.datetime], Alarm] = {}
        if opening.any():
            low, high = _when(events.ts[opening].min()), _when(events.ts[opening].max())
            stored = {(a.sensor_id, a.mine_id, a.kind, a.started_at): a for a in Alarm.objects.filter(
                mine_id__in=involved, started_at__gte=low, started_at__lte=high)}
        for i, (kind, mine_id, sensor_id) in enumerate(zip(kinds, ev_mines, ev_sensors, strict=True)):
            key = (sensor_id, mine_id, kind)
            at = _when(events.ts[i])
            if events.opened[i]:
                current = open_now.get(key)
                if current is not None and current.ended_at is None:
                    continue  # already open: the same episode
                existing = stored.get((*key, at))
                if existing is not None:  # the same episode, stored by an earlier run of this batch
                    open_now[key] = existing  # if it has ended already, its close is a no-op
                    continue
                value = _num(events.value[i])
                alarm = Alarm(mine_id=mine_id, sensor_id=sensor_id, kind=kind, severity=engine.SEVERITY[kind],
                              started_at=at, threshold=_num(events.threshold[i]), peak_value=value,
                              last_value=value)
                created.append(alarm)
                open_now[key] = alarm
            else:
                alarm = open_now.get(key)
                if alarm is None or alarm.ended_at is not None or at < alarm.started_at:
                    continue  # nothing open, or a replayed close of an episode before this one
                del open_now[key]
                alarm.ended_at = at
                if kind in VALUE_KINDS and not math.isnan(events.value[i]):  # the reading that ended it
                    alarm.last_value = float(events.value[i])
                n_closed += 1
                if alarm.pk is not None:
                    touched[alarm.pk] = alarm
    if readings is not None and len(readings[0]):
        _update_values(tables, readings, accepted, touched, created)
    if created:  # with their final values: one INSERT
        Alarm.objects.bulk_create(created, batch_size=1000)
    if touched:  # existing alarms: few in practice
        Alarm.objects.bulk_update(list(touched.values()), ["ended_at", "peak_value", "last_value"], batch_size=100)
    if len(events):
        _inhibit(open_now, {m for m, k in zip(ev_mines, kinds, strict=True)
                            if k in (AlarmKind.COMM_LOSS, AlarmKind.STALE)})
    return len(created), n_closed


def _inhibit(open_now: dict[tuple[Any, int, str], Alarm], mines: set[int]) -> None:
    """Open stale alarms of a mine under an open communication-loss alarm point to it."""
    for mine_id in sorted(mines):
        loss = open_now.get((None, mine_id, AlarmKind.COMM_LOSS))
        if loss is not None and loss.pk is not None and loss.ended_at is None:
            Alarm.objects.filter(mine_id=mine_id, kind=AlarmKind.STALE, ended_at__isnull=True,
                                 inhibited_by__isnull=True).update(inhibited_by=loss)


def _update_values(tables: Tables, readings: tuple[np.ndarray, np.ndarray, np.ndarray],
                   accepted: np.ndarray | None, touched: dict[int, Alarm], created: list[Alarm]) -> None:
    """Peak (lowest for a low alarm) and last value of each sensor alarm over its episode's part of
    the batch; over_headcount alarms follow the mine's headcount sensors. The number of open
    alarms is small: one binary search per alarm over the batch sorted by (sensor, ts)."""
    sensors, _m, sensor_index, mine_index = tables
    s, t, v = readings
    ok = np.ones(len(s), bool) if accepted is None else accepted
    order = np.lexsort((t, s))
    s, t, v, ok = s[order], t[order], v[order], ok[order]
    in_batch = set(sensors.ids[np.unique(s)].tolist())
    headcount = engine.KIND_CODES["headcount"]
    hc_by_mine: dict[int, list[int]] = {}
    for idx in np.unique(s[sensors.kind[s] == headcount]).tolist():
        hc_by_mine.setdefault(int(sensors.mine[idx]), []).append(idx)
    # Every open measured alarm (open alarms are few: that is what makes them alarms), kept when the
    # batch has readings for it — no IN list of the batch's sensors, which may be tens of thousands.
    hc_mines = {int(tables.mines.ids[j]) for j in hc_by_mine}
    candidates = [a for a in Alarm.objects.filter(ended_at__isnull=True, kind__in=PEAK_KINDS)
                  if a.pk not in touched and (a.sensor_id in in_batch or (
                      a.kind == AlarmKind.OVER_HEADCOUNT and a.mine_id in hc_mines))]
    seen: set[int] = set()
    for alarm in [*touched.values(), *created, *candidates]:
        if id(alarm) in seen or alarm.kind not in PEAK_KINDS:
            continue
        seen.add(id(alarm))
        if alarm.sensor_id is not None:
            idx = sensor_index.get(alarm.sensor_id)
            groups = [] if idx is None else [idx]
        else:
            groups = hc_by_mine.get(mine_index.get(alarm.mine_id, -1), []) if alarm.kind == "over_headcount" else []
        lo_t = _epoch(alarm.started_at)
        hi_t = _epoch(alarm.ended_at) if alarm.ended_at is not None else None
        values, last_at, last_value = [], None, None
        for idx in groups:
            a, b = np.searchsorted(s, idx, "left"), np.searchsorted(s, idx, "right")
            ta = a + np.searchsorted(t[a:b], lo_t, "left")
            tb = b if hi_t is None else a + np.searchsorted(t[a:b], hi_t, "right")
            if tb <= ta:
                continue
            values.append(v[ta:tb])
            good = np.flatnonzero(ok[ta:tb])
            if len(good) and (last_at is None or t[ta + good[-1]] >= last_at):
                last_at, last_value = int(t[ta + good[-1]]), float(v[ta + good[-1]])
        if not values:
            continue
        window = np.concatenate(values)
        extreme = float(window.min() if alarm.kind == AlarmKind.LOW else window.max())
        peak = alarm.peak_value
        if peak is None or (extreme < peak if alarm.kind == AlarmKind.LOW else extreme > peak):
            alarm.peak_value = extreme
        if last_value is not None and alarm.ended_at is None:
            alarm.last_value = last_value
        if alarm.pk is not None:
            touched[alarm.pk] = alarm


# --- the loop ------------------------------------------------------------------------------------


@dataclass
class _Loaded:
    version: tuple[Any, ...]
    tables: Tables
    state: engine.EngineState
    seq: int  # the cursor the state corresponds to


_LOADED: dict[Shard, _Loaded] = {}


def forget(shard: Shard | None = None) -> None:
    """Drop the cached tables (all shards when None): the next run reloads and rebuilds."""
    if shard is None:
        _LOADED.clear()
    else:
        _LOADED.pop(shard, None)


def _load(shard: Shard, now: int) -> _Loaded:
    version = _version(shard)
    tables = load_tables(shard)
    state = rebuild_state(shard, tables, now=now)
    loaded = _Loaded(version, tables, state, _cursor_seq(shard, lock=False))
    _LOADED[shard] = loaded
    return loaded


def _close_orphans(shard: Shard, tables: Tables, now: dt.datetime) -> int:
    """End open alarms of sensors no longer active (or mines without active sensors) in the shard."""
    live = Sensor.objects.filter(mine_id=OuterRef("mine_id"), active=True)
    stale = _open_alarms(shard).filter(Q(sensor__isnull=False, sensor__active=False)
                                       | Q(sensor__isnull=True) & ~Exists(live))
    return Alarm.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).update(ended_at=now)


def run_once(shard: Shard, state: engine.EngineState | None = None, *, max_rows: int = 50_000,
             now: int | None = None) -> tuple[engine.EngineState, dict[str, Any]]:
    """Evaluate the next batch of the shard's readings and the clock; store the alarm transitions
    and advance the cursor in one transaction. Returns the engine state (the one given, updated in
    place, or a rebuilt one when the sensors, mines or cursor changed underneath) and statistics:
    rows read, rows evaluated, alarms opened / closed, the cursor, whether more rows are waiting,
    and the seconds spent."""
    started = time.perf_counter()
    now = int(time.time()) if now is None else int(now)
    loaded = _LOADED.get(shard)
    version = _version(shard)
    reloaded = False
    if loaded is None or loaded.version != version or (
            state is not None and len(state.last_ts) != len(loaded.tables.sensors.ids)):
        loaded = _load(shard, now)
        reloaded = True
    elif state is not None:
        loaded.state = state  # the caller's state for the same tables
    try:
        with transaction.atomic():
            seq = _cursor_seq(shard, lock=True)
            if seq != loaded.seq:  # another worker moved the cursor, or it was reset: follow the database
                loaded = _load(shard, now)
                reloaded = True
            seqs, sensor_ids, ts, values, status = _fetch(shard, seq, max_rows)
            tables = loaded.tables
            position, known = _positions(tables.sensors.ids, sensor_ids)
            if not known.all() and not reloaded:
                # A sensor added since the tables were loaded: load them again before evaluating.
                loaded = _load(shard, now)
                reloaded = True
                tables = loaded.tables
                position, known = _positions(tables.sensors.ids, sensor_ids)
            if reloaded:
                _close_orphans(shard, tables, _when(now))
            usable = known & ((status & CALIBRATING) == 0)
            index = position[usable]
            ts_u, values_u = ts[usable], values[usable]
            state = loaded.state
            prior = state.last_ts[index] if len(index) else np.empty(0, np.int64)
            state, batch_events = engine.evaluate(tables.sensors, tables.mines, state, index, ts_u, values_u)
            state, clock_events = engine.check_clock(tables.sensors, tables.mines, state, now)
            events = _concat(batch_events, clock_events)
            opened, closed = persist_events(events, tables, readings=(index, ts_u, values_u),
                                            accepted=ts_u > prior)
            last = int(seqs[-1]) if len(seqs) else seq
            if last != seq:
                EngineCursor.objects.filter(shard=shard.name).update(last_seq=last, updated_at=timezone.now())
            loaded.seq = last
            loaded.state = state
    except Exception:
        forget(shard)  # the state ran ahead of the database: rebuild from it next time
        raise
    stats = {"shard": shard.name, "rows": len(seqs), "evaluated": len(index), "events": len(events),
             "opened": opened, "closed": closed, "last_seq": last, "more": len(seqs) >= max_rows,
             "reloaded": reloaded, "seconds": time.perf_counter() - started}
    return state, stats


def _positions(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row index of each pk in ``wanted`` within the sorted ``ids`` (load_tables orders by pk), and
    whether it is there at all."""
    pos = np.searchsorted(ids, wanted)
    clipped = np.minimum(pos, max(len(ids) - 1, 0))
    found = (pos < len(ids)) & (ids[clipped] == wanted) if len(ids) else np.zeros(len(wanted), bool)
    return clipped.astype(np.int64), found


def _concat(a: engine.Events, b: engine.Events) -> engine.Events:
    if not len(b):
        return a
    if not len(a):
        return b
    return engine.Events(*(np.concatenate((getattr(a, f), getattr(b, f))) for f in
                           ("kind", "sensor", "mine", "opened", "ts", "value", "threshold")))


# --- falsification scan --------------------------------------------------------------------------

_AREA_SUFFIXES = ("掘进工作面", "掘进回风", "回采工作面", "工作面", "回风巷", "进风巷", "上隅角", "馈电", "回风",
                  "进风")


def _area_of(code: str, place: str, location: str) -> str:
    """The working area (face or heading) a sensor belongs to, for the detectors that compare a
    sensor with its neighbours: the sensors of one face share its airflow and gas emission.
    Mine-wide and return sensors form their own groups; otherwise the point code's prefix before
    its last "-" (``F1-T1`` → ``F1``), or the place name's first word without the position
    ("1201 回风巷" → "1201", "F2工作面" → "F2")."""
    if location == "total_return":
        return "TR"
    if location in ("mine", "dam", "slope"):
        return location.upper()
    if "-" in code.strip("-"):
        return code.rsplit("-", 1)[0]
    words = place.split()
    head = words[0] if words else ""
    for suffix in _AREA_SUFFIXES:
        head = head.split(suffix)[0]
    return head


def _json_safe(value: Any) -> Any:
    """Evidence as JSON PostgreSQL accepts (no NaN or infinity; numpy scalars as Python numbers)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def falsification_step() -> int:
    """Grid step (seconds) the readings are put on for the detectors; setting
    ``MONITORING_FALSIFICATION_STEP`` (default 10 s, the detectors' tuning; GB 50581 polling ≤ 30 s)."""
    return int(getattr(settings, "MONITORING_FALSIFICATION_STEP", 10))


def shard_mine_ids(shard: Shard) -> list[int]:
    """The shard's mines that have active sensors."""
    return sorted(set(shard.sensors().filter(active=True).values_list("mine_id", flat=True)))


def scan_falsification(shard: Shard, now: int | dt.datetime | None = None, hours: float = 24, *,
                       mine_ids: Iterable[int] | None = None) -> int:
    """Run the falsification detectors (``falsification.detect_all``) over each mine's readings of
    the last ``hours`` and store their flags; returns the number of new flags.

    A flag whose sensor and pattern already have a flag with an overlapping window is not stored
    again: an open one is extended (window end, score, explanation and evidence of the longer
    finding), a decided one stays as the regulator left it. So the scan, run every few minutes
    over a sliding day, flags each suspicious episode once."""
    if now is None:
        now = int(time.time())
    elif isinstance(now, dt.datetime):
        now = int(now.timestamp())
    start = int(now - hours * 3600)
    step = falsification_step()
    created = 0
    for mine_id in (shard_mine_ids(shard) if mine_ids is None else mine_ids):
        sensors = list(Sensor.objects.filter(mine_id=mine_id, active=True).order_by("id").values(
            "id", "code", "kind", "location", "place", "alarm_high", "alarm_low", "cut_high", "restore_high",
            "feed_sensor_id"))
        if not sensors:
            continue
        codes = {s["id"]: s["code"] for s in sensors}
        metas = [falsification.SensorMeta(
            code=s["code"], kind=s["kind"], location=s["location"], place=s["place"],
            group=_area_of(s["code"], s["place"], s["location"]), alarm_high=_float(s["alarm_high"]),
            alarm_low=_float(s["alarm_low"]), cut_high=_float(s["cut_high"]), restore_high=_float(s["restore_high"]),
            feed=codes.get(s["feed_sensor_id"], "")) for s in sensors]
        index = {s["id"]: i for i, s in enumerate(sensors)}
        sql = (f"SELECT sensor_id, {_epoch_sql('ts')}, value, status FROM monitoring_reading "  # noqa: S608
               f"WHERE sensor_id IN ({_ids_sql(index)}) AND ts >= %s AND ts <= %s")
        with connection.cursor() as cursor:
            cursor.execute(sql, [_when(start), _when(now)])
            rows = cursor.fetchall()
        if not rows:
            continue
        streams = falsification.Streams.from_readings(
            metas, np.fromiter((index[r[0]] for r in rows), np.int64, len(rows)),
            np.fromiter((r[1] for r in rows), np.int64, len(rows)),
            np.fromiter((r[2] for r in rows), np.float64, len(rows)),
            np.fromiter((r[3] for r in rows), np.int32, len(rows)),
            step=step, start=start // step * step, end=now + 1)
        flags = falsification.detect_all(streams)
        if flags:
            created += _store_flags(mine_id, {s["code"]: s["id"] for s in sensors}, flags)
    return created


def _store_flags(mine_id: int, sensor_ids: dict[str, int], flags: list[Any]) -> int:
    created = 0
    with transaction.atomic():
        first = _when(min(f.window_start for f in flags))
        existing = list(FalsificationFlag.objects.select_for_update().filter(
            mine_id=mine_id, window_end__gte=first))
        for flag in flags:
            sensor_id = sensor_ids.get(flag.sensor_code)
            if sensor_id is None:
                continue
            a, b = _when(flag.window_start), _when(flag.window_end)
            same = [x for x in existing if x.sensor_id == sensor_id and x.pattern == flag.pattern
                    and x.window_start <= b and x.window_end >= a]
            if same:
                old = same[0]
                if old.status == FlagStatus.OPEN and b > old.window_end:
                    old.window_end = b
                    old.score = max(old.score, float(flag.score))
                    old.explanation, old.evidence = flag.explanation, _json_safe(flag.evidence)
                    old.save(update_fields=["window_end", "score", "explanation", "evidence"])
                continue
            new = FalsificationFlag.objects.create(
                mine_id=mine_id, sensor_id=sensor_id, pattern=flag.pattern, window_start=a, window_end=b,
                score=float(flag.score), explanation=flag.explanation, evidence=_json_safe(flag.evidence))
            existing.append(new)
            created += 1
    return created
