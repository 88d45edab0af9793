"""The 动态清零 (dynamic zeroing) dashboard of the hazard ledger: KPI cards, the monthly trend and
the roll-up by division with drill-down (?division=<code>) and links to the filtered ledger list.

Ledger-list parameters used by the links: ``division`` (code prefix), ``mine`` (id), ``status``,
``source``, ``overdue=yes``, ``listed=yes``, ``found_from`` (ISO date), and two the list does not
read yet: ``open=yes`` (not closed out) and ``closed_from`` (ISO date, closed out on or after).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.decorators import requires
from minesafe.core.charts import grouped_bars
from minesafe.hazards import queries
from minesafe.hazards.choices import HAZARD_STATUS_COLOURS, HazardSource, HazardStatus

__all__ = ["dashboard"]


class _Links:
    """Ledger-list URLs for one row (or the whole level), by figure."""

    def __init__(self, base: str, scope: dict[str, Any], today: dt.date) -> None:
        self.base, self.scope = base, {k: v for k, v in scope.items() if v}
        self.month_start, self.year_start = today.replace(day=1).isoformat(), today.replace(month=1, day=1).isoformat()

    def _url(self, **params: Any) -> str:
        return f"{self.base}?{urlencode({**self.scope, **params})}" if self.scope or params else self.base

    @property
    def all(self) -> str:
        return self._url()

    @property
    def stock(self) -> str:
        return self._url(open="yes")

    @property
    def increment(self) -> str:
        return self._url(found_from=self.month_start)

    @property
    def closed_this_month(self) -> str:
        return self._url(status=HazardStatus.CLOSED, closed_from=self.month_start)

    @property
    def overdue(self) -> str:
        return self._url(overdue="yes")

    @property
    def listed(self) -> str:
        return self._url(listed="yes")  # close-out lifts the listing, so listed hazards are open ones

    def status(self, value: str) -> str:
        if value == HazardStatus.CLOSED:
            return self._url(status=value, closed_from=self.year_start)
        return self._url(status=value)

    def source(self, value: str) -> str:
        return self._url(source=value, open="yes")


@requires("hazards.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    code = request.GET.get("division", "").strip()[:12] or None
    level = queries.dashboard_level(request.user, code)  # NotFound (→ 404) outside the user's scope
    rows = queries.rollup_level(level, today)
    # The children partition the level, so its figures are the sum of the rows (tested against
    # queries.ledger_stats): one statement for the KPI cards and the table instead of two.
    stats = queries.sum_stats(rows)
    trend = queries.level_trend(level, today)
    base = reverse("hazards:hazard_list")
    for row in rows:
        row["links"] = _Links(base, {"division": row["code"], "mine": row["mine_id"]}, today)
        row["drill"] = row["kind"] == "division"
    links = _Links(base, {"division": level.ledger_division}, today)
    status_labels, source_labels = dict(HazardStatus.choices), dict(HazardSource.choices)
    by_status = [{"key": s, "label": status_labels[s], "n": n, "colour": HAZARD_STATUS_COLOURS[s],
                  "url": links.status(s)} for s, n in stats["by_status"].items()]
    by_source = [{"key": s, "label": source_labels[s], "n": n, "url": links.source(s)}
                 for s, n in stats["by_source"].items()]
    for group in (by_status, by_source):
        peak = max((g["n"] for g in group), default=0) or 1
        for g in group:
            g["pct"] = round(100 * g["n"] / peak)
    chart = grouped_bars(
        [m.strftime("%y-%m") for m in trend["months"]],
        [(_("New"), "orange", trend["new"]), (_("Closed out"), "green", trend["closed"])],
        width=960, height=200,
    )
    return render(request, "hazards/dashboard.html", {
        "today": today, "level": level, "stats": stats, "rows": rows, "links": links, "chart": chart,
        "by_status": by_status, "by_source": by_source,
    })
