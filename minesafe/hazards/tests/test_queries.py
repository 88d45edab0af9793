"""动态清零 figures, the roll-up by division (each level adds up to the level above) and the trend."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minesafe.accounts.choices import Role
from minesafe.core.errors import NotFound
from minesafe.hazards import queries, services, tally
from minesafe.hazards.models import Hazard
from minesafe.registry.models import Mine
from minesafe.testing.factories import World, mine, regulator, user

TODAY = dt.date(2026, 11, 23)
FIGURES = (*queries.ADDITIVE_KEYS, "zeroing_rate", "by_status", "by_source")


def hazard(m: Mine, actor, *, found_on: dt.date, status: str = "registered", deadline: dt.date | None = None,
           closed_on: dt.date | None = None, listed: bool = False, source: str = "self_check") -> Hazard:
    created = Hazard.objects.create(
        mine=m, source=source, standard_code="metal-ug-2022", category_code="metal-ug-2022.1",
        category_family="metal-ug-2022.1", description="未按设计形成两个独立安全出口", location="-120m 中段",
        found_on=found_on, found_by="检查组", status=status, deadline=deadline, closed_on=closed_on, listed=listed,
        registered_by=actor,
    )
    tally.bump([(m.county_id, found_on, closed_on, 1)])  # as the services do
    return created


def figures(stats: dict[str, Any]) -> dict[str, Any]:
    return {key: stats[key] for key in FIGURES}


@pytest.mark.django_db
def test_ledger_stats_definitions(world: World) -> None:
    a, actor = world.mine_a, world.province_leader
    hazard(a, actor, found_on=dt.date(2026, 11, 2))  # new this month, open, no deadline yet
    hazard(a, actor, found_on=dt.date(2026, 3, 1), status="rectifying", deadline=TODAY - dt.timedelta(days=1),
           listed=True, source="inspection")  # overdue and listed
    hazard(a, actor, found_on=dt.date(2026, 3, 1), status="rectifying", deadline=TODAY)  # the deadline day: not overdue
    hazard(a, actor, found_on=dt.date(2026, 2, 1), status="closed", deadline=dt.date(2026, 1, 1),
           closed_on=dt.date(2026, 11, 1))  # closed this month, never overdue once closed
    hazard(a, actor, found_on=dt.date(2025, 12, 31), status="closed", closed_on=dt.date(2026, 10, 31),
           source="tip_off")  # last year's finding, closed last month
    hazard(a, actor, found_on=dt.date(2025, 6, 1), status="awaiting_verification", deadline=dt.date(2025, 9, 1),
           source="monitoring")  # overdue stock from last year
    hazard(a, actor, found_on=dt.date(2025, 3, 1), status="closed", deadline=dt.date(2025, 5, 1),
           closed_on=dt.date(2025, 12, 30), source="inspection")  # closed out last year: history, not counted
    hazard(world.mine_b, actor, found_on=dt.date(2026, 11, 3))  # other county
    stats = queries.ledger_stats(Hazard.objects.visible_to(world.county_inspector), TODAY)
    assert {k: stats[k] for k in queries.ADDITIVE_KEYS} == {
        "stock": 4, "increment": 1, "closed_this_month": 1, "overdue": 2, "listed": 1,
        "year_found": 4, "year_closed": 1,
    }
    assert stats["zeroing_rate"] == 25.0
    # the stock by status plus what was closed out this year; the stock by source
    assert stats["by_status"] == {"registered": 1, "rectifying": 2, "awaiting_verification": 1, "closed": 2}
    assert stats["by_source"] == {"self_check": 2, "inspection": 1, "tip_off": 0, "monitoring": 1}
    # a closed hazard has a deadline in the past but is not overdue: the queryset agrees
    assert stats["overdue"] == Hazard.objects.visible_to(world.county_inspector).overdue(TODAY).count()
    # the same figures over the province include the other county's new hazard
    province = queries.ledger_stats(Hazard.objects.visible_to(world.province_inspector), TODAY)
    assert (province["stock"], province["increment"], province["zeroing_rate"]) == (5, 2, 20.0)
    empty = queries.ledger_stats(Hazard.objects.none(), TODAY)
    assert empty["zeroing_rate"] is None and empty["stock"] == 0 and sum(empty["by_status"].values()) == 0


@pytest.mark.django_db
def test_ledger_stats_follow_the_service_lifecycle(world: World, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    leader = world.county_leader
    scoped = Hazard.objects.visible_to(leader)
    h = services.register_hazard(actor=world.ent_principal, mine=world.mine_a, today=TODAY, data={
        "source": "self_check", "category_code": "metal-ug-2022.1", "description": "安全出口不符合要求",
        "location": "-120m 中段", "found_on": TODAY - dt.timedelta(days=40), "found_by": "矿长"})
    before = queries.ledger_stats(scoped, TODAY)
    assert (before["stock"], before["increment"], before["year_found"], before["zeroing_rate"]) == (1, 0, 1, 0.0)
    services.start_rectification(actor=world.ent_principal, hazard=h, today=TODAY - dt.timedelta(days=30), plan={
        "responsible_person": "张三", "measures": "补建安全出口", "funds_yuan": Decimal("50000"),
        "deadline": TODAY - dt.timedelta(days=2), "contingency_plan": "停止中段作业"})
    assert queries.ledger_stats(scoped, TODAY)["overdue"] == 1
    services.apply_for_closure(actor=world.ent_principal, hazard=h, note="已整改", today=TODAY,
                               evidence=[SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof", "application/pdf")])
    services.verify_closure(actor=leader, hazard=h, method="on_site", today=TODAY)
    after = queries.ledger_stats(scoped, TODAY)
    assert (after["stock"], after["overdue"], after["closed_this_month"], after["zeroing_rate"]) == (0, 0, 1, 100.0)
    assert after["by_status"]["closed"] == 1


def _demo_like(world: World) -> None:
    """Hazards in five counties of two cities (鞍山 2103, 阜新 2109), with every kind of figure."""
    actor = world.province_leader
    mines = [
        world.mine_a,
        mine(actor, world.ent_a, county="210323", name="岫岩二矿"),
        mine(actor, world.ent_a, county="210381", name="海城矿"),
        mine(actor, world.ent_a, county="210302", name="铁东矿"),
        world.mine_b,
        mine(actor, world.ent_b, county="210922", name="彰武矿"),
    ]
    shapes = itertools.cycle([
        {"found_on": dt.date(2026, 11, 5)},
        {"found_on": dt.date(2026, 4, 9), "status": "rectifying", "deadline": dt.date(2026, 10, 1), "listed": True},
        {"found_on": dt.date(2026, 6, 1), "status": "closed", "closed_on": dt.date(2026, 11, 20),
         "source": "inspection"},
        {"found_on": dt.date(2025, 7, 1), "status": "awaiting_verification", "deadline": dt.date(2026, 12, 1),
         "source": "tip_off"},
        {"found_on": dt.date(2024, 12, 1), "status": "closed", "closed_on": dt.date(2025, 3, 1),
         "source": "monitoring"},
        {"found_on": dt.date(2026, 1, 1), "status": "closed", "closed_on": dt.date(2026, 2, 1)},
        {"found_on": dt.date(2026, 9, 30), "status": "rectifying", "deadline": dt.date(2026, 11, 22)},
    ])
    for i, m in enumerate(mines):
        for _ in range(3 + 2 * i):
            hazard(m, actor, **next(shapes))


@pytest.mark.django_db
def test_rollup_levels_add_up(world: World) -> None:
    """Province → cities → counties → mines: every row equals the sum of the rows below it, and each
    level's rows add up to ledger_stats of the level."""
    _demo_like(world)
    leader = world.province_leader
    province = queries.rollup(leader, None, TODAY)
    assert [r["code"] for r in province][:3] == ["2101", "2102", "2103"] and len(province) == 14
    level = queries.dashboard_level(leader, None)
    assert figures(queries.sum_stats(province)) == figures(queries.ledger_stats(level.hazards, TODAY))
    assert queries.sum_stats(province)["stock"] == Hazard.objects.exclude(status="closed").count()
    nonzero = {r["code"] for r in province if sum(r["by_status"].values())}
    assert nonzero == {"2103", "2109"}
    checked = 0
    for city_row in province:
        counties = queries.rollup(leader, city_row["code"], TODAY)
        assert figures(queries.sum_stats(counties)) == figures(city_row), city_row["code"]
        for county_row in counties:
            if not sum(county_row["by_status"].values()):
                continue
            mines = queries.rollup(leader, county_row["code"], TODAY)
            assert {r["kind"] for r in mines} == {"mine"}
            assert figures(queries.sum_stats(mines)) == figures(county_row), county_row["code"]
            county_level = queries.dashboard_level(leader, county_row["code"])
            assert figures(queries.ledger_stats(county_level.hazards, TODAY)) == figures(county_row)
            checked += 1
    assert checked == 5
    anshan = next(r for r in province if r["code"] == "2103")
    assert anshan["name"] == "鞍山市" and anshan["stock"] > 0 and anshan["overdue"] > 0
    assert 0 < anshan["zeroing_rate"] < 100
    # the same level seen by the city's own regulator (its default view) gives the same rows
    own = queries.rollup(world.city_leader, None, TODAY)
    assert [(r["code"], figures(r)) for r in own] == [(r["code"], figures(r)) for r in
                                                      queries.rollup(leader, "2103", TODAY)]
    # a mine row is one mine; the county with two mines lists both, most open hazards first
    xiuyan = queries.rollup(world.county_leader, None, TODAY)
    assert [r["name"] for r in xiuyan] == ["岫岩二矿", "甲矿"]
    assert xiuyan[0]["stock"] >= xiuyan[1]["stock"]


@pytest.mark.django_db
def test_national_level_rolls_up_provinces(world: World) -> None:
    _demo_like(world)
    national = user("national_leader", Role.REG_LEADER, regulator("CN", "国家矿山安全监察局"))
    rows = queries.rollup(national, None, TODAY)
    assert len(rows) > 30 and {r["code"] for r in rows if r["stock"]} == {"21"}
    liaoning = next(r for r in rows if r["code"] == "21")
    assert figures(liaoning) == figures(queries.sum_stats(queries.rollup(national, "21", TODAY)))
    assert queries.dashboard_level(national, None).ledger_division == ""
    assert queries.dashboard_level(national, "2103").ledger_division == "2103"


@pytest.mark.django_db
def test_drill_down_stays_inside_the_scope(world: World) -> None:
    _demo_like(world)
    city = world.city_leader
    assert [r["code"] for r in queries.rollup(city, None, TODAY)] == [
        "210302", "210303", "210304", "210311", "210321", "210323", "210381"]
    level = queries.dashboard_level(city, "210323")
    assert [d.code for d in level.path] == ["2103", "210323"] and level.child_level == "mine"
    for who, code in [(city, "2109"), (city, "21"), (city, "CN"), (city, "210902"), (city, "99"), (city, "2103xx"),
                      (world.county_inspector, "2103"), (world.other_county_inspector, "210323"),
                      (world.province_leader, "CN"), (world.province_leader, "1101"),
                      (world.ent_principal, "210323")]:
        with pytest.raises(NotFound):
            queries.rollup(who, code, TODAY)
    for nobody in (world.sys_admin, world.audit_admin):
        with pytest.raises(NotFound):
            queries.rollup(nobody, None, TODAY)
    # the neighbouring county sees its own mine only
    assert [r["name"] for r in queries.rollup(world.other_county_inspector, None, TODAY)] == ["乙矿"]
    # an enterprise sees mine rows for its own mines, in every county they are in
    own = queries.rollup(world.ent_principal, None, TODAY)
    assert {r["name"] for r in own} == {"甲矿", "岫岩二矿", "海城矿", "铁东矿"}
    ent_total = queries.ledger_stats(Hazard.objects.visible_to(world.ent_principal), TODAY)
    assert figures(queries.sum_stats(own)) == figures(ent_total)
    assert queries.dashboard_level(world.ent_principal).ledger_division == ""


@pytest.mark.django_db
def test_monthly_trend(world: World) -> None:
    a, actor = world.mine_a, world.province_leader
    hazard(a, actor, found_on=dt.date(2026, 11, 1))
    hazard(a, actor, found_on=dt.date(2026, 11, 20), status="closed", closed_on=dt.date(2026, 11, 22))
    hazard(a, actor, found_on=dt.date(2025, 12, 1), status="closed", closed_on=dt.date(2026, 2, 28))
    hazard(a, actor, found_on=dt.date(2025, 11, 30), status="closed", closed_on=dt.date(2025, 12, 31))  # too early
    hazard(world.mine_b, actor, found_on=dt.date(2026, 5, 5))  # out of the county's scope
    trend = queries.monthly_trend(Hazard.objects.visible_to(world.county_inspector), TODAY)
    assert trend["months"][0] == dt.date(2025, 12, 1) and trend["months"][-1] == dt.date(2026, 11, 1)
    assert len(trend["months"]) == 12
    assert trend["new"] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert trend["closed"] == [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert trend["max"] == 2
    short = queries.monthly_trend(Hazard.objects.visible_to(world.province_inspector), dt.date(2026, 1, 15), months=3)
    assert short["months"] == [dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1)]
    assert short["new"] == [1, 1, 0] and short["closed"] == [0, 1, 0]
