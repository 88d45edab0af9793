"""Tip-off KPIs: the figures per child division on a built set of reports in three counties of two
cities, totals equal to the sum of the rows (and to the level computed directly), drill-down scope,
the monthly series, the KPI page and its export, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from minesafe.core.errors import NotFound
from minesafe.testing.factories import World, mine
from minesafe.tipoffs import queries, services
from minesafe.tipoffs.models import Tipoff

_clients = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def _plenty_of_submissions(settings) -> None:
    settings.TIPOFF_SUBMIT_PER_HOUR = settings.TIPOFF_SUBMIT_PER_DAY = 10_000


def _today() -> dt.date:
    return timezone.localdate()


def _submit(mine_=None, **over) -> Tipoff:
    data = {"category": "major_hazard", "description": "井下安全出口被堵塞，仍在组织生产", "anonymous": True,
            "mine": mine_.pk if mine_ else "", **over}
    return services.submit_tipoff(data=data, client=f"198.51.100.{next(_clients) % 250}").tipoff


def _received(t: Tipoff, days_ago: int) -> Tipoff:
    """Move the receipt into the past (accept deadline with it)."""
    at = timezone.now() - dt.timedelta(days=days_ago)
    Tipoff.objects.filter(pk=t.pk).update(received_at=at, accept_due=timezone.localdate(at) + dt.timedelta(days=15))
    return Tipoff.objects.get(pk=t.pk)


def _to_verify(world: World, t: Tipoff, leader, inspector, *, accepted: dt.date | None = None) -> Tipoff:
    t = services.accept(actor=leader, tipoff=t, today=accepted)
    return services.assign(actor=leader, tipoff=t, assignee=inspector)


@pytest.fixture
def register(world: World) -> dict[str, Tipoff]:
    """Reports in 岫岩 210323 (mine_a), 海城 210381 (mine_c; both in 鞍山 2103) and 海州 210902 (mine_b, 阜新 2109)."""
    today = _today()
    mine_c = mine(world.province_leader, world.ent_a, county="210381", name="丙矿")
    lead, insp = world.county_leader, world.county_inspector
    t = {}
    t["pending"] = _submit(world.mine_a)
    t["verifying"] = _to_verify(world, _submit(world.mine_a), lead, insp)
    declined = services.decline(actor=lead, tipoff=_submit(world.mine_a), reason="不属于矿山安全监管范围")
    t["declined"] = services.answer(actor=lead, tipoff=declined, text="已转交")
    t["false"] = services.verify(actor=insp, tipoff=_to_verify(world, _submit(world.mine_a), lead, insp),
                                 verified_true=False, findings="查无此事")
    paid = services.verify(actor=insp, tipoff=_to_verify(world, _submit(world.mine_a), lead, insp),
                           verified_true=True, findings="属实")
    paid = services.handle(actor=insp, tipoff=paid, note="罚款", fine_amount="50000")
    paid = services.answer(actor=insp, tipoff=paid, text="属实，已处理")
    paid = services.decide_reward(actor=lead, tipoff=paid)
    paid = services.record_payment(actor=lead, tipoff=paid, paid_on=today)
    t["paid"] = services.close(actor=lead, tipoff=paid)
    late = _to_verify(world, _received(_submit(world.mine_a), 80), lead, insp, accepted=today - dt.timedelta(70))
    late = services.verify(actor=insp, tipoff=late, verified_true=True, findings="属实",
                           today=today - dt.timedelta(5))
    t["late"] = services.handle(actor=insp, tipoff=late, note="责令整改")  # handled after its deadline
    t["merged"] = services.merge(actor=lead, duplicate=_submit(world.mine_a), primary=t["verifying"])
    t["described"] = _submit(county="210323", mine_description="岫岩北山无名小矿洞")
    t["overdue_c"] = services.accept(actor=world.city_leader, tipoff=_submit(mine_c), today=today - dt.timedelta(70))
    t["old_b"] = _received(_submit(world.mine_b), 200)  # before the period, still not accepted: overdue
    b = services.verify(actor=world.other_county_inspector,
                        tipoff=_to_verify(world, _submit(world.mine_b), world.province_leader,
                                          world.other_county_inspector), verified_true=True, findings="属实")
    b = services.handle(actor=world.other_county_inspector, tipoff=b, note="责令整改")
    b = services.answer(actor=world.other_county_inspector, tipoff=b, text="属实")
    t["b_reward"] = services.decide_reward(actor=world.province_leader, tipoff=b)  # minimum 3,000, unpaid
    return t


def _period() -> tuple[dt.date, dt.date]:
    return _today() - dt.timedelta(days=100), _today()


def _figures(row: dict) -> dict:
    keys = ("received", "accepted", "declined", "verified", "verified_true", "disposed", "in_time", "overdue",
            "rewards_decided", "reward_sum", "rewards_paid", "paid_sum")
    return {k: row[k] for k in keys}


@pytest.mark.django_db
def test_province_figures_per_city_and_totals(world: World, register: dict) -> None:
    start, end = _period()
    level = queries.kpi_level(world.province_leader)
    assert level.child_level == "city" and level.division.code == "21"
    rows = queries.kpi_rows(level, start, end, _today())
    by_code = {r["code"]: r for r in rows}
    assert set(by_code) >= {"2101", "2103", "2109"} and all(len(c) == 4 for c in by_code)
    assert _figures(by_code["2103"]) == {
        "received": 8, "accepted": 5, "declined": 1, "verified": 3, "verified_true": 2, "disposed": 3, "in_time": 2,
        "overdue": 1, "rewards_decided": 1, "reward_sum": Decimal("7500"), "rewards_paid": 1,
        "paid_sum": Decimal("7500")}
    assert by_code["2103"]["disposal_rate"] == Decimal("0.6000") and by_code["2103"]["below_target"]
    assert _figures(by_code["2109"]) == {
        "received": 1, "accepted": 1, "declined": 0, "verified": 1, "verified_true": 1, "disposed": 1, "in_time": 1,
        "overdue": 1, "rewards_decided": 1, "reward_sum": Decimal("3000"), "rewards_paid": 0, "paid_sum": Decimal("0")}
    assert by_code["2109"]["rate_percent"] == Decimal("100.00") and not by_code["2109"]["below_target"]
    assert by_code["2101"]["received"] == 0 and by_code["2101"]["disposal_rate"] is None
    totals = queries.sum_rows(rows)
    for key in queries.KPI_KEYS:
        assert totals[key] == sum(r[key] for r in rows), key
    # the totals equal the level computed directly, without grouping by child
    direct = queries.row_figures(level.tipoffs.values(*queries.FIELDS), start, end, _today())
    assert _figures(totals) == _figures(direct)
    assert totals["received"] == 9 and totals["disposal_rate"] == Decimal("0.6666")  # 4 / 6, rounded down


@pytest.mark.django_db
def test_drill_down_to_counties_and_mines(world: World, register: dict) -> None:
    start, end = _period()
    city = queries.kpi_level(world.province_leader, "2103")
    assert [d.code for d in city.path] == ["21", "2103"] and city.child_level == "county"
    rows = {r["code"]: r for r in queries.kpi_rows(city, start, end, _today())}
    assert (rows["210323"]["received"], rows["210323"]["accepted"], rows["210323"]["overdue"]) == (7, 4, 0)
    assert (rows["210381"]["received"], rows["210381"]["accepted"], rows["210381"]["overdue"]) == (1, 1, 1)
    assert queries.sum_rows(list(rows.values()))["received"] == 8

    county = queries.kpi_level(world.county_leader)
    assert county.child_level == "mine" and county.division.code == "210323"
    mines = queries.kpi_rows(county, start, end, _today())
    assert [(r["mine_id"], r["received"]) for r in mines] == [(world.mine_a.pk, 6), (None, 1)]
    assert queries.sum_rows(mines)["received"] == rows["210323"]["received"]


@pytest.mark.django_db
def test_the_period_bounds_the_cohort_not_the_backlog(world: World, register: dict) -> None:
    today = _today()
    level = queries.kpi_level(world.province_leader, "2109")
    rows = {r["code"]: r for r in queries.kpi_rows(level, today - dt.timedelta(days=300), today, today)}
    assert (rows["210902"]["received"], rows["210902"]["overdue"]) == (2, 1)
    rows = {r["code"]: r for r in queries.kpi_rows(level, today - dt.timedelta(days=10), today, today)}
    assert (rows["210902"]["received"], rows["210902"]["overdue"]) == (1, 1)


@pytest.mark.django_db
def test_drill_down_outside_the_scope_is_not_found(world: World) -> None:
    for user, code in ((world.county_inspector, "2109"), (world.county_inspector, "2103"),
                       (world.city_leader, "210902"), (world.province_leader, "99"), (world.province_leader, "2103x"),
                       (world.province_leader, "210323001"), (world.ent_principal, None), (world.sys_admin, None)):
        with pytest.raises(NotFound):
            queries.kpi_level(user, code)
    assert queries.kpi_level(world.city_leader, "210323").child_level == "mine"
    client = Client()
    client.force_login(world.county_inspector)
    assert client.get(reverse("tipoffs:kpi"), {"division": "2109"}).status_code == 404
    assert client.get(reverse("tipoffs:kpi_export"), {"division": "2109"}).status_code == 404


@pytest.mark.django_db
def test_monthly_series(world: World) -> None:
    today = _today()
    months = queries.month_starts(today)
    assert len(months) == 12 and months[-1] == today.replace(day=1)
    _received(_submit(world.mine_a), 0)
    two_months_ago = months[-3]
    old = _received(_submit(world.mine_a), (today - two_months_ago).days)
    _received(_submit(world.mine_a), 400)  # before the 12 months
    t = services.accept(actor=world.county_leader, tipoff=old, today=two_months_ago)
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
    services.verify(actor=world.county_inspector, tipoff=t, verified_true=False, findings="不属实",
                    today=months[-2])  # disposed (found untrue) the month after
    dup = services.merge(actor=world.county_leader, duplicate=_submit(world.mine_a), primary=old)
    assert dup.status == "merged"  # not received twice
    series = queries.monthly_series(queries.kpi_level(world.county_leader), today)
    assert series["months"] == months
    assert series["received"] == [0] * 9 + [1, 0, 1]
    assert series["disposed"] == [0] * 10 + [1, 0]
    page = _page_of(world.county_leader, reverse("tipoffs:kpi"))
    assert f"{months[-2]:%y-%m}" in page and 'class="bar-green"' in page


def _page_of(user, url: str, params: dict | None = None) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_kpi_page_and_export_show_the_same_rows(world: World, register: dict) -> None:
    start, end = _period()
    params = {"from": start.isoformat(), "to": end.isoformat()}
    page = _page_of(world.province_leader, reverse("tipoffs:kpi"), params)
    assert "66.66%" in page and "60%" in page and 'badge red' in page  # below the 100 % target
    assert "?division=2103&amp;from=" in page  # drill-down keeps the period
    assert f"received_from={start.isoformat()}" in page  # links to the filtered list
    client = Client()
    client.force_login(world.province_leader)
    response = client.get(reverse("tipoffs:kpi_export"), params)
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    level_rows = queries.kpi_rows(queries.kpi_level(world.province_leader), start, end, _today())
    assert len(body) == len(level_rows) + 1 and body[-1][0] == "合计"
    received = header.index("接收举报")
    assert [r[received] for r in body[:-1]] == [r["received"] for r in level_rows]
    assert body[-1][received] == 9 and body[-1][header.index("核查处置率")] == "66.66%"
    city = {r[0]: r for r in body}["鞍山市"]
    assert city[header.index("已发放金额(元)")] == 7500 and city[header.index("核查处置率")] == "60%"


@pytest.mark.django_db
def test_the_kpi_page_reads_a_constant_number_of_queries(world: World) -> None:
    client = Client()
    client.force_login(world.province_leader)
    url = reverse("tipoffs:kpi")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    _submit(world.mine_a)
    few = count()
    for _i in range(15):
        services.accept(actor=world.county_leader, tipoff=_submit(world.mine_a))
        _submit(world.mine_b)
    assert count() == few
    assert few <= 10, few


@pytest.mark.django_db
def test_kpi_page_within_query_budget(world: World, register: dict, django_assert_max_num_queries) -> None:
    client = Client()
    client.force_login(world.city_leader)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("tipoffs:kpi"), {"division": "210323"}).status_code == 200


@pytest.mark.django_db
def test_merge_candidates_are_open_reports_about_the_same_mine(world: World) -> None:
    first = _received(_submit(world.mine_a), 30)
    later = _submit(world.mine_a)
    old = _received(_submit(world.mine_a), 400)  # outside the 180-day window
    closed = _submit(world.mine_a)
    services.decline(actor=world.county_leader, tipoff=closed, reason="不属于监管范围")
    _submit(world.mine_b)  # another mine
    assert queries.merge_candidates(world.county_leader, later) == [first]
    assert queries.merge_candidates(world.county_leader, first) == [later]
    assert old not in queries.merge_candidates(world.county_leader, first)
    assert queries.merge_candidates(world.other_county_inspector, later) == []  # out of scope
    page = Client()
    page.force_login(world.county_leader)
    body = page.get(reverse("tipoffs:detail", args=[later.pk])).content.decode()
    assert services.format_code(first.receipt_code) in body and "先收到" in body
