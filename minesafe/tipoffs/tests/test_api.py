"""Tip-off API: the public intake and lookup (no login, rate limited), the regulators' workflow
through one actions route, 422 shapes, the reporter's view never showing internal text, scoping
(enterprises 403, other counties 404) and the leaders-only audited reveal."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from minesafe.accounts.models import ApiToken, User
from minesafe.core.models import AuditEntry
from minesafe.hazards.models import Hazard
from minesafe.testing.factories import World
from minesafe.tipoffs.models import Tipoff, TipoffEvent

ADDRESS = "203.0.113.20"
DESCRIPTION = "井下-120m中段安全出口被杂物堵塞，仍在组织生产"


class Api:
    """The public side from one address, and regulators with a bearer token each."""

    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}

    def public(self, path: str, payload: Any, address: str = ADDRESS):
        return Client(REMOTE_ADDR=address).post(f"/api/v1/tipoffs/public/{path}", data=payload,
                                                content_type="application/json")

    def client(self, user: User) -> Client:
        if user.pk not in self.clients:
            token = ApiToken.objects.issue(user=user, name="test")[1]
            self.clients[user.pk] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        return self.clients[user.pk]

    def get(self, user: User, path: str, **params: Any):
        return self.client(user).get(f"/api/v1/tipoffs{path}", params)

    def act(self, user: User, pk: int, action: str, **body: Any):
        return self.client(user).post(f"/api/v1/tipoffs/{pk}/actions/{action}", data=body,
                                      content_type="application/json")

    def reveal(self, user: User, pk: int):
        return self.client(user).post(f"/api/v1/tipoffs/{pk}/reveal", content_type="application/json")


@pytest.fixture
def api(world: World) -> Api:
    return Api()


def report(world: World, **extra: Any) -> dict[str, Any]:
    return {"category": "major_hazard", "description": DESCRIPTION, "mine_id": world.mine_a.pk, **extra}


def submit(api: Api, world: World, address: str = ADDRESS, **extra: Any) -> dict[str, Any]:
    response = api.public("reports", report(world, **extra), address=address)
    assert response.status_code == 201, response.content
    return response.json()


def lookup(api: Api, receipt: dict[str, Any], address: str = ADDRESS) -> dict[str, Any]:
    response = api.public("lookup", {"code": receipt["code"], "secret": receipt["secret"]}, address=address)
    assert response.status_code == 200, response.content
    return response.json()


def pk_of(receipt: dict[str, Any]) -> int:
    return Tipoff.objects.get(receipt_code=receipt["code"].replace("-", "")).pk


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()


def walk_to_answered(api: Api, world: World, pk: int) -> dict[str, Any]:
    ok(api.act(world.county_leader, pk, "accept", note="内部受理意见：请尽快核查"))
    ok(api.act(world.county_leader, pk, "assign", assignee_id=world.county_inspector.pk, note="内部指派说明"))
    ok(api.act(world.county_inspector, pk, "verify", verified_true=True, findings="内部核查记录：堵塞属实"))
    ok(api.act(world.county_inspector, pk, "handle", note="内部处置意见：罚款五万", fine_amount="50000",
               hazard={"category_code": "metal-ug-2022.1", "item_code": "metal-ug-2022.1.1",
                       "description": "安全出口被堵塞", "location": "-120m中段",
                       "found_on": timezone.localdate().isoformat(), "found_by": "县局核查组"}))
    return ok(api.act(world.county_inspector, pk, "answer", text="经核查，举报属实，已责令整改并罚款。"))


@pytest.mark.django_db
def test_the_closed_loop_through_the_api(api: Api, world: World) -> None:
    receipt = submit(api, world)
    assert receipt["code"].startswith("JB-") and len(receipt["secret"].replace("-", "")) == 12
    assert receipt["status"] == "received" and receipt["accept_due"]
    tipoff = Tipoff.objects.get(receipt_code=receipt["code"].replace("-", ""))
    assert tipoff.channel == "api" and tipoff.mine == world.mine_a
    seen = lookup(api, receipt)
    assert (seen["code"], seen["status"], seen["answer"]) == (receipt["code"], "received", "")
    assert [e["kind"] for e in seen["events"]] == ["received"] and seen["can_add_information"]

    rows = ok(api.get(world.county_leader, ""))
    assert rows["count"] == 1 and rows["items"][0]["id"] == tipoff.pk
    assert "identity_sealed" not in rows["items"][0] and "name" not in rows["items"][0]
    detail = walk_to_answered(api, world, tipoff.pk)
    assert detail["status"] == "answered" and detail["fine_amount"] == "50000.00"
    hazard = Hazard.objects.get()
    assert detail["hazard_id"] == hazard.pk and hazard.source == "tip_off"
    assert [e["kind"] for e in detail["events"]] == ["received", "accepted", "assigned", "verified", "handled",
                                                     "answered"]
    handled = next(e for e in detail["events"] if e["kind"] == "handled")
    assert not handled["public"] and "内部处置意见" in handled["text"] and str(hazard.pk) in handled["text"]
    assert detail["allowed_actions"] == ["identify"]  # the inspector who answered does not decide rewards
    detail = ok(api.get(world.county_leader, f"/{tipoff.pk}"))
    assert detail["allowed_actions"] == ["identify", "reward"]  # payment once decided; no extension

    seen = lookup(api, receipt)
    assert seen["status"] == "answered" and seen["answer"] == "经核查，举报属实，已责令整改并罚款。"
    answered = next(e for e in seen["events"] if e["kind"] == "answered")
    assert answered["text"] == seen["answer"]

    detail = ok(api.act(world.county_leader, tipoff.pk, "reward"))
    assert (detail["reward_amount"], detail["reward_basis"]) == ("7500.00", "fine")
    assert "payment" in detail["allowed_actions"]
    ok(api.act(world.county_leader, tipoff.pk, "payment", paid_on=timezone.localdate().isoformat()))
    detail = ok(api.act(world.county_leader, tipoff.pk, "close"))
    assert detail["status"] == "closed" and detail["allowed_actions"] == []
    seen = lookup(api, receipt)
    assert (seen["status"], seen["reward_amount"], seen["reward_paid_on"]) == (
        "closed", "7500.00", timezone.localdate().isoformat())
    assert not seen["can_add_information"]
    response = api.public("information", {"code": receipt["code"], "secret": receipt["secret"], "text": "还有"})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"__all__"}


@pytest.mark.django_db
def test_the_reporter_never_reads_internal_text(api: Api, world: World) -> None:
    receipt = submit(api, world, anonymous=False, name="王举报人", phone="13912345678", email="wang@example.com")
    pk = pk_of(receipt)
    added = {"code": receipt["code"], "secret": receipt["secret"], "text": "补充：夜班22点后开工"}
    ok(api.public("information", added), 201)
    walk_to_answered(api, world, pk)
    ok(api.act(world.county_leader, pk, "reward", note="内部奖励审批意见"))
    seen = lookup(api, receipt)
    assert set(seen) == {"code", "category", "category_label", "status", "status_label", "received_on", "events",
                         "answer", "answered_on", "reward_amount", "reward_paid_on", "can_add_information", "merged",
                         "primary"}
    raw = json.dumps(seen, ensure_ascii=False)
    for internal in ("内部", "王举报人", "13912345678", "wang@example.com", world.county_inspector.username,
                     str(world.county_inspector), "50000"):
        assert internal not in raw, internal
    assert "补充：夜班22点后开工" in raw and "经核查，举报属实" in raw
    # the regulator's detail has the internal text but never the identity
    detail = ok(api.get(world.county_leader, f"/{pk}"))
    assert detail["findings"] == "内部核查记录：堵塞属实" and detail["assignee_id"] == world.county_inspector.pk
    raw = json.dumps(detail, ensure_ascii=False)
    assert "王举报人" not in raw and "13912345678" not in raw and not detail["anonymous"] and detail["has_contact"]


@pytest.mark.django_db
def test_a_merged_report_reads_the_earlier_reports_answer(api: Api, world: World) -> None:
    first = submit(api, world, address="198.51.100.1")
    later = submit(api, world, address="198.51.100.2")
    ok(api.public("information", {"code": first["code"], "secret": first["secret"], "text": "第一举报人的私人补充"},
                  address="198.51.100.1"), 201)
    ok(api.act(world.county_leader, pk_of(later), "merge", primary_id=pk_of(first), note="内部合并说明"))
    walk_to_answered(api, world, pk_of(first))
    ok(api.act(world.county_leader, pk_of(first), "reward"))
    seen = lookup(api, later, address="198.51.100.2")
    assert seen["merged"] and seen["status"] == "merged" and not seen["can_add_information"]
    assert seen["primary"]["status"] == "answered" and seen["primary"]["answer"].startswith("经核查")
    kinds = [e["kind"] for e in seen["primary"]["events"]]
    assert "answered" in kinds and "reward" not in kinds and "information" not in kinds
    assert seen["reward_amount"] is None
    raw = json.dumps(seen, ensure_ascii=False)
    assert "第一举报人的私人补充" not in raw and "内部" not in raw and first["code"] not in raw


@pytest.mark.django_db
def test_bad_input_is_422_with_field_errors(api: Api, world: World) -> None:
    response = api.public("reports", {"category": "rumour", "description": "太短", "mine_id": 999999,
                                      "anonymous": False, "phone": "abc"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"category", "description", "mine_id", "name", "phone"}
    response = api.public("reports", report(world, attachments=["x.png"]))  # no files through the API
    assert response.status_code == 422 and "attachments" in response.json()["errors"]
    response = api.public("reports", {"description": DESCRIPTION, "county": world.mine_b.county_id})
    assert set(response.json()["errors"]) == {"category"}  # the schema first
    response = api.public("reports", {"category": "other", "description": DESCRIPTION,
                                      "county": world.mine_b.county_id})
    assert set(response.json()["errors"]) == {"mine_description"}  # then the service
    assert not Tipoff.objects.exists()

    receipt = submit(api, world)
    wrong = api.public("lookup", {"code": receipt["code"], "secret": "AAAA-BBBB-CCCC"})
    unknown = api.public("lookup", {"code": "JB-22222-22222", "secret": receipt["secret"]})
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.json()["errors"] == unknown.json()["errors"] and set(wrong.json()["errors"]) == {"__all__"}
    response = api.public("information", {"code": receipt["code"], "secret": "x", "text": "补充"})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"__all__"}
    response = api.public("information", {"code": receipt["code"], "secret": receipt["secret"], "text": "  "})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"text"}
    assert api.public("lookup", {"code": receipt["code"]}).json()["errors"].keys() == {"secret"}

    pk = pk_of(receipt)
    leader = world.county_leader
    response = api.act(leader, pk, "assign")  # missing field; state not checked yet
    assert response.status_code == 422 and response.json()["errors"] == {"assignee_id": [response.json()[
        "errors"]["assignee_id"][0]]}
    response = api.act(leader, pk, "accept", findings="x", days=3)  # fields the action does not take
    assert response.status_code == 422 and set(response.json()["errors"]) == {"findings", "days"}
    response = api.act(leader, pk, "accept", bogus=1)  # unknown to every action
    assert response.status_code == 422 and set(response.json()["errors"]) == {"bogus"}
    response = api.act(leader, pk, "verify", verified_true=True, findings="属实")  # not in this state
    assert response.status_code == 422 and set(response.json()["errors"]) == {"__all__"}
    response = api.act(leader, pk, "decline", reason="  ")
    assert response.status_code == 422 and set(response.json()["errors"]) == {"reason"}
    assert api.act(leader, pk, "approve").status_code == 404  # unknown action
    ok(api.act(leader, pk, "accept"))
    response = api.act(leader, pk, "assign", assignee_id=world.other_county_inspector.pk)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"assignee_id"}
    response = api.act(leader, pk, "merge", primary_id=pk)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"primary_id"}
    response = api.act(world.city_leader, pk, "extend", days=31, reason="需技术鉴定")
    assert response.status_code == 422 and set(response.json()["errors"]) == {"days"}
    assert ok(api.act(world.city_leader, pk, "extend", days=10, reason="需技术鉴定"))["extension_days"] == 10
    ok(api.act(leader, pk, "assign", assignee_id=world.county_inspector.pk))
    ok(api.act(world.county_inspector, pk, "verify", verified_true=True, findings="属实"))
    response = api.act(world.county_inspector, pk, "handle", note="登记隐患", hazard={
        "category_code": "metal-ug-2022.1", "description": "安全出口被堵塞", "location": "-120m",
        "found_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat(), "found_by": "县局"})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"hazard.found_on"}
    response = api.act(world.county_inspector, pk, "handle", note="登记隐患", hazard={"description": "x"})
    assert response.status_code == 422 and {"hazard.category_code", "hazard.found_on"} <= set(
        response.json()["errors"])
    assert not Hazard.objects.exists() and Tipoff.objects.get(pk=pk).status == "verified"


@pytest.mark.django_db
def test_rate_limits_answer_429_with_retry_after(api: Api, world: World, settings) -> None:
    settings.TIPOFF_SUBMIT_PER_HOUR = 1
    receipt = submit(api, world)
    response = api.public("reports", report(world))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["retry_after"] == int(response["Retry-After"]) and "12350" in response.json()["detail"]
    submit(api, world, address="198.51.100.77")  # another address is not affected

    settings.TIPOFF_LOOKUP_FAILURES = 2
    for _attempt in range(2):
        assert api.public("lookup", {"code": receipt["code"], "secret": "WRONG"}).status_code == 422
    response = api.public("lookup", {"code": receipt["code"], "secret": receipt["secret"]})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    response = api.public("information", {"code": receipt["code"], "secret": receipt["secret"], "text": "补充"})
    assert response.status_code == 429
    assert lookup(api, receipt, address="198.51.100.78")["code"] == receipt["code"]


@pytest.mark.django_db
def test_enterprises_admins_and_anonymous_are_refused_everywhere(api: Api, world: World) -> None:
    pk = pk_of(submit(api, world))
    for user in (world.ent_principal, world.ent_safety, world.other_ent_principal, world.sys_admin,
                 world.sec_admin, world.audit_admin):
        assert api.get(user, "").status_code == 403, user
        assert api.get(user, "/kpi").status_code == 403, user
        assert api.get(user, f"/{pk}").status_code == 403, user
        assert api.reveal(user, pk).status_code == 403, user
        for action in ("accept", "decline", "close", "approve"):
            assert api.act(user, pk, action, reason="x").status_code == 403, (user, action)
    anonymous = Client()
    for response in (anonymous.get("/api/v1/tipoffs"), anonymous.get(f"/api/v1/tipoffs/{pk}"),
                     anonymous.post(f"/api/v1/tipoffs/{pk}/actions/accept", data={}, content_type="application/json"),
                     anonymous.post(f"/api/v1/tipoffs/{pk}/reveal", content_type="application/json")):
        assert response.status_code == 401
    assert Tipoff.objects.get(pk=pk).status == "received" and not TipoffEvent.objects.filter(kind="revealed")


@pytest.mark.django_db
def test_another_county_gets_404(api: Api, world: World) -> None:
    at_a = pk_of(submit(api, world))
    at_b = pk_of(submit(api, world, mine_id=world.mine_b.pk))
    other = world.other_county_inspector
    assert [row["id"] for row in ok(api.get(other, ""))["items"]] == [at_b]
    assert [row["id"] for row in ok(api.get(world.county_inspector, ""))["items"]] == [at_a]
    assert {row["id"] for row in ok(api.get(world.province_inspector, ""))["items"]} == {at_a, at_b}
    assert api.get(other, f"/{at_a}").status_code == 404
    assert api.act(other, at_a, "accept").status_code == 404
    assert api.act(world.county_leader, at_b, "accept").status_code == 404
    assert api.reveal(world.county_leader, at_b).status_code == 404
    assert api.get(world.county_leader, "/kpi", division=world.mine_b.county_id).status_code == 404
    # a report in another county cannot be named as the primary of a merge
    response = api.act(world.province_leader, at_b, "merge", primary_id=at_a)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"primary_id"}
    response = api.act(other, at_b, "merge", primary_id=at_a)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"primary_id"}
    assert set(Tipoff.objects.values_list("status", flat=True)) == {"received"}


@pytest.mark.django_db
def test_reveal_is_for_leaders_and_audited(api: Api, world: World) -> None:
    pk = pk_of(submit(api, world, anonymous=False, name="王举报人", phone="13912345678"))
    assert api.reveal(world.county_inspector, pk).status_code == 403
    assert api.reveal(world.city_inspector, pk).status_code == 403
    assert not AuditEntry.objects.filter(action="tipoffs.reporter.reveal").exists()
    identity = ok(api.reveal(world.county_leader, pk))
    assert identity == {"id": pk, "name": "王举报人", "phone": "13912345678", "email": "", "other": ""}
    entry = AuditEntry.objects.get(action="tipoffs.reporter.reveal")
    assert entry.actor_id == world.county_leader.pk
    detail = ok(api.get(world.county_leader, f"/{pk}"))
    assert detail["can_reveal"] and detail["events"][-1]["kind"] == "revealed" and not detail["events"][-1]["public"]
    assert not ok(api.get(world.county_inspector, f"/{pk}"))["can_reveal"]
    anonymous = pk_of(submit(api, world))
    assert ok(api.reveal(world.province_leader, anonymous))["name"] == ""


@pytest.mark.django_db
def test_list_filters_and_paging(api: Api, world: World, settings) -> None:
    settings.TIPOFF_SUBMIT_PER_HOUR = 10
    first = pk_of(submit(api, world))
    second = pk_of(submit(api, world, category="hidden_face"))
    described = pk_of(submit(api, world, mine_id=None, county=world.mine_a.county_id,
                             mine_description="岫岩北山一个无名小矿"))
    leader = world.county_leader
    ok(api.act(leader, first, "accept"))

    def ids(**params: Any) -> set[int]:
        return {row["id"] for row in ok(api.get(leader, "", **params))["items"]}

    assert ids() == {first, second, described}
    assert ids(status="accepted") == {first}
    assert ids(category="hidden_face") == {second}
    assert ids(mine_id=world.mine_a.pk) == {first, second}
    assert ids(county=world.mine_a.county_id) == ids(county=world.mine_a.county_id[:4]) == {first, second, described}
    assert ids(county=world.mine_b.county_id) == set()
    today = timezone.localdate()
    assert ids(received_from=today.isoformat(), received_to=today.isoformat()) == {first, second, described}
    assert ids(received_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    assert ids(overdue=True) == set() and ids(overdue=False) == {first, second, described}
    Tipoff.objects.filter(pk=second).update(accept_due=today - dt.timedelta(days=1))
    assert ids(overdue=True) == {second}
    row = next(r for r in ok(api.get(leader, ""))["items"] if r["id"] == second)
    assert row["overdue"] == ["accept"]
    assert ok(api.get(leader, f"/{second}"))["overdue_labels"]
    page = ok(api.get(leader, "", limit=2, offset=0))
    assert page["count"] == 3 and len(page["items"]) == 2
    assert api.get(leader, "", status="nonsense").status_code == 422
    assert api.get(leader, "", limit=100_000).status_code == 422


@pytest.mark.django_db
def test_kpi_rows_per_division(api: Api, world: World) -> None:
    pk = pk_of(submit(api, world))
    submit(api, world, mine_id=world.mine_b.pk)
    walk_to_answered(api, world, pk)
    kpi = ok(api.get(world.county_leader, "/kpi"))
    assert kpi["division"] == world.mine_a.county_id and kpi["child_level"] == "mine"
    assert kpi["totals"]["received"] == 1 and kpi["totals"]["disposed"] == 1
    assert Decimal(kpi["totals"]["disposal_rate"]) == Decimal("1")
    assert [row["mine_id"] for row in kpi["rows"]] == [world.mine_a.pk]
    province = ok(api.get(world.province_leader, "/kpi"))
    assert province["child_level"] == "city" and province["totals"]["received"] == 2
    assert api.get(world.county_leader, "/kpi", start="2026-02-01", end="2026-01-01").status_code == 422


@pytest.mark.django_db
def test_decline_and_described_mine_through_the_api(api: Api, world: World) -> None:
    receipt = submit(api, world, mine_id=None, county=world.mine_a.county_id, mine_description="岫岩北山一个矿")
    pk = pk_of(receipt)
    response = api.act(world.county_inspector, pk, "identify", mine_id=world.mine_b.pk)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"mine_id"}
    detail = ok(api.act(world.county_inspector, pk, "identify", mine_id=world.mine_a.pk))
    assert detail["mine_id"] == world.mine_a.pk
    assert detail["events"][-1]["kind"] == "identified" and world.mine_a.name in detail["events"][-1]["text"]
    ok(api.act(world.county_inspector, pk, "decline", reason="不属于矿山安全监管范围，已转交市场监管部门"))
    seen = lookup(api, receipt)
    declined = next(e for e in seen["events"] if e["kind"] == "declined")
    assert declined["text"] == "不属于矿山安全监管范围，已转交市场监管部门" and seen["status"] == "declined"
    assert "identified" not in [e["kind"] for e in seen["events"]]
