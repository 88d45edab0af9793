"""Review of the tip-off app: defects found by probing the pages and the API with bad input and by
walking the workflow's edge cases; each test failed before its fix."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from minesafe.accounts.models import ApiToken, User
from minesafe.testing.factories import World
from minesafe.tipoffs import queries, services
from minesafe.tipoffs.models import Tipoff

DESCRIPTION = "井下-120m中段安全出口被堵塞，仍在组织生产"
_addresses = iter(range(1, 100_000))


@pytest.fixture(autouse=True)
def _plenty_of_submissions(settings) -> None:
    settings.TIPOFF_SUBMIT_PER_HOUR = settings.TIPOFF_SUBMIT_PER_DAY = 10_000


def _submit(world: World, **over: Any) -> Tipoff:
    data = {"category": "major_hazard", "description": DESCRIPTION, "mine": world.mine_a.pk, "anonymous": True,
            **over}
    return services.submit_tipoff(data=data, client=f"198.51.100.{next(_addresses) % 250}").tipoff


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> Client:
    token = ApiToken.objects.issue(user=user, name="review")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _verified(world: World, tipoff: Tipoff, *, true: bool = True) -> Tipoff:
    t = services.accept(actor=world.county_leader, tipoff=tipoff)
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
    return services.verify(actor=world.county_inspector, tipoff=t, verified_true=true, findings="现场核实")


# --- 500s on extreme dates and division codes ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    "received_from=0001-01-01", "received_to=9999-12-31", "received_from=9999-12-31",
    "received_from=0001-01-01&received_to=9999-12-31",
])
def test_the_register_takes_dates_at_the_ends_of_the_calendar(world: World, query: str) -> None:
    t = _submit(world)
    client = _client(world.county_leader)
    for name in ("tipoffs:list", "tipoffs:export"):
        response = client.get(f"{reverse(name)}?{query}")
        assert response.status_code == 200, (name, query)
    page = client.get(f"{reverse('tipoffs:list')}?received_from=0001-01-01&received_to=9999-12-31").content.decode()
    assert f"/tipoffs/{t.pk}/" in page


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=9999-12-31&to=9999-12-31",
                                   "from=0001-01-01&to=0001-01-01"])
def test_the_kpi_page_takes_dates_at_the_ends_of_the_calendar(world: World, query: str) -> None:
    _submit(world)
    client = _client(world.county_leader)
    for name in ("tipoffs:kpi", "tipoffs:kpi_export"):
        assert client.get(f"{reverse(name)}?{query}").status_code == 200, (name, query)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["start=0001-01-01", "end=9999-12-31", "start=0001-01-01&end=9999-12-31"])
def test_the_kpi_api_takes_dates_at_the_ends_of_the_calendar(world: World, query: str) -> None:
    _submit(world)
    response = _api(world.county_leader).get(f"/api/v1/tipoffs/kpi?{query}")
    assert response.status_code == 200, response.content[:300]
    if "start=0001" in query and "end" in query:
        assert response.json()["totals"]["received"] == 1


def test_day_bounds_stay_inside_the_calendar() -> None:
    lo, hi = queries.day_bounds(dt.date.min, dt.date.max)
    assert lo.year >= 1 and hi.year <= 9999
    lo, hi = queries.day_bounds(dt.date(2024, 3, 1), dt.date(2024, 3, 31))  # ordinary days unchanged
    assert (lo.date(), hi.date()) == (dt.date(2024, 3, 1), dt.date(2024, 4, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["99", "9999", "999999999999"])
def test_an_all_nines_division_filter_matches_nothing(world: World, code: str) -> None:
    _submit(world)
    client = _client(world.province_leader)
    for name in ("tipoffs:list", "tipoffs:export"):
        assert client.get(reverse(name), {"division": code}).status_code == 200, name
    response = _api(world.province_leader).get("/api/v1/tipoffs", {"county": code})
    assert response.status_code == 200 and response.json()["items"] == []


# --- the public page of a report merged into one that was merged later ----------------------------


@pytest.mark.django_db
def test_a_report_merged_twice_shows_the_final_reports_answer(world: World) -> None:
    first = _submit(world)
    middle = _submit(world)
    client = Client()
    response = client.post(reverse("report:submit"), {
        "mine": str(world.mine_a.pk), "category": "major_hazard", "description": DESCRIPTION, "anonymous": "on"})
    assert response.status_code == 302
    client.get(reverse("report:receipt"))
    last = Tipoff.objects.order_by("-pk").first()
    services.merge(actor=world.county_leader, duplicate=last, primary=middle)
    services.merge(actor=world.county_leader, duplicate=middle, primary=first)
    t = services.handle(actor=world.county_inspector, tipoff=_verified(world, first), note="内部处置意见")
    services.answer(actor=world.county_inspector, tipoff=t, text="经核查属实，已依法处理。")
    page = client.get(reverse("report:view", args=[last.receipt_code])).content.decode()
    assert 'id="primary-answer"' in page and "经核查属实，已依法处理。" in page
    assert "内部处置意见" not in page
    with translation.override("zh-hans"):
        merged_wording = gettext("Merged with an earlier report of the same matter")
    primary_block = page.split('id="primary"', 1)[1].split("</div>", 1)[0]
    assert merged_wording not in primary_block


# --- information refused on a report closed meanwhile --------------------------------------------


@pytest.mark.django_db
def test_information_refused_on_a_closed_report_says_why_and_keeps_the_text(world: World) -> None:
    client = Client()
    client.post(reverse("report:submit"), {
        "mine": str(world.mine_a.pk), "category": "major_hazard", "description": DESCRIPTION, "anonymous": "on"})
    client.get(reverse("report:receipt"))
    tipoff = Tipoff.objects.order_by("-pk").first()
    url = reverse("report:view", args=[tipoff.receipt_code])
    assert 'id="add-information"' in client.get(url).content.decode()  # the reporter starts typing …
    t = services.decline(actor=world.county_leader, tipoff=tipoff, reason="重复举报")
    t = services.answer(actor=world.county_leader, tipoff=t, text="重复举报，已并案处理。")
    services.close(actor=world.county_leader, tipoff=t)  # … and the report is closed meanwhile
    response = client.post(url, {"text": "夜班22点后还在开工"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "夜班22点后还在开工" in page  # nothing typed is lost
    with translation.override("zh-hans"):
        assert re.search(r'class="nonfield"[^>]*>.*errorlist', page, re.S), "the refusal is shown"


# --- the mine of a report that already has a hazard-ledger entry --------------------------------------


@pytest.mark.django_db
def test_the_mine_cannot_change_once_a_hazard_of_the_mine_is_linked(world: World) -> None:
    t = _verified(world, _submit(world, mine=None, county=world.mine_a.county_id, mine_description="北山小矿"))
    t = services.identify_mine(actor=world.county_leader, tipoff=t, mine=world.mine_a)
    hazard_data = {"category_code": "metal-ug-2022.1", "description": "安全出口被堵塞", "location": "-120m中段",
                   "found_on": timezone.localdate(), "found_by": "县局核查组"}
    t = services.handle(actor=world.county_inspector, tipoff=t, note="登记重大事故隐患", hazard_data=hazard_data)
    assert t.hazard is not None and t.hazard.mine_id == world.mine_a.pk
    other = world.mine_b
    with pytest.raises(services.FieldErrors) as refused:
        services.identify_mine(actor=world.province_leader, tipoff=t, mine=other)
    assert "mine" in refused.value.errors
    t.refresh_from_db()
    assert t.mine_id == world.mine_a.pk and t.division_id == world.mine_a.county_id
    # through the API too (which offers "identify" while the report is open)
    response = _api(world.province_leader).post(f"/api/v1/tipoffs/{t.pk}/actions/identify",
                                                 data={"mine_id": other.pk}, content_type="application/json")
    assert response.status_code == 422 and "mine_id" in response.json()["errors"]
    assert Tipoff.objects.get(pk=t.pk).mine_id == world.mine_a.pk


# --- the API's allowed actions match what the services allow the caller ---------------------------


@pytest.mark.django_db
def test_the_api_offers_verify_only_to_the_verifier_or_a_leader(world: World, settings) -> None:
    t = services.accept(actor=world.county_leader, tipoff=_submit(world))
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_leader)
    other_inspector = world.county_inspector  # same county, not the assignee, not a leader
    detail = _api(other_inspector).get(f"/api/v1/tipoffs/{t.pk}").json()
    assert "verify" not in detail["allowed_actions"]
    assert "verify" in _api(world.county_leader).get(f"/api/v1/tipoffs/{t.pk}").json()["allowed_actions"]


# --- Chinese UI: the channel of a report --------------------------------------------------------------


@pytest.mark.django_db
def test_the_detail_page_words_the_channel(world: World) -> None:
    t = _submit(world)
    page = _client(world.county_leader).get(reverse("tipoffs:detail", args=[t.pk])).content.decode()
    assert "(web)" not in page
    with translation.override("zh-hans"):
        assert f"({gettext('Web page')})" in page


@pytest.mark.django_db
def test_the_pages_do_not_borrow_the_hazard_and_people_wording(world: World) -> None:
    """Shared msgids had hazard/people translations: 隐患类别 for the report's category, 隐患描述 for what
    the reporter wrote, 整改期限 and 原状态 as column heads, 离任日期 in the KPI period error."""
    t = _submit(world, anonymous=False, name="王举报")
    client = _client(world.county_leader)
    pages = [client.get(reverse("tipoffs:detail", args=[t.pk])).content.decode(),
             client.get(reverse("tipoffs:list")).content.decode()]
    for page in pages:
        for wrong in ("隐患类别", "隐患描述", "整改期限", "原状态"):
            assert wrong not in page, wrong
    reveal = client.post(reverse("tipoffs:reveal", args=[t.pk])).content.decode()
    assert "<dt>名称</dt>" not in reveal
    response = _api(world.county_leader).get("/api/v1/tipoffs/kpi?start=2024-05-01&end=2024-04-01")
    assert response.status_code == 422 and "离任" not in str(response.json()["errors"]["end"])
