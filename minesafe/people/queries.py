"""Read-side aggregations over the stored findings (pages, API and exports share them)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet, Sum

from minesafe.people.choices import Consequence
from minesafe.people.models import MineCheck, Person
from minesafe.rules import people as rules
from minesafe.rules.hazards import add_months

__all__ = ["division_summary", "duplicate_count", "mine_summary", "trend"]

HALT = Consequence.HALT_PRODUCTION.value


def mine_summary(check: MineCheck | None) -> dict[str, Any]:
    """The numbers shown on a mine's compliance page."""
    if check is None:
        return {"check": None, "findings": 0, "halt": 0, "rate": None}
    return {"check": check, "findings": check.findings_count, "halt": check.halt_count, "rate": check.training_rate}


def division_summary(mines: QuerySet, checks: QuerySet, findings: QuerySet) -> dict[str, Any]:
    """Counts by rule and consequence, the training rate, and the mines with 责令停产整顿-level findings.

    ``mines``, ``checks`` and ``findings`` are already scoped (``visible_to``) and filtered alike.
    The training rate is over the current checks' rosters: Σ trained / Σ employees, rounded down
    like ``rules.people.annual_training_rate``.
    """
    current = checks.filter(is_current=True)
    totals = current.aggregate(employees=Sum("employees"), trained=Sum("trained"))
    employees, trained = totals["employees"] or 0, totals["trained"] or 0
    rate = rules.annual_training_rate(range(employees), range(trained)) if employees else None
    by_rule = list(findings.values("rule_id").annotate(n=Count("id")).order_by("-n", "rule_id"))
    by_consequence = dict(findings.values_list("consequence").annotate(n=Count("id")).order_by())
    labels = dict(Consequence.choices)
    halt_mines = list(mines.filter(pk__in=findings.filter(consequence=HALT).values("mine_id"))
                      .select_related("county", "enterprise").order_by("name")[:200])
    return {
        "mines": mines.count(),
        "reported": current.filter(employees__gt=0).count(),
        "employees": employees,
        "trained": trained,
        "rate": rate,
        "findings": sum(r["n"] for r in by_rule),
        "by_rule": by_rule,
        "by_consequence": [(c, labels[c], by_consequence.get(c, 0)) for c in Consequence.values],
        "halt_mines": halt_mines,
        "halt_mine_count": findings.filter(consequence=HALT).values("mine_id").distinct().count(),
    }


def trend(checks: QuerySet, today: dt.date, months: int = 12) -> dict[str, Any]:
    """Month-end totals of findings and of mines with 责令停产整顿-level findings, from the stored
    snapshots: for each month end, every mine's newest check dated on or before it."""
    month_ends = []
    first = today.replace(day=1)
    for back in range(months - 1, -1, -1):
        start = add_months(first, -back)
        end = add_months(start, 1) - dt.timedelta(days=1)
        month_ends.append(min(end, today))
    rows = checks.filter(as_of__lte=today).order_by("mine_id", "as_of", "id").values_list(
        "mine_id", "as_of", "findings_count", "halt_count")
    per_mine: dict[int, list[tuple[dt.date, int, int]]] = defaultdict(list)
    for mine_id, as_of, n, halt in rows:
        per_mine[mine_id].append((as_of, n, halt))
    findings = [0] * len(month_ends)
    halted = [0] * len(month_ends)
    for history in per_mine.values():
        i = 0
        latest: tuple[dt.date, int, int] | None = None
        for idx, end in enumerate(month_ends):
            while i < len(history) and history[i][0] <= end:
                latest = history[i]
                i += 1
            if latest is not None:
                findings[idx] += latest[1]
                halted[idx] += bool(latest[2])
    return {"months": month_ends, "findings": findings, "halted": halted}


def duplicate_count(person: Person) -> int:
    """How many roster entries of *other* enterprises carry the same ID number (blind index), e.g. a
    certificate holder registered at several mines (挂证). Counts only; the rows stay out of scope."""
    return Person.objects.filter(id_index=person.id_index).exclude(pk=person.pk).count()




