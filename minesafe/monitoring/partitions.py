"""The raw readings table: created by SQL so PostgreSQL can partition it by month.

SQLite (the embedded default) gets one plain table. PostgreSQL gets a table partitioned by range on
``ts`` with one partition per calendar month plus a default partition (a reading far in the past or
future is still stored); ``ensure`` creates the months around "now" and is called by the migration,
the ingest worker at start and ``manage.py monitoring_partitions`` (cron), which also drops months
older than the retention (DOMAIN §4.3: raw values of important points ≥ 3 months; the minute
aggregates are kept separately ≥ 2 years).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

TABLE = "monitoring_reading"

_SQLITE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sensor_id BIGINT NOT NULL,
    ts DATETIME NOT NULL,
    value REAL NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    received_at DATETIME NOT NULL,
    UNIQUE (sensor_id, ts)
)"""

_POSTGRES = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq BIGSERIAL NOT NULL,
        sensor_id BIGINT NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        status INTEGER NOT NULL DEFAULT 0,
        received_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (seq, ts),
        UNIQUE (sensor_id, ts)
    ) PARTITION BY RANGE (ts)""",
    f"CREATE TABLE IF NOT EXISTS {TABLE}_default PARTITION OF {TABLE} DEFAULT",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_seq ON {TABLE} (seq)",
]


def _month(day: dt.date, offset: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + offset
    return dt.date(index // 12, index % 12 + 1, 1)


def create(connection: Any) -> None:
    """Create the table (and, on PostgreSQL, its default partition and the months around today)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in _POSTGRES:
                cursor.execute(statement)
        else:
            cursor.execute(_SQLITE)
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_ts ON {TABLE} (ts)")
    ensure(connection)


def drop(connection: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}" + (" CASCADE" if connection.vendor == "postgresql" else ""))


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_{month:%Y%m}"


def ensure(connection: Any, today: dt.date | None = None, back: int = 3, ahead: int = 2) -> list[str]:
    """Create the monthly partitions from ``back`` months before to ``ahead`` months after today
    (PostgreSQL; nothing to do on SQLite). Returns the partitions created.

    A month can only be attached while the default partition holds no rows of it, so rows of that
    month already in the default partition are moved into the new partition in the same transaction.
    """
    if connection.vendor != "postgresql":
        return []
    today = today or dt.date.today()
    created = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # One caller at a time (the ingest worker at start and the cron job may overlap): without the
        # lock the second CREATE TABLE of the same month fails.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TABLE])
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s", [f"{TABLE}_2%"])
        existing = {row[0] for row in cursor.fetchall()}
        for offset in range(-back, ahead + 1):
            start, end = _month(today, offset), _month(today, offset + 1)
            name = partition_name(start)
            if name in existing:
                continue
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS _moving (LIKE {TABLE}) ON COMMIT DROP")
            cursor.execute("DELETE FROM _moving")
            # Identifiers and dates below are built here, never from input.
            cursor.execute(f"WITH moved AS (DELETE FROM {TABLE}_default WHERE ts >= %s AND ts < %s RETURNING *) "  # noqa: S608
                           f"INSERT INTO _moving SELECT * FROM moved", [start, end])
            cursor.execute(f"CREATE TABLE {name} PARTITION OF {TABLE} "
                           f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
            cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM _moving")  # noqa: S608
            created.append(name)
    return created


def drop_older_than(connection: Any, keep_months: int, today: dt.date | None = None) -> list[str]:
    """Drop the monthly partitions that end before the retention window (PostgreSQL); on SQLite
    delete the rows instead. Returns what was dropped (partition names, or ["<n> rows"])."""
    today = today or dt.date.today()
    cutoff = _month(today, -keep_months)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"DELETE FROM {TABLE} WHERE ts < %s", [cutoff])  # noqa: S608
            return [f"{cursor.rowcount} rows"]
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s AND relkind = 'r'", [f"{TABLE}_2%"])
        dropped = []
        for (name,) in cursor.fetchall():
            month = dt.date(int(name[-6:-2]), int(name[-2:]), 1)
            if _month(month, 1) <= cutoff:
                cursor.execute(f"DROP TABLE {name}")
                dropped.append(name)
        cursor.execute(f"DELETE FROM {TABLE}_default WHERE ts < %s", [cutoff])  # noqa: S608
        return sorted(dropped)
