"""Storing sensor readings: the single write path for raw readings and their minute aggregates.

The three ways in (MQTT worker ``mqtt.py``, HTTP bulk endpoint ``views_ingest.py``, drop-folder files
``dropfolder.py``) all end in :func:`store`. Issue #6 requires every way to be idempotent and to
accept out-of-order data, so:

- a reading is keyed by (sensor, ts) and inserted with ``INSERT … ON CONFLICT (sensor_id, ts) DO
  NOTHING``: the same reading delivered twice (an MQTT redelivery after a crash, a file dropped
  twice, an HTTP retry) is stored once and reported as a duplicate;
- the minute aggregates (n, min, max, sum, last by ts) are updated from the rows the insert actually
  returned, in the same transaction, so a duplicate never counts twice and a late reading only
  replaces ``last_value`` when it is later than the minute's current last reading;
- readings flagged 标校 (calibrating, status bit 4, DOMAIN §5) are stored with their status; the
  engine and the falsification detectors decide what to do with them.

Readings are machine data, not user actions: no audit entry is written per batch (the gateway that
sent them is recorded in ``Gateway.last_seen``).

On PostgreSQL one statement does the work: the batch goes in as four arrays (``unnest``), the insert's
``RETURNING`` rows feed the aggregate upsert in a data-modifying CTE. On SQLite (embedded default) a
multi-row ``VALUES … ON CONFLICT DO NOTHING RETURNING`` per chunk, aggregated in Python.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from minesafe.monitoring.models import Sensor

__all__ = [
    "CALIBRATING",
    "PointReading",
    "StoreResult",
    "parse_csv",
    "parse_mqtt_payload",
    "parse_ndjson",
    "parse_status",
    "parse_ts",
    "parse_value",
    "store",
    "store_points",
]

CALIBRATING = 4  # DOMAIN §5 point-status bit 标校
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # an earlier time is a gateway clock that was never set
_EARLIEST_US = (EARLIEST - EPOCH) // dt.timedelta(microseconds=1)
_MS_THRESHOLD = 1e11  # epoch values above this cannot be seconds (year 5138): they are milliseconds
_SQLITE_CHUNK = 900  # rows per statement (5 parameters each; SQLite allows 32,766)
_STATUS_MAX = 2**31 - 1

UNKNOWN_SENSOR = "unknown or inactive sensor"
UNKNOWN_POINT = "unknown point code for this mine"
NOT_FINITE = "value is not a finite number"
IN_FUTURE = "timestamp is too far in the future"
TOO_EARLY = "timestamp before 2000-01-01"
BAD_TS = "timestamp is not ISO-8601 or epoch seconds"
BAD_STATUS = "status is not a non-negative integer"


def max_future_seconds() -> int:
    """How far ahead of the server clock a reading may be (gateway clock drift); default 5 minutes."""
    return int(getattr(settings, "MONITORING_MAX_FUTURE_SECONDS", 300))


@dataclass(frozen=True)
class StoreResult:
    """``stored``: rows inserted; ``duplicates``: valid readings already stored (or repeated within the
    batch); ``rejected``: (index in the input, reason) of invalid readings."""

    stored: int
    duplicates: int
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"stored": self.stored, "duplicates": self.duplicates,
                "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected]}


@dataclass(frozen=True)
class PointReading:
    """A reading addressed by point code (测点编码) as gateways send it; ``line`` is its 1-based
    position in the payload (NDJSON/CSV line, JSON array element, file record)."""

    line: int
    point: str
    ts: int  # epoch microseconds, UTC
    value: float
    status: int = 0


# ---------------------------------------------------------------------------------------------------
# Parsing the fields


def local_zone() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def parse_ts(raw: Any) -> int:
    """A reading time → epoch microseconds (UTC). Accepts aware or naive datetimes (naive = the
    platform's local time, ``TIME_ZONE``, as Chinese monitoring systems write it), ISO-8601 strings
    (``2025-03-01T08:00:00+08:00``, ``2025-03-01 08:00:00``) and epoch numbers or numeric strings in
    seconds (values above 1e11 are taken as milliseconds). Raises ValueError."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(BAD_TS)
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise ValueError(BAD_TS)
        try:
            raw = float(text) if text[0].isdigit() and "-" not in text and ":" not in text else None
        except ValueError:
            raw = None
        if raw is None:
            try:
                raw = dt.datetime.fromisoformat(text)
            except ValueError as exc:
                raise ValueError(BAD_TS) from exc
    if isinstance(raw, dt.datetime):
        if raw.tzinfo is None:
            raw = raw.replace(tzinfo=local_zone())
        return (raw - EPOCH) // dt.timedelta(microseconds=1)
    if isinstance(raw, int):
        return raw * 1000 if abs(raw) > _MS_THRESHOLD else raw * 1_000_000
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError(BAD_TS)
        return round(raw * 1000) if abs(raw) > _MS_THRESHOLD else round(raw * 1_000_000)
    raise ValueError(BAD_TS)


def parse_value(raw: Any) -> float:
    """A finite float from a number or numeric text; ValueError otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(NOT_FINITE)
    try:
        value = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(NOT_FINITE) from exc
    if not math.isfinite(value):
        raise ValueError(NOT_FINITE)
    return value


def parse_status(raw: Any) -> int:
    """A DOMAIN §5 status bitmask (empty = 0, normal); ValueError unless a non-negative integer."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, bool):
        raise ValueError(BAD_STATUS)
    try:
        status = int(raw.strip()) if isinstance(raw, str) else int(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(BAD_STATUS) from exc
    if (isinstance(raw, float) and raw != status) or not 0 <= status <= _STATUS_MAX:
        raise ValueError(BAD_STATUS)
    return status


def point_reading(line: int, obj: Any) -> PointReading:
    """One {"point", "ts", "value", "status"?} object → PointReading; ValueError with the reason."""
    if not isinstance(obj, dict):
        raise ValueError("not an object with point, ts and value")
    point = obj.get("point")
    if not isinstance(point, str | int) or isinstance(point, bool) or not str(point).strip():
        raise ValueError("missing point code")
    if "ts" not in obj or "value" not in obj:
        raise ValueError("missing ts or value")
    return PointReading(line, str(point).strip(), parse_ts(obj["ts"]), parse_value(obj["value"]),
                        parse_status(obj.get("status")))


Parsed = tuple[list[PointReading], list[tuple[int, str]]]


def parse_ndjson(text: str) -> Parsed:
    """NDJSON: one JSON object per line; blank lines skipped. Returns (readings, [(line, reason)])."""
    readings, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            readings.append(point_reading(number, json.loads(raw)))
        except json.JSONDecodeError:
            errors.append((number, "not valid JSON"))
        except ValueError as exc:
            errors.append((number, str(exc)))
    return readings, errors


def parse_csv(text: str) -> Parsed:
    """CSV with a header naming the columns point, ts, value and optionally status (any order);
    line numbers count the header as line 1. Raises ValueError when the header is unusable."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(rows, None)
    columns = [name.strip().lower() for name in header or []]
    if not {"point", "ts", "value"} <= set(columns):
        raise ValueError("the CSV header must name the columns point, ts and value")
    readings, errors = [], []
    for row in rows:
        number = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            errors.append((number, "more fields than the header"))
            continue
        try:
            readings.append(point_reading(number, dict(zip(columns, row, strict=False))))
        except ValueError as exc:
            errors.append((number, str(exc)))
    return readings, errors


def parse_mqtt_payload(payload: bytes) -> Parsed:
    """An MQTT message: a JSON array of reading objects (element numbers from 1) or NDJSON."""
    text = payload.decode("utf-8-sig")
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            return [], [(1, "not valid JSON")]
        readings, errors = [], []
        for number, item in enumerate(items, start=1):
            try:
                readings.append(point_reading(number, item))
            except ValueError as exc:
                errors.append((number, str(exc)))
        return readings, errors
    return parse_ndjson(text)


# ---------------------------------------------------------------------------------------------------
# Storing


def _normalise(readings: Iterable[Sequence[Any]], now_us: int) -> tuple[list[tuple[int, int, float, int]],
                                                                         list[tuple[int, str]], int]:
    """Validate; returns (rows sorted by sensor and ts, rejected, duplicates within the batch)."""
    rows: dict[tuple[int, int], tuple[int, int, float, int]] = {}
    rejected: list[tuple[int, str]] = []
    duplicates = 0
    horizon = now_us + max_future_seconds() * 1_000_000
    pending: list[tuple[int, int, int, float, int]] = []
    for index, reading in enumerate(readings):
        try:
            sensor_id, ts, value, status = reading
        except (TypeError, ValueError):
            rejected.append((index, "not a (sensor, ts, value, status) tuple"))
            continue
        try:
            if isinstance(sensor_id, bool) or not isinstance(sensor_id, int):
                raise ValueError(UNKNOWN_SENSOR)
            us = ts if isinstance(ts, int) and not isinstance(ts, bool) and abs(ts) > 10**13 else parse_ts(ts)
            if us > horizon:
                raise ValueError(IN_FUTURE)
            if us < _EARLIEST_US:
                raise ValueError(TOO_EARLY)
            pending.append((index, sensor_id, us, parse_value(value), parse_status(status)))
        except ValueError as exc:
            rejected.append((index, str(exc)))
    known = set(Sensor.objects.filter(pk__in={p[1] for p in pending}, active=True).values_list("pk", flat=True))
    for index, sensor_id, us, value, status in pending:
        if sensor_id not in known:
            rejected.append((index, UNKNOWN_SENSOR))
        elif (sensor_id, us) in rows:
            duplicates += 1
        else:
            rows[(sensor_id, us)] = (sensor_id, us, value, status)
    rejected.sort()
    return [rows[key] for key in sorted(rows)], rejected, duplicates


def store(readings: Iterable[Sequence[Any]], *, now: dt.datetime | None = None) -> StoreResult:
    """Validate and store readings ``(sensor_id, ts, value, status)``; ``ts`` is a datetime, an epoch
    number (seconds) or epoch microseconds as int (above 1e13, the internal form). Idempotent on
    (sensor, ts); out-of-order readings accepted. One transaction: readings and minute aggregates of
    the rows actually inserted commit together."""
    now = now or timezone.now()
    now_us = (now - EPOCH) // dt.timedelta(microseconds=1)
    rows, rejected, duplicates = _normalise(readings, now_us)
    if not rows:
        return StoreResult(0, duplicates, rejected)
    with transaction.atomic():
        inserted = _insert_postgres(rows, now) if connection.vendor == "postgresql" else _insert_sqlite(rows, now)
    return StoreResult(inserted, duplicates + len(rows) - inserted, rejected)


_PG_STORE = """
WITH input AS (
    SELECT sensor_id, to_timestamp(0) + us * interval '1 microsecond' AS ts, value, status
    FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::int[]) AS u(sensor_id, us, value, status)
), ins AS (
    INSERT INTO monitoring_reading (sensor_id, ts, value, status, received_at)
    SELECT sensor_id, ts, value, status, %s FROM input ORDER BY sensor_id, ts
    ON CONFLICT (sensor_id, ts) DO NOTHING
    RETURNING sensor_id, ts, value
), agg AS (
    SELECT sensor_id, date_trunc('minute', ts) AS minute, count(*) AS n, min(value) AS lo, max(value) AS hi,
           sum(value) AS total, (array_agg(value ORDER BY ts DESC))[1] AS last_value, max(ts) AS last_ts
    FROM ins GROUP BY 1, 2
), up AS (
    INSERT INTO monitoring_minuteaggregate AS a
        (sensor_id, minute, n, min_value, max_value, sum_value, last_value, last_ts)
    SELECT sensor_id, minute, n, lo, hi, total, last_value, last_ts FROM agg ORDER BY sensor_id, minute
    ON CONFLICT (sensor_id, minute) DO UPDATE SET
        n = a.n + excluded.n,
        min_value = LEAST(a.min_value, excluded.min_value),
        max_value = GREATEST(a.max_value, excluded.max_value),
        sum_value = a.sum_value + excluded.sum_value,
        last_value = CASE WHEN excluded.last_ts > a.last_ts THEN excluded.last_value ELSE a.last_value END,
        last_ts = GREATEST(a.last_ts, excluded.last_ts)
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM up)
"""


def _insert_postgres(rows: list[tuple[int, int, float, int]], now: dt.datetime) -> int:
    sensor_ids, stamps, values, statuses = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_PG_STORE, [sensor_ids, stamps, values, statuses, now])
        return int(cursor.fetchone()[0])


def _sqlite_ts(us: int) -> str:
    """The text Django's SQLite backend stores for an aware datetime (naive UTC, ``str()``)."""
    return str(dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=us))


_SQLITE_AGGREGATE = """
INSERT INTO monitoring_minuteaggregate (sensor_id, minute, n, min_value, max_value, sum_value, last_value, last_ts)
VALUES {values}
ON CONFLICT (sensor_id, minute) DO UPDATE SET
    n = monitoring_minuteaggregate.n + excluded.n,
    min_value = MIN(monitoring_minuteaggregate.min_value, excluded.min_value),
    max_value = MAX(monitoring_minuteaggregate.max_value, excluded.max_value),
    sum_value = monitoring_minuteaggregate.sum_value + excluded.sum_value,
    last_value = CASE WHEN excluded.last_ts > monitoring_minuteaggregate.last_ts
                      THEN excluded.last_value ELSE monitoring_minuteaggregate.last_value END,
    last_ts = MAX(monitoring_minuteaggregate.last_ts, excluded.last_ts)
"""


def _insert_sqlite(rows: list[tuple[int, int, float, int]], now: dt.datetime) -> int:
    received = _sqlite_ts((now - EPOCH) // dt.timedelta(microseconds=1))
    by_text: dict[tuple[int, str], int] = {}
    inserted: list[tuple[int, int, float]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _SQLITE_CHUNK):
            chunk = rows[start:start + _SQLITE_CHUNK]
            params: list[Any] = []
            for sensor_id, us, value, status in chunk:
                text = _sqlite_ts(us)
                by_text[(sensor_id, text)] = us
                params += [sensor_id, text, value, status, received]
            cursor.execute(
                "INSERT INTO monitoring_reading (sensor_id, ts, value, status, received_at) VALUES "  # noqa: S608
                + ",".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                + " ON CONFLICT (sensor_id, ts) DO NOTHING RETURNING sensor_id, ts, value", params)
            # the ts column comes back as a datetime (Django's converters) or text: both print the same
            inserted += [(sensor_id, by_text[(sensor_id, str(ts))], value)
                         for sensor_id, ts, value in cursor.fetchall()]
        aggregates: dict[tuple[int, int], list[Any]] = {}
        for sensor_id, us, value in inserted:
            key = (sensor_id, us - us % 60_000_000)
            agg = aggregates.get(key)
            if agg is None:
                aggregates[key] = [1, value, value, value, us, value]
                continue
            agg[0] += 1
            agg[1] = min(agg[1], value)
            agg[2] = max(agg[2], value)
            agg[3] += value
            if us > agg[4]:
                agg[4], agg[5] = us, value
        items = sorted(aggregates.items())
        for start in range(0, len(items), _SQLITE_CHUNK):
            chunk = items[start:start + _SQLITE_CHUNK]
            params = []
            for (sensor_id, minute), (n, lo, hi, total, last_us, last_value) in chunk:
                params += [sensor_id, _sqlite_ts(minute), n, lo, hi, total, last_value, _sqlite_ts(last_us)]
            cursor.execute(_SQLITE_AGGREGATE.format(values=",".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))),
                           params)
    return len(inserted)


def resolve_points(mine_id: int, codes: Iterable[str]) -> dict[str, int]:
    """Point code → Sensor.pk for the active sensors of one mine (a gateway may only write its own
    mine's points)."""
    return dict(Sensor.objects.filter(mine_id=mine_id, code__in=set(codes), active=True).values_list("code", "pk"))


def store_points(mine_id: int, records: Sequence[PointReading], *, now: dt.datetime | None = None) -> StoreResult:
    """Store readings addressed by point code within one mine; rejected entries carry the record's
    ``line``. Unknown (or another mine's) point codes are rejected."""
    return store_mixed([(mine_id, record) for record in records], now=now)


def store_mixed(records: Sequence[tuple[int, PointReading]], *, now: dt.datetime | None = None) -> StoreResult:
    """Like :func:`store_points` for records of several mines ((mine_id, record) pairs, e.g. one MQTT
    batch); rejected entries carry the record's ``line``."""
    by_mine: dict[int, set[str]] = {}
    for mine_id, record in records:
        by_mine.setdefault(mine_id, set()).add(record.point)
    sensors = {(mine_id, code): pk for mine_id, codes in by_mine.items()
               for code, pk in resolve_points(mine_id, codes).items()}
    readings, lines, rejected = [], [], []
    for mine_id, record in records:
        sensor_id = sensors.get((mine_id, record.point))
        if sensor_id is None:
            rejected.append((record.line, UNKNOWN_POINT))
            continue
        readings.append((sensor_id, record.ts, record.value, record.status))
        lines.append(record.line)
    result = store(readings, now=now)
    rejected += [(lines[index], reason) for index, reason in result.rejected]
    return StoreResult(result.stored, result.duplicates, sorted(rejected))
