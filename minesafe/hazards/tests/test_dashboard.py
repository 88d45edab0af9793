"""The 动态清零 dashboard page: KPI cards, trend chart, roll-up with drill-down, scope and roles.

The page is mounted by the hazard UI (``hazards:dashboard``). Until that route exists, these tests
mount ``views_dashboard.dashboard`` themselves through this module's ``urlpatterns``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, URLResolver, include, path, reverse

from minesafe import urls as project_urls
from minesafe.hazards import queries, tally
from minesafe.hazards import urls as hazard_urls
from minesafe.hazards.models import Hazard
from minesafe.hazards.views_dashboard import dashboard
from minesafe.testing.factories import World, mine


def _patterns() -> list:
    try:
        reverse("hazards:dashboard")
        return list(project_urls.urlpatterns)  # mounted by the UI pages: test the real route
    except NoReverseMatch:
        pass
    mounted = include(([path("dashboard/", dashboard, name="dashboard"), *hazard_urls.urlpatterns], "hazards"))
    return [path("hazards/", mounted) if isinstance(p, URLResolver) and p.namespace == "hazards" else p
            for p in project_urls.urlpatterns]


urlpatterns = _patterns()


TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _urls_and_clock(settings):
    settings.ROOT_URLCONF = __name__
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _hazard(m, actor, *, found_on: dt.date, **extra) -> Hazard:
    created = Hazard.objects.create(
        mine=m, source=extra.pop("source", "self_check"), standard_code="metal-ug-2022",
        category_code="metal-ug-2022.1", category_family="metal-ug-2022.1", description="安全出口不符合要求",
        location="-120m 中段", found_on=found_on, found_by="检查组", registered_by=actor, **extra)
    tally.bump([(m.county_id, found_on, created.closed_on, 1)])  # as the services do
    return created


@pytest.fixture
def ledger(world: World) -> World:
    """Hazards in two counties of 鞍山 and one of 阜新 (the page's today is TODAY)."""
    today = TODAY
    actor = world.province_leader
    haicheng = mine(actor, world.ent_a, county="210381", name="海城矿")
    _hazard(world.mine_a, actor, found_on=today)  # new this month
    _hazard(world.mine_a, actor, found_on=today - dt.timedelta(days=200), status="rectifying",
            deadline=today - dt.timedelta(days=10), listed=True)  # overdue, listed
    _hazard(haicheng, actor, found_on=dt.date(2026, 10, 20), status="closed", closed_on=today,
            source="inspection")  # found last month, closed out today
    _hazard(world.mine_b, actor, found_on=today - dt.timedelta(days=3), status="awaiting_verification",
            deadline=today + dt.timedelta(days=30), source="tip_off")
    return world


def _kpis(page: str) -> list[str]:
    return re.findall(r'<div class="n">([^<]*)</div>', page)[:6]


@pytest.mark.django_db
def test_county_dashboard_cards_chart_and_mine_rows(ledger: World) -> None:
    response = _client(ledger.county_inspector).get("/hazards/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    stats = queries.ledger_stats(Hazard.objects.visible_to(ledger.county_inspector), TODAY)
    assert _kpis(page)[:5] == [str(stats[k]) for k in ("stock", "increment", "closed_this_month", "overdue",
                                                       "listed")] == ["2", "1", "0", "1", "1"]
    assert "<svg" in page and 'class="bar-orange"' in page  # the monthly trend
    assert ">甲矿</a>" in page and "乙矿" not in page and "海城矿" not in page  # its own county's mines
    assert f"/hazards/?mine={ledger.mine_a.pk}&amp;overdue=yes" in page
    assert "/hazards/?division=210323&amp;overdue=yes" in page  # the KPI card links to the filtered ledger
    assert "?division=" not in page.split("<table", 1)[1].split("</table>")[0].replace("/hazards/?division", "")


@pytest.mark.django_db
def test_province_drills_down_to_cities_counties_and_mines(ledger: World) -> None:
    client = _client(ledger.province_leader)
    page = client.get("/hazards/dashboard/").content.decode()
    assert _kpis(page)[:6] == ["3", "2", "1", "1", "1", "25.0%"]  # 2 open at 甲矿, 1 at 乙矿; 1 of 4 closed
    assert 'href="?division=2103">鞍山市</a>' in page and 'href="?division=2109">阜新市</a>' in page
    assert 'href="?division=2101">沈阳市</a>' in page  # zero rows are listed too
    city = client.get("/hazards/dashboard/?division=2103").content.decode()
    assert 'href="?division=210323">岫岩满族自治县</a>' in city and 'href="?division=210381">海城市</a>' in city
    assert 'href="?division=21">' in city  # breadcrumb back to the province
    assert _kpis(city)[:3] == ["2", "1", "1"]
    county = client.get("/hazards/dashboard/?division=210381").content.decode()
    assert ">海城矿</a>" in county and ">甲矿<" not in county
    assert "100.0%" in county  # everything found this year at 海城 is closed out


@pytest.mark.django_db
def test_drill_down_outside_the_scope_is_404(ledger: World) -> None:
    for user, code in [(ledger.city_leader, "2109"), (ledger.city_leader, "21"), (ledger.county_inspector, "2103"),
                       (ledger.other_county_inspector, "210323"), (ledger.province_leader, "CN"),
                       (ledger.province_leader, "nonsense"), (ledger.ent_principal, "210323")]:
        assert _client(user).get(f"/hazards/dashboard/?division={code}").status_code == 404, (user, code)
    assert _client(ledger.city_leader).get("/hazards/dashboard/?division=210323").status_code == 200


@pytest.mark.django_db
def test_enterprise_sees_its_own_mines(ledger: World) -> None:
    page = _client(ledger.ent_principal).get("/hazards/dashboard/").content.decode()
    assert ">甲矿</a>" in page and ">海城矿</a>" in page and "乙矿" not in page
    assert _kpis(page)[0] == "2"
    other = _client(ledger.other_ent_principal).get("/hazards/dashboard/").content.decode()
    assert ">乙矿</a>" in other and "甲矿" not in other


@pytest.mark.django_db
def test_roles_without_business_scope_are_refused(ledger: World) -> None:
    for admin in (ledger.sys_admin, ledger.sec_admin, ledger.audit_admin):
        assert _client(admin).get("/hazards/dashboard/").status_code == 403
    response = Client().get("/hazards/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_dashboard_reads_a_fixed_number_of_statements_per_level(ledger: World) -> None:
    """Whatever the number of children: the open hazards in one statement over the ledger, the
    closed-out figures and the trend from the per-county counters (a county's roll-up by mine reads
    the ledger in one statement, its trend the counters); the rest is the session, the user and one
    division look-up."""
    client = _client(ledger.province_leader)
    client.get("/hazards/dashboard/")  # warm the session
    for code, expected in (("", (1, 2)), ("?division=2103", (1, 2)), ("?division=210323", (1, 1))):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/hazards/dashboard/{code}").status_code == 200
        ledger_reads = [q["sql"] for q in ctx.captured_queries if '"hazards_hazard"' in q["sql"]]
        tally_reads = [q["sql"] for q in ctx.captured_queries if '"hazards_hazardtally"' in q["sql"]]
        assert (len(ledger_reads), len(tally_reads)) == expected, (code, ledger_reads, tally_reads)
        assert len(ctx.captured_queries) <= 11, [q["sql"][:80] for q in ctx.captured_queries]
