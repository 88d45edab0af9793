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
    expired = mine(leader, world.ent_a, name="过期矿", safety_licence_valid_until=TODAY - dt.timedelta(days=1))
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
