"""Read side of the tip-off register: the KPI table per child division, its totals and the monthly
series. Nothing here writes; every function starts from ``Tipoff.objects.visible_to(user)``.

Definitions (a *cohort*: the reports received in the period [start, end], by local date of receipt;
merged duplicates are counted only in ``merged``, never as received):

- received: reports received in the period, merged duplicates excluded;
- accepted: ``rules.counts_as_accepted`` (受理数, the 核查处置率 denominator);
- declined: not accepted, with a reason (不予受理), whatever happened after (answered, closed);
- verified / verified_true: a verification result is recorded / it found the report true;
- disposed: ``rules.is_disposed`` (核查处置: verified untrue, or verified true and handled);
- in_time: disposed on or before the handling deadline (handled_on ≤ handling_due; verified_on ≤
  handling_due for a report found untrue);
- disposal_rate: ``rules.disposal_rate(disposed, accepted)`` (核查处置率, target 100%,
  ``rules.DISPOSAL_TARGET``);
- overdue: reports past a deadline *now* (``rules.overdue_flags`` on ``today``), whenever received —
  a backlog does not vanish when the period moves on;
- rewards_decided / reward_sum, rewards_paid / paid_sum: reward decisions (amount > 0) and recorded
  payments of the cohort, with their sums in yuan.

Every figure but the rate is additive, so a level's figures are the sum of its children's rows
(:func:`sum_rows`, tested). Tip-off volumes are small (thousands a year per province), so each level
is computed in Python from one ``values()`` query over the scoped reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from minesafe.accounts.models import NATIONAL_CODE, Division
from minesafe.core.errors import NotFound
from minesafe.core.querysets import code_prefix_q, scope_of
from minesafe.rules import tipoffs as rules
from minesafe.tipoffs.models import Tipoff

__all__ = [
    "COUNT_KEYS", "KPI_KEYS", "KpiLevel", "day_bounds", "kpi_level", "kpi_rows", "month_starts", "monthly_series",
    "row_figures",
    "sum_rows",
]

COUNT_KEYS = ("received", "accepted", "declined", "verified", "verified_true", "disposed", "in_time", "overdue",
              "rewards_decided", "rewards_paid")
SUM_KEYS = ("reward_sum", "paid_sum")
KPI_KEYS = COUNT_KEYS + SUM_KEYS
# Child code length below each division level; a county's children are its mines.
CHILD_LEVEL = {"national": ("province", 2), "province": ("city", 4), "city": ("county", 6), "county": ("mine", 0)}
FIELDS = ("division_id", "mine_id", "mine__name", "status", "received_at", "verified_true", "verified_on",
          "handled_on", "handling_due", "accept_due", "answer_due", "decline_reason", "reward_amount",
          "reward_decided_on", "reward_paid_on")
MERGED = rules.Status.MERGED.value


@dataclass(frozen=True)
class KpiLevel:
    """The division a KPI page looks at: its children (``child_level``: province/city/county/mine),
    the breadcrumb ``path`` from the user's own division and the scoped reports below it."""

    division: Division
    child_level: str
    child_length: int
    path: tuple[Division, ...]
    tipoffs: QuerySet[Tipoff]

    @property
    def list_division(self) -> str:
        """The list's ``?division=`` value for the whole level ("" = no filter)."""
        return "" if self.division.code == NATIONAL_CODE else self.division.code


def kpi_level(user: Any, division_code: str | None = None) -> KpiLevel:
    """A regulator's own division by default, or any division inside its jurisdiction; NotFound for
    a code outside it, unknown, below county level, or for a user who is not a regulator (the same
    semantics as ``hazards.queries.dashboard_level`` for regulators)."""
    scope = scope_of(user)
    if not scope.is_regulator:
        raise NotFound("no regulator scope")
    own_code = scope.division_prefix or NATIONAL_CODE
    code = (division_code or own_code).strip()[:12]
    if code != own_code and not (code.isascii() and code.startswith(scope.division_prefix)):
        raise NotFound(f"division {code}")
    division = Division.objects.select_related("parent__parent__parent").filter(code=code).first()
    if division is None or division.level not in CHILD_LEVEL:
        raise NotFound(f"division {code}")
    child_level, child_length = CHILD_LEVEL[division.level]
    visible = Tipoff.objects.visible_to(user)
    tipoffs = visible if code == own_code else visible.filter(code_prefix_q("division_id", division.scope_prefix))
    path = [division]
    while path[0].code != own_code and path[0].parent_id is not None:
        path.insert(0, path[0].parent)
    return KpiLevel(division, child_level, child_length, tuple(path), tipoffs)


# Days outside these are clamped: the local midnights of 0001-01-01 and 9999-12-31 + 1 day do not exist
# in UTC (OverflowError on a ?received_from=0001-01-01 or ?to=9999-12-31); no report is that old or new.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9999, 12, 30)


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone, for ``received_at`` (days
    clamped to [FIRST_DAY, LAST_DAY])."""
    start, end = min(max(start, FIRST_DAY), LAST_DAY), min(max(end, FIRST_DAY), LAST_DAY)
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def _empty() -> dict[str, Any]:
    return {**dict.fromkeys(COUNT_KEYS, 0), **dict.fromkeys(SUM_KEYS, Decimal("0"))}


def _in_time(r: dict[str, Any]) -> bool:
    due = r["handling_due"]
    if due is None:
        return False
    done = r["handled_on"] if r["verified_true"] else r["verified_on"]
    return done is not None and done <= due


def _add(figures: dict[str, Any], r: dict[str, Any], *, in_period: bool, today: dt.date) -> None:
    status, found = r["status"], r["verified_true"]
    if rules.overdue_flags(status=status, today=today, accept_due=r["accept_due"], handling_due=r["handling_due"],
                           answer_due=r["answer_due"]):
        figures["overdue"] += 1
    if not in_period or status == MERGED:
        return
    figures["received"] += 1
    accepted = rules.counts_as_accepted(status, found)
    figures["accepted"] += accepted
    figures["declined"] += bool(not accepted and r["decline_reason"])
    figures["verified"] += r["verified_on"] is not None
    figures["verified_true"] += found is True
    disposed = rules.is_disposed(status, found)
    figures["disposed"] += disposed
    figures["in_time"] += disposed and _in_time(r)
    if r["reward_decided_on"] is not None and r["reward_amount"]:
        figures["rewards_decided"] += 1
        figures["reward_sum"] += r["reward_amount"]
        if r["reward_paid_on"] is not None:
            figures["rewards_paid"] += 1
            figures["paid_sum"] += r["reward_amount"]


def _with_rate(figures: dict[str, Any]) -> dict[str, Any]:
    rate = rules.disposal_rate(figures["disposed"], figures["accepted"])
    figures["disposal_rate"] = rate
    figures["rate_percent"] = None if rate is None else (rate * 100).quantize(Decimal("0.01"))
    figures["below_target"] = rate is not None and rate < rules.DISPOSAL_TARGET
    return figures


def row_figures(rows: Iterable[dict[str, Any]], start: dt.date, end: dt.date, today: dt.date) -> dict[str, Any]:
    """The figures of a set of ``values(*FIELDS)`` rows (see the module docstring)."""
    lo, hi = day_bounds(start, end)
    figures = _empty()
    for r in rows:
        _add(figures, r, in_period=lo <= r["received_at"] < hi, today=today)
    return _with_rate(figures)


def _fetch(level: KpiLevel, start: dt.date, end: dt.date, today: dt.date) -> list[dict[str, Any]]:
    lo, hi = day_bounds(start, end)
    return list(level.tipoffs.order_by().filter(Q(received_at__gte=lo, received_at__lt=hi)
                                                | Tipoff.objects.overdue_q(today)).values(*FIELDS))


def kpi_rows(level: KpiLevel, start: dt.date, end: dt.date, today: dt.date) -> list[dict[str, Any]]:
    """One row per child of the level with its figures (two queries: the reports and the names).

    Division rows list every child division, zeros included, by code; at county level the rows are
    the mines with reports (most received first) and one row for reports whose mine is not yet
    identified (``mine_id`` None). Each row has ``kind`` ("division"/"mine"), ``code``,
    ``mine_id`` and ``name``.
    """
    fetched = _fetch(level, start, end, today)
    groups: dict[Any, list[dict[str, Any]]] = {}
    if level.child_level == "mine":
        names: dict[Any, str] = {}
        for r in fetched:
            groups.setdefault(r["mine_id"], []).append(r)
            names[r["mine_id"]] = r["mine__name"] or ""
        rows = [{"kind": "mine", "code": "", "mine_id": key, "name": names[key],
                 **row_figures(items, start, end, today)} for key, items in groups.items()]
        rows.sort(key=lambda row: (row["mine_id"] is None, -row["received"], -row["overdue"], row["name"]))
        return rows
    for r in fetched:
        groups.setdefault(r["division_id"][:level.child_length], []).append(r)
    children = dict(Division.objects.filter(parent_id=level.division.code).values_list("code", "name"))
    children.update({code: code for code in groups if code not in children})  # keeps the sums whole
    return [{"kind": "division", "code": code, "mine_id": None, "name": children[code],
             **row_figures(groups.get(code, []), start, end, today)} for code in sorted(children)]


def sum_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals of disjoint rows: counts and sums added, the rate recomputed."""
    totals = _empty()
    for row in rows:
        for key in KPI_KEYS:
            totals[key] += row[key]
    return _with_rate(totals)


def month_starts(today: dt.date, months: int = 12) -> list[dt.date]:
    last = today.year * 12 + today.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(last - months + 1, last + 1)]


def monthly_series(level: KpiLevel, today: dt.date, months: int = 12) -> dict[str, Any]:
    """Reports received (merged duplicates excluded) and disposed per calendar month over the last
    ``months`` months, this one included: ``{"months": [first days], "received": [n], "disposed": [n]}``.
    A report is disposed in the month of its handling (found true) or of its verification (found
    untrue), if it counts as disposed now (``rules.is_disposed``). One query."""
    starts = month_starts(today, months)
    first = starts[0]
    lo, _hi = day_bounds(first, today)
    rows = (level.tipoffs.order_by()
            .filter(Q(received_at__gte=lo) | Q(handled_on__gte=first) | Q(verified_on__gte=first))
            .values_list("status", "received_at", "verified_true", "verified_on", "handled_on"))
    index = {(s.year, s.month): i for i, s in enumerate(starts)}
    received, disposed = [0] * len(starts), [0] * len(starts)
    for status, received_at, found, verified_on, handled_on in rows:
        if status != MERGED:
            day = timezone.localdate(received_at)
            i = index.get((day.year, day.month))
            if i is not None and day <= today:
                received[i] += 1
        if rules.is_disposed(status, found):
            done = handled_on if found else verified_on
            i = index.get((done.year, done.month)) if done else None
            if i is not None and done <= today:
                disposed[i] += 1
    return {"months": starts, "received": received, "disposed": disposed}


MERGE_WINDOW = dt.timedelta(days=180)


def merge_candidates(user: Any, tipoff: Tipoff, limit: int = 10) -> list[Tipoff]:
    """Other reports the user can see about the same mine (or, for a described mine, the same county)
    received within 180 days of this one and still open: the likely duplicates to merge, earliest first."""
    same = Q(mine_id=tipoff.mine_id) if tipoff.mine_id else Q(mine__isnull=True, division_id=tipoff.division_id)
    return list(Tipoff.objects.visible_to(user).filter(same)
                .filter(received_at__gte=tipoff.received_at - MERGE_WINDOW,
                        received_at__lte=tipoff.received_at + MERGE_WINDOW)
                .exclude(pk=tipoff.pk).exclude(status__in=("closed", "merged", "declined"))
                .order_by("received_at", "pk")[:limit])
