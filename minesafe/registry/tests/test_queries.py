"""Dashboard counts and licence filters over scoped querysets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minesafe.registry import queries
from minesafe.registry.models import Mine
from minesafe.testing.factories import World, mine

TODAY = dt.date(2026, 11, 23)


@pytest.mark.django_db
def test_licence_filters_and_dashboard(world: World) -> None:
    leader = world.county_leader
    Mine.objects.filter(pk=world.mine_a.pk).update(safety_licence_valid_until=TODAY + dt.timedelta(days=90))
    expired = mine(leader, world.ent_a, name="过期矿", status="rectification",
                   safety_licence_valid_until=TODAY - dt.timedelta(days=1))
    pond = mine(leader, world.ent_a, name="尾矿库", sector="tailings", headcount_cap=None, production_levels=None,
                mining_licence_no="", mining_licence_valid_until=None, dam_height_m=Decimal("20"),
                tailings_capacity=Decimal("50"), tailings_grade=5)
    scoped = Mine.objects.visible_to(leader)
    expiring = set(scoped.filter(queries.licence_filter("expiring", TODAY)).values_list("name", flat=True))
    assert expiring == {"甲矿"}  # day 90 is inside the warning window
    assert set(scoped.filter(queries.licence_filter("expired", TODAY))) == {expired}
    # a tailings pond has no mining licence of its own: not "missing"
    assert pond not in scoped.filter(queries.licence_filter("missing", TODAY))
    data = queries.dashboard(scoped, TODAY)
    assert data["total"] == 3 and data["expiring_count"] == 1 and data["expired_count"] == 1
    assert {r["key"]: r["n"] for r in data["by_sector"]} == {"metal_underground": 2, "tailings": 1}
    assert data["by_county"][0]["label"] == "岫岩满族自治县"
    # the province sees the other county's mine too; the county does not
    assert queries.dashboard(Mine.objects.visible_to(world.province_leader), TODAY)["total"] == 4


@pytest.mark.django_db
def test_status_trend_counts_changes_per_month_in_scope(world: World) -> None:
    from minesafe.registry import services
    from minesafe.registry.models import MineStatusChange

    def change(m: Mine, target: str, when: dt.date, leader) -> None:
        services.change_mine_status(actor=leader, mine=m, target=target, reason="检查", document_no="文〔2026〕1号",
                                    effective_date=when, today=TODAY)

    Mine.objects.update(status_since=dt.date(2025, 1, 1))  # registered long before the changes below
    world.mine_a.refresh_from_db()
    world.mine_b.refresh_from_db()
    change(world.mine_a, "rectification", dt.date(2026, 3, 5), world.county_leader)
    change(world.mine_a, "production", dt.date(2026, 4, 20), world.county_leader)
    change(world.mine_b, "suspended", dt.date(2025, 10, 1), world.province_leader)  # before the 12-month window
    change(world.mine_b, "rectification", dt.date(2026, 4, 2), world.province_leader)
    trend = queries.status_trend(MineStatusChange.objects.visible_to(world.county_leader), TODAY)
    assert trend["months"][0] == dt.date(2025, 12, 1) and trend["months"][-1] == dt.date(2026, 11, 1)
    series = {s["status"]: s["counts"] for s in trend["series"]}
    assert series["rectification"][3] == 1 and series["rectification"][4] == 0  # mine_b is another county's
    assert series["production"][4] == 1  # the registration entry is not counted, the resumption is
    assert sum(series["closed"]) == 0
    province = queries.status_trend(MineStatusChange.objects.visible_to(world.province_leader), TODAY)
    assert {s["status"]: s["counts"] for s in province["series"]}["rectification"][4] == 1


def test_grouped_bars_geometry() -> None:
    from minesafe.core.charts import grouped_bars

    chart = grouped_bars(["a", "b"], [("x", "green", [0, 4]), ("y", "orange", [2, 1])], width=100, height=100)
    heights = {b.title: b.height for b in chart.bars}
    assert heights["a x: 0"] == 0 and heights["b x: 4"] > heights["a y: 2"] > heights["b y: 1"] > 0
    assert [label for _x, label in chart.labels] == ["a", "b"]


def test_polygon_points_fit_the_box() -> None:
    from minesafe.core.charts import polygon_points

    drawn = polygon_points([[123.0, 40.0], [123.02, 40.0], [123.02, 40.01], [123.0, 40.01]], width=100, height=50)
    coords = [tuple(map(float, p.split(","))) for p in drawn.split()]
    assert all(0 <= x <= 100 and 0 <= y <= 50 for x, y in coords)
    assert polygon_points([[1, 2], [3, 4]]) == ""
