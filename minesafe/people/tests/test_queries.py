"""Read-side aggregations: the month-end trend over stored snapshots and the division summary."""

from __future__ import annotations

import datetime as dt

import pytest

from minesafe.people import queries
from minesafe.people.models import Finding, MineCheck
from minesafe.registry.models import Mine

pytestmark = pytest.mark.django_db


def test_trend_takes_each_mines_newest_check_per_month_end(world) -> None:
    today = dt.date(2026, 3, 15)
    for mine, as_of, n, halt in ((world.mine_a, dt.date(2026, 1, 10), 5, 1), (world.mine_a, dt.date(2026, 1, 20), 3, 0),
                                 (world.mine_a, dt.date(2026, 3, 1), 2, 0), (world.mine_b, dt.date(2026, 2, 5), 4, 2)):
        MineCheck.objects.create(mine=mine, as_of=as_of, rule_version="x", findings_count=n, halt_count=halt,
                                 is_current=False)
    data = queries.trend(MineCheck.objects.all(), today, months=4)
    assert data["months"] == [dt.date(2025, 12, 31), dt.date(2026, 1, 31), dt.date(2026, 2, 28), today]
    assert data["findings"] == [0, 3, 7, 6]
    assert data["halted"] == [0, 0, 1, 1]


def test_division_summary_counts_and_rate(world) -> None:
    check = MineCheck.objects.create(mine=world.mine_a, as_of=dt.date.today(), rule_version="x", findings_count=2,
                                     halt_count=1, employees=3, trained=2)
    for rule, consequence in (("people.staffing.missing", "halt_production"), ("people.drill.none", "rectify")):
        Finding.objects.create(check_run=check, mine=world.mine_a, rule_id=rule, message="m", citation="c",
                               consequence=consequence, severity="high", subject="mine")
    data = queries.division_summary(Mine.objects.all(), MineCheck.objects.all(), Finding.objects.all())
    assert data["rate"] == 66.6 and data["findings"] == 2 and data["halt_mine_count"] == 1
    assert [m.pk for m in data["halt_mines"]] == [world.mine_a.pk]
    assert {c: n for c, _label, n in data["by_consequence"]}["rectify"] == 1
