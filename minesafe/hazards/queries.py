"""Read side of the hazard ledger: the 动态清零 (dynamic zeroing) figures, the roll-up by division and
the monthly trend. Every function takes an already scoped queryset, or the user whose scope it
applies itself (``rollup``, ``dashboard_level``); nothing here writes.

Definitions (all relative to ``today``):

- stock (存量): open hazards, i.e. not closed out, whenever found;
- increment (增量): hazards found this calendar month (up to today);
- closed this month: hazards closed out (销号) this calendar month;
- overdue: open hazards whose latest approved deadline is before today (rules.hazards.is_overdue);
- listed: open hazards under an active 挂牌督办;
- zeroing rate (清零率): among hazards found this calendar year, closed / (closed + open), as a
  percentage with one decimal; None when none was found this year;
- by status: the stock by status, plus "closed" = closed out this year (together: this year's
  ledger, the open hazards plus those closed out this year);
- by source: the stock by source (where the open hazards came from).

Hazards closed out in earlier years are history: no figure reads them (see ``_branches``).

Each figure is additive (the zeroing rate is derived from the additive ``year_found`` and
``year_closed``), so a division's figures are the sum of its children's, which ``rollup`` relies on.
Each level is computed by one statement: the UNION ALL of an open-hazard branch and a
closed-this-year branch, grouped by child division (or mine).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr

from minesafe.accounts.models import NATIONAL_CODE, Division
from minesafe.core.errors import NotFound
from minesafe.core.querysets import code_prefix_q, scope_of
from minesafe.hazards.choices import HazardSource, HazardStatus
from minesafe.hazards.models import Hazard, HazardTally
from minesafe.hazards.tally import month_key

__all__ = [
    "ADDITIVE_KEYS", "DashboardLevel", "dashboard_level", "ledger_stats", "level_trend", "monthly_trend", "rollup",
    "rollup_level", "sum_stats",
]

CLOSED = HazardStatus.CLOSED.value
# Counters that add up across divisions; ``zeroing_rate`` is derived from year_found / year_closed.
ADDITIVE_KEYS = ("stock", "increment", "closed_this_month", "overdue", "listed", "year_found", "year_closed")
# Child code length below each division level; a county's children are its mines.
CHILD_LEVEL = {"national": ("province", 2), "province": ("city", 4), "city": ("county", 6), "county": ("mine", 0)}
DIVISION_FIELD = "mine__county__code"  # the join to the division is trimmed: mine.county_id
# What the conditional counts count: a NOT NULL column every hazard index for these figures holds
# (Django refuses Count("*") with a filter, and COUNT(id) would make PostgreSQL read the table).
COUNTED = "mine"


def _branches(hazards: QuerySet[Hazard], today: dt.date) -> list[tuple[QuerySet[Hazard], dict[str, Any]]]:
    """The figures as two disjoint branches, each a queryset and its conditional counts.

    Open hazards (the stock, whenever found) and hazards closed out this year together hold every
    row a figure needs: a hazard found this year and since closed was closed this year. Reading
    only these rows, instead of the whole ledger (mostly long-closed history), keeps the cost
    proportional to the live part of the ledger, and each branch is one index range (the open
    rows, closed_on >= 1 January). Columns a branch cannot contribute to are a constant 0.
    """
    month_start, year_start = today.replace(day=1), today.replace(month=1, day=1)
    zero = Value(0, output_field=IntegerField())
    found_in_month = Q(found_on__gte=month_start, found_on__lte=today)
    found_in_year = Q(found_on__gte=year_start, found_on__lte=today)
    open_counts: dict[str, Any] = {
        "stock": Count(COUNTED),
        "increment": Count(COUNTED, filter=found_in_month),
        "closed_this_month": zero,
        # rules.hazards.is_overdue on open rows (= HazardQuerySet.overdue)
        "overdue": Count(COUNTED, filter=Q(deadline__lt=today, deadline_met=False)),
        "listed": Count(COUNTED, filter=Q(listed=True)),
        "year_found": Count(COUNTED, filter=found_in_year),
        "year_closed": zero,
    }
    closed_counts: dict[str, Any] = {
        "stock": zero,
        "increment": Count(COUNTED, filter=found_in_month),
        "closed_this_month": Count(COUNTED, filter=Q(closed_on__gte=month_start)),
        "overdue": zero,
        "listed": zero,
        "year_found": Count(COUNTED, filter=found_in_year),
        "year_closed": Count(COUNTED, filter=found_in_year),
    }
    for status in HazardStatus.values:
        open_counts[f"status__{status}"] = zero if status == CLOSED else Count(COUNTED, filter=Q(status=status))
        closed_counts[f"status__{status}"] = Count(COUNTED) if status == CLOSED else zero
    for source in HazardSource.values:
        open_counts[f"source__{source}"] = Count(COUNTED, filter=Q(source=source))
        closed_counts[f"source__{source}"] = zero
    hazards = hazards.order_by()
    return [
        (hazards.exclude(status=CLOSED), open_counts),  # = HazardQuerySet.open()
        (hazards.filter(status=CLOSED, closed_on__gte=year_start, closed_on__lte=today), closed_counts),
    ]


def _statement(hazards: QuerySet[Hazard], today: dt.date, fields: tuple[str, ...], *, open_only: bool = False,
               **annotations: Any) -> QuerySet[Hazard]:
    """The UNION ALL of the two branches (or the open one only), each grouped by ``fields`` (after
    ``annotations``)."""
    branches = _branches(hazards, today)[: 1 if open_only else 2]
    first, *rest = (qs.annotate(**annotations).values(*fields).annotate(**counts) for qs, counts in branches)
    return first.union(*rest, all=True) if rest else first


def _merge(rows: Any, fields: tuple[str, ...], merged: dict[tuple[Any, ...], dict[str, Any]] | None = None
           ) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Add up rows of counts that share the values of ``fields``."""
    merged = {} if merged is None else merged
    for row in rows:
        into = merged.setdefault(tuple(row[f] for f in fields), {f: row[f] for f in fields})
        for name, value in row.items():
            if name not in fields:
                into[name] = into.get(name, 0) + (value or 0)
    return merged


def _counted(hazards: QuerySet[Hazard], today: dt.date, fields: tuple[str, ...], **annotations: Any
             ) -> list[dict[str, Any]]:
    """Raw counts grouped by ``fields``, in one statement; the two branches' rows added up per group."""
    return list(_merge(_statement(hazards, today, fields, **annotations), fields).values())


def _tally_closed(prefix: str, today: dt.date, child_length: int) -> QuerySet[HazardTally]:
    """The closed-this-year branch of :func:`_branches`, read from the per-county monthly counters
    (hazards.tally) instead of the ledger, grouped by the child division code (``child``).

    Month granularity is exact for the figures: a finding or close-out is never after today, so
    "found this month up to today" is "found this month" (the services refuse future dates).
    """
    this_month, january = month_key(today), month_key(today.replace(month=1))
    found_in_year = Q(found_month__gte=january, found_month__lte=this_month)
    rows = HazardTally.objects.order_by().filter(closed_month__gte=january, closed_month__lte=this_month)
    if prefix:
        rows = rows.filter(code_prefix_q("county_code", prefix))
    return (rows.annotate(child=Substr("county_code", 1, child_length)).values("child").annotate(
        increment=Sum("n", filter=Q(found_month=this_month)),
        closed_this_month=Sum("n", filter=Q(closed_month=this_month)),
        year_found=Sum("n", filter=found_in_year), year_closed=Sum("n", filter=found_in_year),
        **{f"status__{CLOSED}": Sum("n")},
    ))


def _division_counts(level: DashboardLevel, today: dt.date) -> dict[str, dict[str, Any]]:
    """Raw counts per child division of a division level: the open hazards from the ledger (one
    index range), everything about closed-out hazards from the counters."""
    assert level.division is not None
    child = Substr(DIVISION_FIELD, 1, level.child_length)
    merged = _merge(_statement(level.hazards, today, ("child",), open_only=True, child=child), ("child",))
    _merge(_tally_closed(level.division.scope_prefix, today, level.child_length), ("child",), merged)
    return {key[0]: row for key, row in merged.items()}


def _rate(closed: int, found: int) -> float | None:
    return round(100 * closed / found, 1) if found else None


def _shape(raw: dict[str, Any]) -> dict[str, Any]:
    """Flat aggregate columns → the stats dict (counts, zeroing rate, by_status, by_source)."""
    stats: dict[str, Any] = {key: raw.get(key) or 0 for key in ADDITIVE_KEYS}
    stats["zeroing_rate"] = _rate(stats["year_closed"], stats["year_found"])
    stats["by_status"] = {s: raw.get(f"status__{s}") or 0 for s in HazardStatus.values}
    stats["by_source"] = {s: raw.get(f"source__{s}") or 0 for s in HazardSource.values}
    return stats


def ledger_stats(hazards: QuerySet[Hazard], today: dt.date) -> dict[str, Any]:
    """The 动态清零 figures of an already scoped hazard queryset, in one statement.

    Returns ``{"stock", "increment", "closed_this_month", "overdue", "listed", "year_found",
    "year_closed": int, "zeroing_rate": float | None, "by_status": {status: n},
    "by_source": {source: n}}`` (every status and source present, zeros included).
    """
    rows = _counted(hazards, today, ("whole",), whole=Value(1, output_field=IntegerField()))
    return _shape(rows[0] if rows else {})


def sum_stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The stats of the union of disjoint rows (e.g. a roll-up): counters added, rate recomputed."""
    raw: dict[str, int] = {key: sum(r[key] for r in rows) for key in ADDITIVE_KEYS}
    for status in HazardStatus.values:
        raw[f"status__{status}"] = sum(r["by_status"][status] for r in rows)
    for source in HazardSource.values:
        raw[f"source__{source}"] = sum(r["by_source"][source] for r in rows)
    return _shape(raw)


@dataclass(frozen=True)
class DashboardLevel:
    """What a dashboard shows: a division (and its children) or an enterprise's own mines.

    ``division`` is None for enterprise users; ``child_level`` is "province", "city", "county" or
    "mine"; ``path`` runs from the user's own division down to ``division`` (breadcrumbs).
    """

    division: Division | None
    child_level: str
    child_length: int
    path: tuple[Division, ...]
    hazards: QuerySet[Hazard]

    @property
    def ledger_division(self) -> str:
        """The ``?division=`` value of the ledger list for this level ("" = no division filter)."""
        if self.division is None or self.division.code == NATIONAL_CODE:
            return ""
        return self.division.code


def dashboard_level(user: Any, division_code: str | None = None) -> DashboardLevel:
    """Resolve the division a dashboard looks at.

    A regulator sees its own division by default and may drill down to any division inside its
    jurisdiction; a code outside it (or unknown, or below county level) raises NotFound. Enterprise
    users see their own mines and have no divisions to choose (a code raises NotFound). Users with
    no business scope see nothing (NotFound).
    """
    scope = scope_of(user)
    visible = Hazard.objects.visible_to(user)
    if scope.is_enterprise:
        if division_code:
            raise NotFound(f"division {division_code}")
        return DashboardLevel(None, "mine", 0, (), visible)
    if not scope.is_regulator:
        raise NotFound("no business scope")
    own_code = scope.division_prefix or NATIONAL_CODE
    code = division_code or own_code
    if code != own_code and not code.startswith(scope.division_prefix):
        raise NotFound(f"division {code}")
    division = Division.objects.select_related("parent__parent__parent").filter(code=code).first()
    if division is None or division.level not in CHILD_LEVEL:
        raise NotFound(f"division {code}")
    child_level, child_length = CHILD_LEVEL[division.level]
    hazards = visible if code == own_code else visible.filter(code_prefix_q(DIVISION_FIELD, division.scope_prefix))
    path = [division]
    while path[0].code != own_code and path[0].parent_id is not None:
        path.insert(0, path[0].parent)
    return DashboardLevel(division, child_level, child_length, tuple(path), hazards)


def rollup(user: Any, level_division_code: str | None, today: dt.date) -> list[dict[str, Any]]:
    """One row per child of the viewed division (province → cities → counties → mines; national →
    provinces) with the :func:`ledger_stats` figures, computed with one statement grouped by the
    child's code (a prefix of the mine's county code) or by mine.

    Division rows list every child division, zeros included, ordered by code; mine rows list the
    mines with at least one hazard in the user's scope, most open hazards first. Each row also has
    ``kind`` ("division"/"mine"), ``code`` (division code or ""), ``mine_id`` (or None) and
    ``name``. The rows of a level add up to the level's own figures (see :func:`sum_stats`).
    Raises NotFound like :func:`dashboard_level`.
    """
    return rollup_level(dashboard_level(user, level_division_code), today)


def rollup_level(level: DashboardLevel, today: dt.date) -> list[dict[str, Any]]:
    """:func:`rollup` for an already resolved level (the dashboard view resolves it once)."""
    if level.child_level == "mine":
        found = _counted(level.hazards, today, ("mine_id", "mine__name"))
        rows = [{"kind": "mine", "code": "", "mine_id": r["mine_id"], "name": r["mine__name"], **_shape(r)}
                for r in found]
        rows.sort(key=lambda r: (-r["stock"], -r["overdue"], r["name"], r["mine_id"]))
        return rows
    found = _division_counts(level, today)
    assert level.division is not None
    names = dict(Division.objects.filter(parent_id=level.division.code).values_list("code", "name"))
    # A child code with no Division row (should not happen) still gets a row, so the sums hold.
    names.update({code: code for code in found if code not in names})
    return [{"kind": "division", "code": code, "mine_id": None, "name": names[code], **_shape(found.get(code, {}))}
            for code in sorted(names)]


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    last = today.year * 12 + today.month - 1
    starts = []
    for index in range(last - months + 1, last + 1):
        year, month = divmod(index, 12)
        starts.append(dt.date(year, month + 1, 1))
    return starts


def monthly_trend(hazards: QuerySet[Hazard], today: dt.date, months: int = 12) -> dict[str, Any]:
    """Hazards found (new) and closed out per calendar month over the last ``months`` months
    (this month included, up to today): ``{"months": [first days], "new": [n], "closed": [n],
    "max": n}``, ready for ``minesafe.core.charts.grouped_bars``. One statement."""
    starts = _month_starts(today, months)

    def per_month(field: str, kind: str) -> QuerySet[Hazard]:
        # The month as its index in ``starts``: date comparisons cost far less per row than
        # truncating each date (TruncMonth), which matters over a year of a large ledger.
        latest_first = reversed(list(enumerate(starts)))
        index = Case(*[When(**{f"{field}__gte": start}, then=Value(i)) for i, start in latest_first],
                     output_field=IntegerField())
        return (hazards.order_by().filter(**{f"{field}__gte": starts[0], f"{field}__lte": today})
                .annotate(kind=Value(kind), month=index).values("kind", "month").annotate(n=Count(COUNTED)))

    counts = {(r["kind"], r["month"]): r["n"]
              for r in per_month("found_on", "new").union(per_month("closed_on", "closed"), all=True)}
    series = {kind: [counts.get((kind, i), 0) for i in range(len(starts))] for kind in ("new", "closed")}
    return {"months": starts, **series, "max": max([*series["new"], *series["closed"], 0])}


def level_trend(level: DashboardLevel, today: dt.date, months: int = 12) -> dict[str, Any]:
    """:func:`monthly_trend` of a dashboard level: from the per-county counters for a division
    (a few rows per county and month), from the ledger for an enterprise's own mines."""
    if level.division is None:
        return monthly_trend(level.hazards, today, months)
    starts = _month_starts(today, months)
    keys = [month_key(start) for start in starts]
    rows = HazardTally.objects.order_by().filter(code_prefix_q("county_code", level.division.scope_prefix))
    new = (rows.filter(found_month__gte=keys[0], found_month__lte=keys[-1])
           .annotate(kind=Value("new"), month=F("found_month")).values("kind", "month").annotate(total=Sum("n")))
    closed = (rows.filter(closed_month__gte=keys[0], closed_month__lte=keys[-1])
              .annotate(kind=Value("closed"), month=F("closed_month")).values("kind", "month").annotate(total=Sum("n")))
    totals = {(r["kind"], r["month"]): r["total"] for r in new.union(closed, all=True)}
    series = {kind: [totals.get((kind, k)) or 0 for k in keys] for kind in ("new", "closed")}
    return {"months": starts, **series, "max": max([*series["new"], *series["closed"], 0])}
