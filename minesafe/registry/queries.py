"""Read-side queries for the registry: dashboard counts, licence warnings, list filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from minesafe.registry.choices import MineStatus, Sector
from minesafe.registry.models import Mine, MineStatusChange
from minesafe.rules.licences import LICENCE_WARNING_DAYS
from minesafe.rules.mine_attributes import SECTOR_PROFILES

__all__ = ["dashboard", "licence_filter", "licence_warnings", "status_trend"]

# Status changes worth a regulator's trend line: halts, resumptions and closures.
TREND_STATUSES = (("rectification", "orange"), ("production", "green"), ("closed", "black"))

NO_MINING_LICENCE_SECTORS = [code for code, p in SECTOR_PROFILES.items() if not p.needs_mining_licence]
LICENCE_FIELDS = ("mining_licence_valid_until", "safety_licence_valid_until")


def licence_filter(state: str, today: dt.date) -> Q:
    """Q for mines with at least one licence in ``state`` (expired / expiring / missing)."""
    horizon = today + dt.timedelta(days=LICENCE_WARNING_DAYS)
    cond = Q(pk__in=[])
    for f in LICENCE_FIELDS:
        if state == "expired":
            cond |= Q(**{f"{f}__lt": today})
        elif state == "expiring":
            cond |= Q(**{f"{f}__gte": today, f"{f}__lte": horizon})
        elif state == "missing":
            missing = Q(**{f"{f}__isnull": True})
            if f == "mining_licence_valid_until":  # tailings ponds hold no mining licence of their own
                missing &= ~Q(sector__in=NO_MINING_LICENCE_SECTORS)
            cond |= missing
    return cond


def licence_warnings(mines: QuerySet[Mine], today: dt.date) -> QuerySet[Mine]:
    """Non-closed mines with a licence expiring within 90 days, soonest first."""
    return (
        mines.exclude(status=MineStatus.CLOSED)
        .filter(licence_filter("expiring", today))
        .select_related("enterprise", "county")
        .order_by("safety_licence_valid_until", "mining_licence_valid_until")
    )


def _counted(rows: list[dict[str, Any]], key: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    total = max((r["n"] for r in rows), default=0) or 1
    return [{"key": r[key], "label": labels.get(r[key], r[key]), "n": r["n"], "pct": round(100 * r["n"] / total)}
            for r in rows]


def dashboard(mines: QuerySet[Mine], today: dt.date, changes: QuerySet[MineStatusChange] | None = None
              ) -> dict[str, Any]:
    """Counts by sector, status and county, and licence warnings, over an already scoped queryset."""
    by_sector = list(mines.values("sector").annotate(n=Count("id")).order_by("-n"))
    by_status = list(mines.values("status").annotate(n=Count("id")).order_by("-n"))
    by_county = list(
        mines.values("county_id", "county__name").annotate(n=Count("id")).order_by("-n", "county_id")[:15]
    )
    for row in by_county:
        row["label"] = row["county__name"]
    active = mines.exclude(status=MineStatus.CLOSED)
    return {
        "total": mines.count(),
        "by_sector": _counted(by_sector, "sector", dict(Sector.choices)),
        "by_status": _counted(by_status, "status", dict(MineStatus.choices)),
        "by_county": _counted([{**r, "key": r["county_id"]} for r in by_county], "key",
                              {r["county_id"]: r["label"] for r in by_county}),
        "expiring": licence_warnings(mines, today)[:50],
        "expiring_count": licence_warnings(mines, today).count(),
        "expired_count": active.filter(licence_filter("expired", today)).count(),
        "rectification_count": mines.filter(status=MineStatus.RECTIFICATION).count(),
        "trend": status_trend(changes, today) if changes is not None else None,
    }


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for i in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - i, 12)
        out.append(dt.date(year, month + 1, 1))
    return out


def status_trend(changes: QuerySet[MineStatusChange], today: dt.date, months: int = 12) -> dict[str, Any]:
    """Monthly counts of status changes into rectification, production and closure.

    ``changes`` must already be scoped. Registration entries (no previous status) are not changes.
    Returns the months, one series per status and the chart's maximum, ready for an SVG bar chart.
    """
    starts = _month_starts(today, months)
    rows = (
        changes.exclude(from_status="")
        .filter(effective_date__gte=starts[0], effective_date__lte=today,
                to_status__in=[s for s, _c in TREND_STATUSES])
        .annotate(month=TruncMonth("effective_date"))
        .values("month", "to_status")
        .annotate(n=Count("id"))
    )
    counts = {(r["month"].replace(day=1) if r["month"] else None, r["to_status"]): r["n"] for r in rows}
    series = [
        {"status": status, "colour": colour, "counts": [counts.get((m, status), 0) for m in starts]}
        for status, colour in TREND_STATUSES
    ]
    peak = max((n for s in series for n in s["counts"]), default=0)
    return {"months": starts, "series": series, "max": peak}
