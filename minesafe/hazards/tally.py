"""The per-county monthly hazard counters (``HazardTally``): written with every ledger write that
changes them, read by the division dashboards.

Invariant (checked by :func:`differences`, tested after every service): for each county, found
month and close-out month (0 = open), ``n`` is the number of the county's hazards with that found
month and close-out month. It holds because a hazard's mine, found date and close-out are only
set by ``register_hazard`` and ``verify_closure`` (a closed-out hazard never reopens), and a mine
moving county moves its counts (:func:`move_mine`, on ``registry.signals.mine_county_changed``).
Bulk loads that bypass the services (demo, benchmark) call :func:`rebuild`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count

from minesafe.hazards.models import Hazard, HazardTally

__all__ = ["bump", "differences", "month_key", "move_mine", "rebuild", "recount"]

Key = tuple[str, int, int]


def month_key(day: dt.date | None) -> int:
    """``2026-11-23`` → ``202611``; None (not closed) → 0."""
    return day.year * 100 + day.month if day is not None else 0


def bump(changes: Iterable[tuple[str, dt.date, dt.date | None, int]]) -> None:
    """Add ``delta`` to each (county, found on, closed on or None) counter, creating it at need.

    One upsert per counter (``INSERT … ON CONFLICT DO UPDATE``, SQLite ≥ 3.24 and PostgreSQL), so
    concurrent registrations in one county add up instead of racing on a read-modify-write.
    Callers hold the transaction of the write the change belongs to.
    """
    table = HazardTally._meta.db_table  # the model's own table name; the values are parameters
    sql = (f"INSERT INTO {table} (county_code, found_month, closed_month, n) VALUES (%s, %s, %s, %s) "  # noqa: S608
           f"ON CONFLICT (county_code, found_month, closed_month) DO UPDATE SET n = {table}.n + excluded.n")
    merged: Counter[Key] = Counter()
    for county, found_on, closed_on, delta in changes:
        merged[(county, month_key(found_on), month_key(closed_on))] += delta
    rows = [(*key, delta) for key, delta in sorted(merged.items()) if delta]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def recount(county_prefix: str = "") -> Counter[Key]:
    """The counters as the ledger says they should be (one grouped statement over the hazards)."""
    hazards = Hazard.objects.order_by()
    if county_prefix:
        hazards = hazards.filter(mine__county_id__startswith=county_prefix)
    counts: Counter[Key] = Counter()
    for county, found_on, closed_on, n in (hazards.values_list("mine__county_id", "found_on", "closed_on")
                                           .annotate(n=Count("id"))):
        counts[(county, month_key(found_on), month_key(closed_on))] += n
    return counts


def _stored(county_prefix: str = "") -> Counter[Key]:
    rows = HazardTally.objects.filter(county_code__startswith=county_prefix).exclude(n=0)
    return Counter({(c, f, k): n for c, f, k, n in rows.values_list("county_code", "found_month", "closed_month",
                                                                       "n")})


def differences(county_prefix: str = "") -> dict[Key, tuple[int, int]]:
    """Counters that disagree with the ledger: ``{(county, found, closed): (stored, expected)}``."""
    stored, expected = _stored(county_prefix), recount(county_prefix)
    return {key: (stored.get(key, 0), expected.get(key, 0))
            for key in sorted(set(stored) | set(expected)) if stored.get(key, 0) != expected.get(key, 0)}


def rebuild() -> int:
    """Replace every counter by a fresh count of the ledger (atomically); returns the counter rows."""
    with transaction.atomic():
        HazardTally.objects.all().delete()
        rows = [HazardTally(county_code=c, found_month=f, closed_month=k, n=n) for (c, f, k), n in recount().items()]
        HazardTally.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def move_mine(mine_id: int, old_county: str, new_county: str) -> None:
    """A mine moved to another county: its hazards' counts move with it (caller's transaction)."""
    if old_county == new_county:
        return
    changes: list[tuple[str, dt.date, dt.date | None, int]] = []
    for found_on, closed_on in Hazard.objects.filter(mine_id=mine_id).values_list("found_on", "closed_on"):
        changes += [(old_county, found_on, closed_on, -1), (new_county, found_on, closed_on, 1)]
    bump(changes)
