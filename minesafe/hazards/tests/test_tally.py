"""The per-county monthly counters (hazards.tally): kept by the services, moved with a mine, checked
and rebuilt by the command, and giving the same dashboard figures as a count of the ledger."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from minesafe.accounts.models import Division
from minesafe.hazards import queries, services, tally
from minesafe.hazards.models import Hazard, HazardTally
from minesafe.registry.services import update_mine
from minesafe.testing.factories import World

TODAY = dt.date(2026, 11, 23)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _register(world: World, mine, found_on: dt.date, source: str = "inspection") -> Hazard:
    data = {"source": source, "category_code": "metal-ug-2022.1", "description": "安全出口不足两个",
            "location": "-120m 中段", "found_on": found_on, "found_by": "县局执法检查组"}
    return services.register_hazard(actor=world.county_leader if mine == world.mine_a else world.province_leader,
                                    mine=mine, data=data, today=found_on)


def _close(world: World, hazard: Hazard, on: dt.date) -> Hazard:
    plan = {"responsible_person": "王矿长", "measures": "新掘第二安全出口", "funds_yuan": Decimal("1000"),
            "deadline": on + dt.timedelta(days=30), "contingency_plan": "撤人"}
    hazard = services.start_rectification(actor=world.province_leader, hazard=hazard, plan=plan, today=on)
    hazard = services.apply_for_closure(actor=world.province_leader, hazard=hazard, note="已整改",
                                        evidence=[SimpleUploadedFile("done.png", PNG)], today=on)
    return services.verify_closure(actor=world.province_inspector, hazard=hazard, method="on_site", today=on)


def _random_ledger(world: World, seed: int, n: int = 24) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        found = TODAY - dt.timedelta(days=rng.randrange(0, 500))
        hazard = _register(world, rng.choice([world.mine_a, world.mine_b]), found)
        if rng.random() < 0.6:
            _close(world, hazard, min(TODAY, found + dt.timedelta(days=rng.randrange(0, 200))))


@pytest.mark.django_db
def test_services_keep_the_counters(world: World) -> None:
    first = _register(world, world.mine_a, dt.date(2026, 10, 5))
    _register(world, world.mine_a, dt.date(2026, 10, 20))
    assert tally.differences() == {}
    assert HazardTally.objects.get(county_code="210323", found_month=202610, closed_month=0).n == 2
    _close(world, first, dt.date(2026, 11, 2))
    assert tally.differences() == {}
    rows = {(t.found_month, t.closed_month): t.n for t in HazardTally.objects.filter(county_code="210323")}
    assert rows == {(202610, 0): 1, (202610, 202611): 1}


@pytest.mark.django_db
def test_a_mine_moving_county_moves_its_counts(world: World) -> None:
    _close(world, _register(world, world.mine_a, dt.date(2026, 9, 1)), dt.date(2026, 9, 30))
    _register(world, world.mine_a, dt.date(2026, 11, 1))
    update_mine(actor=world.province_inspector, mine=world.mine_a, data={"county": Division.objects.get(code="210902")})
    assert tally.differences() == {}
    assert not HazardTally.objects.filter(county_code="210323").exclude(n=0).exists()
    assert sum(HazardTally.objects.filter(county_code="210902").values_list("n", flat=True)) == 2


@pytest.mark.django_db
def test_command_checks_and_rebuilds(world: World) -> None:
    _register(world, world.mine_a, dt.date(2026, 11, 1))
    call_command("hazards_tally")  # agrees: no error
    HazardTally.objects.update(n=5)
    with pytest.raises(CommandError, match="1 counters differ"):
        call_command("hazards_tally")
    call_command("hazards_tally", "--rebuild")
    assert tally.differences() == {}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_division_figures_from_the_counters_equal_a_count_of_the_ledger(world: World, seed: int) -> None:
    _random_ledger(world, seed)
    assert tally.differences() == {}
    for code in ("21", "2103", "2109", "210323"):
        level = queries.dashboard_level(world.province_leader, code)
        counted = queries.ledger_stats(level.hazards, TODAY)
        assert queries.sum_stats(queries.rollup_level(level, TODAY)) == counted, code
        assert queries.level_trend(level, TODAY) == queries.monthly_trend(level.hazards, TODAY), code


def test_month_key() -> None:
    assert tally.month_key(dt.date(2026, 1, 31)) == 202601
    assert tally.month_key(None) == 0
