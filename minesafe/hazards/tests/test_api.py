"""Hazard-ledger API: the lifecycle over bearer tokens, 422 field errors under the request's names,
scoping (404 outside the caller's jurisdiction), enterprise self-check registration, filters,
evidence upload and rule decisions."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from minesafe.accounts.models import ApiToken, User
from minesafe.core.models import AuditEntry
from minesafe.hazards import services
from minesafe.hazards.models import Evidence, Extension, Hazard, Listing, SelfInspection
from minesafe.registry.models import Mine
from minesafe.rules.hazards import period_key
from minesafe.testing.factories import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(32)
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


class Api:
    """Calls the API as a persona, with a bearer token per user."""

    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}

    def client(self, user: User) -> Client:
        if user.pk not in self.clients:
            token = ApiToken.objects.issue(user=user, name="test")[1]
            self.clients[user.pk] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        return self.clients[user.pk]

    def get(self, user: User, path: str, **params: Any):
        return self.client(user).get(path, params)

    def post(self, user: User, path: str, payload: Any = None):
        return self.client(user).post(path, data=payload if payload is not None else {},
                                      content_type="application/json")

    def upload(self, user: User, pk: int, name: str, content: bytes, purpose: str = "rectification"):
        return self.client(user).post(f"/api/v1/hazards/{pk}/evidence",
                                      {"file": SimpleUploadedFile(name, content), "purpose": purpose})


@pytest.fixture
def api(world: World) -> Api:
    return Api()


def hazard_body(mine: Mine, **extra: Any) -> dict[str, Any]:
    return {"mine_id": mine.pk, "source": "inspection", "category_code": "metal-ug-2022.1",
            "item_code": "metal-ug-2022.1.1", "description": "安全出口不足两个", "location": "-120m 中段",
            "found_on": TODAY().isoformat(), "found_by": "执法检查组", **extra}


def plan_body(**extra: Any) -> dict[str, Any]:
    return {"responsible_person": "张矿长", "measures": "补设第二安全出口", "funds_yuan": "50000.00",
            "deadline": (TODAY() + dt.timedelta(days=30)).isoformat(), "contingency_plan": "停止该中段作业", **extra}


def make_hazard(world: World, mine: Mine, *, source: str = "inspection", found_on: dt.date | None = None,
                category: str = "metal-ug-2022.1", item: str = "metal-ug-2022.1.1",
                description: str = "安全出口不足两个") -> Hazard:
    found_on = found_on or TODAY()
    return services.register_hazard(actor=world.province_leader, mine=mine, today=max(found_on, TODAY()), data={
        "source": source, "category_code": category, "item_code": item, "description": description,
        "location": "-120m 中段", "found_on": found_on, "found_by": "执法检查组"})


def rectifying(world: World, mine: Mine, *, found_on: dt.date | None = None, deadline: dt.date | None = None,
               **kw: Any) -> Hazard:
    hazard = make_hazard(world, mine, found_on=found_on, **kw)
    today = found_on or TODAY()
    plan = {"responsible_person": "张矿长", "measures": "补设出口", "funds_yuan": Decimal("1000"),
            "deadline": deadline or today + dt.timedelta(days=30), "contingency_plan": "撤人"}
    return services.start_rectification(actor=world.province_leader, hazard=hazard, plan=plan, today=today)


# --- lifecycle -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_full_lifecycle_over_the_api(world: World, api: Api) -> None:
    # The enterprise registers its own self-check finding.
    response = api.post(world.ent_safety, "/api/v1/hazards", hazard_body(world.mine_a, source="self_check",
                                                                         production_stop="partial"))
    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    assert body["status"] == "registered" and body["mine_id"] == world.mine_a.pk and body["mine_name"] == "甲矿"
    assert body["standard_code"] == "metal-ug-2022" and body["production_stop"] == "partial"
    assert body["penalty_code"] == "penalty_per_law"  # 自查自改不罚 only once rectification is under way
    assert body["deadline"] is None and body["overdue"] is False
    assert body["allowed_actions"] == ["start_rectification"]

    # 五落实 plan by the principal.
    response = api.post(world.ent_principal, f"/api/v1/hazards/{pk}/plan", plan_body())
    assert response.status_code == 200, response.content
    body = response.json()
    deadline = (TODAY() + dt.timedelta(days=30)).isoformat()
    assert body["status"] == "rectifying"
    assert body["deadline"] == deadline and body["original_deadline"] == deadline
    assert body["responsible_person"] == "张矿长" and Decimal(body["funds_yuan"]) == Decimal("50000")
    assert body["penalty_code"] == "no_penalty_in_principle"

    # Applying without rectification evidence is refused; upload it first.
    response = api.post(world.ent_principal, f"/api/v1/hazards/{pk}/apply", {"note": "已整改"})
    assert response.status_code == 422
    assert "__all__" in response.json()["errors"]
    response = api.upload(world.ent_principal, pk, "出口照片.png", PNG)
    assert response.status_code == 201, response.content
    assert response.json()["purpose"] == "rectification" and response.json()["content_type"] == "image/png"
    response = api.post(world.ent_principal, f"/api/v1/hazards/{pk}/apply", {"note": "已整改"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "awaiting_verification"

    # The county rejects (a reason is required), the enterprise applies again, the county verifies.
    response = api.post(world.county_inspector, f"/api/v1/hazards/{pk}/reject", {})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    response = api.post(world.county_inspector, f"/api/v1/hazards/{pk}/reject", {"reason": "出口未贯通"})
    assert response.status_code == 200 and response.json()["status"] == "rectifying"
    # The rejected application's files do not count again: new rectification evidence is needed.
    assert api.post(world.ent_principal, f"/api/v1/hazards/{pk}/apply", {}).status_code == 422
    assert api.upload(world.ent_principal, pk, "出口照片-复查.png", PNG).status_code == 201
    assert api.post(world.ent_principal, f"/api/v1/hazards/{pk}/apply", {}).json()["status"] == \
        "awaiting_verification"
    response = api.post(world.county_inspector, f"/api/v1/hazards/{pk}/verify",
                        {"method": "on_site", "note": "现场核查合格"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "closed" and body["closed_on"] == TODAY().isoformat()
    assert body["verification_method"] == "on_site" and body["allowed_actions"] == []
    assert [e["original_name"] for e in body["evidence"]] == ["出口照片.png", "出口照片-复查.png"]

    # Closed is terminal.
    response = api.post(world.county_inspector, f"/api/v1/hazards/{pk}/verify", {"method": "document"})
    assert response.status_code == 422 and "__all__" in response.json()["errors"]

    events = api.get(world.ent_principal, f"/api/v1/hazards/{pk}/events").json()
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "registered" and "plan" in kinds and "evidence" in kinds and "notification" in kinds
    statuses = [e["to_status"] for e in events if e["kind"] == "status"]
    assert statuses == ["awaiting_verification", "rectifying", "awaiting_verification", "closed"]
    assert events[-1]["actor"] == "county_inspector"

    actions = set(AuditEntry.objects.filter(object_id__in=[str(pk), *map(str, Evidence.objects.values_list(
        "pk", flat=True))]).values_list("action", flat=True))
    assert {"hazards.hazard.register", "hazards.hazard.start_rectification", "hazards.evidence.add",
            "hazards.hazard.apply_for_closure", "hazards.hazard.reject_closure",
            "hazards.hazard.verify_closure"} <= actions


@pytest.mark.django_db
def test_decisions_show_the_penalty_recommendation(world: World, api: Api) -> None:
    pk = api.post(world.county_inspector, "/api/v1/hazards", hazard_body(world.mine_a)).json()["id"]
    decisions = api.get(world.ent_principal, f"/api/v1/hazards/{pk}/decisions").json()
    penalty = [d for d in decisions if d["rule"] == "penalty_recommendation"]
    assert len(penalty) == 1
    assert penalty[0]["code"] == "heavy_penalty" and penalty[0]["rule_version"] == "2024.1"
    assert "重罚" in penalty[0]["message"] and penalty[0]["citation"]
    assert penalty[0]["inputs"] == {"source": "inspection", "self_reported_with_rectification": False}
    # A second major hazard within three months at a producing mine → closure proposal.
    pk2 = api.post(world.county_inspector, "/api/v1/hazards",
                   hazard_body(world.mine_a, category_code="metal-ug-2022.3", item_code="")).json()["id"]
    codes = {d["code"] for d in api.get(world.county_inspector, f"/api/v1/hazards/{pk2}/decisions").json()}
    assert {"heavy_penalty", "propose_closure"} <= codes


# --- registration: field errors and enterprise rules ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), [
    ({"source": "rumour"}, "source"),                                            # unknown choice
    ({"category_code": "metal-ug-2022.99"}, "category_code"),                    # unknown category
    ({"category_code": "coal-2024.1", "item_code": ""}, "category_code"),        # other sector's standard
    ({"item_code": "metal-ug-2022.4.1"}, "item_code"),                           # item of another category
    ({"found_on": "2099-01-01"}, "found_on"),                                    # future
    ({"found_on": "2026-13-45"}, "found_on"),                                    # not a date
    ({"description": "   "}, "description"),                                     # blank after stripping
    ({"location": "x" * 201}, "location"),                                       # too long
    ({"production_stop": "maybe"}, "production_stop"),
    ({"mine_id": "abc"}, "mine_id"),
    ({"mine_id": 999999}, "mine_id"),                                            # unknown mine
    ({"colour": "red"}, "colour"),                                               # unknown field
])
def test_register_field_errors(world: World, api: Api, change: dict, field: str) -> None:
    response = api.post(world.county_inspector, "/api/v1/hazards", {**hazard_body(world.mine_a), **change})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Hazard.objects.exists()


@pytest.mark.django_db
def test_register_missing_fields_are_named(world: World, api: Api) -> None:
    response = api.post(world.county_inspector, "/api/v1/hazards", {"mine_id": world.mine_a.pk})
    assert response.status_code == 422
    assert {"source", "category_code", "description", "location", "found_on", "found_by"} <= \
        set(response.json()["errors"])


@pytest.mark.django_db
def test_register_at_a_mine_out_of_scope_is_refused(world: World, api: Api) -> None:
    response = api.post(world.county_inspector, "/api/v1/hazards", hazard_body(world.mine_b))
    assert response.status_code == 422 and "mine_id" in response.json()["errors"]
    response = api.post(world.ent_principal, "/api/v1/hazards", hazard_body(world.mine_b, source="self_check"))
    assert response.status_code == 422 and "mine_id" in response.json()["errors"]
    assert not Hazard.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["inspection", "tip_off", "monitoring"])
def test_enterprise_registers_only_self_check_findings(world: World, api: Api, source: str) -> None:
    response = api.post(world.ent_principal, "/api/v1/hazards", hazard_body(world.mine_a, source=source))
    assert response.status_code == 422 and "source" in response.json()["errors"]
    assert not Hazard.objects.exists()
    response = api.post(world.ent_principal, "/api/v1/hazards", hazard_body(world.mine_a, source="self_check"))
    assert response.status_code == 201
    assert Hazard.objects.get().registered_by == world.ent_principal


@pytest.mark.django_db
def test_admins_and_anonymous_are_refused(world: World, api: Api) -> None:
    hazard = make_hazard(world, world.mine_a)
    for admin in (world.sys_admin, world.sec_admin, world.audit_admin):
        assert api.get(admin, "/api/v1/hazards").status_code == 403
        assert api.get(admin, f"/api/v1/hazards/{hazard.pk}").status_code == 403
        assert api.post(admin, "/api/v1/hazards", hazard_body(world.mine_a)).status_code == 403
    assert Client().get("/api/v1/hazards").status_code == 401
    assert Client().get(f"/api/v1/hazards/{hazard.pk}/events").status_code == 401


# --- scoping -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_lists_and_details_are_scoped(world: World, api: Api) -> None:
    a, b = make_hazard(world, world.mine_a), make_hazard(world, world.mine_b)

    def ids(user: User) -> set[int]:
        return {h["id"] for h in api.get(user, "/api/v1/hazards").json()["items"]}

    assert ids(world.county_inspector) == ids(world.city_leader) == ids(world.ent_safety) == {a.pk}
    assert ids(world.other_county_inspector) == ids(world.other_ent_principal) == {b.pk}
    assert ids(world.province_inspector) == {a.pk, b.pk}
    for path in ("", "/events", "/decisions"):
        assert api.get(world.county_inspector, f"/api/v1/hazards/{b.pk}{path}").status_code == 404
        assert api.get(world.other_ent_principal, f"/api/v1/hazards/{a.pk}{path}").status_code == 404
        assert api.get(world.other_county_inspector, f"/api/v1/hazards/{b.pk}{path}").status_code == 200


@pytest.mark.django_db
def test_writes_to_another_countys_hazard_are_404_and_change_nothing(world: World, api: Api) -> None:
    registered = make_hazard(world, world.mine_b)
    pending = rectifying(world, world.mine_b)
    ext = services.request_extension(actor=world.province_leader, hazard=pending,
                                     requested=pending.deadline + dt.timedelta(days=10), reason="等待设备")
    before = list(Hazard.objects.order_by("pk").values_list("pk", "status", "deadline", "listed", "updated_at"))
    calls = [
        (world.county_inspector, f"/api/v1/hazards/{registered.pk}/plan", plan_body()),
        (world.county_inspector, f"/api/v1/hazards/{pending.pk}/apply", {}),
        (world.county_inspector, f"/api/v1/hazards/{pending.pk}/verify", {"method": "on_site"}),
        (world.county_inspector, f"/api/v1/hazards/{pending.pk}/reject", {"reason": "x"}),
        (world.county_inspector, f"/api/v1/hazards/{pending.pk}/extensions",
         {"requested_deadline": "2099-01-01", "reason": "x"}),
        (world.county_inspector, f"/api/v1/hazards/extensions/{ext.pk}/decision", {"approve": True}),
        (world.county_leader, f"/api/v1/hazards/{registered.pk}/listing",
         {"document_no": "x", "deadline": "2099-01-01"}),
        (world.ent_principal, f"/api/v1/hazards/{registered.pk}/plan", plan_body()),
    ]
    for user, path, payload in calls:
        response = api.post(user, path, payload)
        assert response.status_code == 404, (user.username, path, response.status_code)
    assert api.upload(world.ent_principal, registered.pk, "a.png", PNG).status_code == 404
    after = list(Hazard.objects.order_by("pk").values_list("pk", "status", "deadline", "listed", "updated_at"))
    assert after == before
    assert Extension.objects.get(pk=ext.pk).status == "pending"
    assert not Listing.objects.exists() and not Evidence.objects.exists()


@pytest.mark.django_db
def test_enterprise_cannot_verify_decide_or_list(world: World, api: Api) -> None:
    hazard = rectifying(world, world.mine_a)
    ext = services.request_extension(actor=world.ent_principal, hazard=hazard,
                                     requested=hazard.deadline + dt.timedelta(days=10), reason="等待设备")
    assert api.post(world.ent_principal, f"/api/v1/hazards/{hazard.pk}/verify", {"method": "on_site"}) \
        .status_code == 403
    assert api.post(world.ent_principal, f"/api/v1/hazards/{hazard.pk}/reject", {"reason": "x"}).status_code == 403
    assert api.post(world.ent_principal, f"/api/v1/hazards/extensions/{ext.pk}/decision",
                    {"approve": True}).status_code == 403
    assert api.post(world.county_inspector, f"/api/v1/hazards/{hazard.pk}/listing",
                    {"document_no": "x", "deadline": "2099-01-01"}).status_code == 403


# --- filters -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filters(world: World, api: Api) -> None:
    today = TODAY()
    fresh = make_hazard(world, world.mine_a, source="self_check", description="提升机钢丝绳断丝")
    late = rectifying(world, world.mine_a, found_on=today - dt.timedelta(days=40),
                      deadline=today - dt.timedelta(days=5), category="metal-ug-2022.3", item="")
    due = rectifying(world, world.mine_a, found_on=today - dt.timedelta(days=20),
                     deadline=today + dt.timedelta(days=5))
    other = make_hazard(world, world.mine_b)
    services.list_for_supervision(actor=world.province_leader, hazard=due, document_no="辽安委督〔2026〕3号",
                                  deadline=today + dt.timedelta(days=30))

    def ids(**params: Any) -> set[int]:
        response = api.get(world.province_inspector, "/api/v1/hazards", **params)
        assert response.status_code == 200, response.content
        return {h["id"] for h in response.json()["items"]}

    assert ids() == {fresh.pk, late.pk, due.pk, other.pk}
    assert ids(status="rectifying") == {late.pk, due.pk}
    assert ids(source="self_check") == {fresh.pk}
    assert ids(mine_id=world.mine_b.pk) == {other.pk}
    assert ids(division="2109") == ids(division="210902") == {other.pk}
    assert ids(division="2103") == {fresh.pk, late.pk, due.pk}
    assert ids(division="21") == ids()
    assert ids(overdue="true") == {late.pk}
    assert ids(overdue="false") == {fresh.pk, due.pk, other.pk}
    assert ids(listed="true") == {due.pk}
    assert ids(listed="false") == {fresh.pk, late.pk, other.pk}
    assert ids(found_from=(today - dt.timedelta(days=30)).isoformat()) == {fresh.pk, due.pk, other.pk}
    assert ids(found_to=(today - dt.timedelta(days=30)).isoformat()) == {late.pk}
    assert ids(category_code="metal-ug-2022.3") == {late.pk}
    assert ids(q="钢丝绳") == {fresh.pk}
    assert ids(q="乙矿") == {other.pk}
    assert ids(status="closed") == set()

    body = api.get(world.county_inspector, f"/api/v1/hazards/{late.pk}").json()
    assert body["overdue"] is True and body["overdue_days"] == 5
    assert body["original_deadline"] == body["deadline"] == (today - dt.timedelta(days=5)).isoformat()
    listed = api.get(world.county_inspector, f"/api/v1/hazards/{due.pk}").json()
    assert listed["listed"] is True and listed["overdue"] is False and listed["overdue_days"] == 0
    assert listed["listings"][0]["document_no"] == "辽安委督〔2026〕3号"


@pytest.mark.django_db
@pytest.mark.parametrize("params", [
    {"status": "lost"}, {"overdue": "perhaps"}, {"found_from": "yesterday"}, {"division": "21x"},
    {"limit": 100000}, {"offset": -1}, {"mine_id": "abc"},
])
def test_bad_filters_are_422(world: World, api: Api, params: dict) -> None:
    assert api.get(world.county_inspector, "/api/v1/hazards", **params).status_code == 422


@pytest.mark.django_db
def test_list_is_paginated(world: World, api: Api) -> None:
    for _ in range(3):
        make_hazard(world, world.mine_a)
    body = api.get(world.county_inspector, "/api/v1/hazards", limit=2).json()
    assert body["count"] == 3 and len(body["items"]) == 2
    assert len(api.get(world.county_inspector, "/api/v1/hazards", limit=2, offset=2).json()["items"]) == 1


# --- 五落实 plan -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_missing_elements_are_reported_per_field(world: World, api: Api) -> None:
    hazard = make_hazard(world, world.mine_a)
    response = api.post(world.county_inspector, f"/api/v1/hazards/{hazard.pk}/plan", {})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"responsible_person", "measures", "funds_yuan", "deadline",
                                              "contingency_plan"}
    assert Hazard.objects.get(pk=hazard.pk).status == "registered"


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), [
    ({"funds_yuan": "-1"}, "funds_yuan"),
    ({"funds_yuan": "1e13"}, "funds_yuan"),
    ({"funds_yuan": "abc"}, "funds_yuan"),
    ({"deadline": "2000-01-01"}, "deadline"),
    ({"responsible_person": "   "}, "responsible_person"),
    ({"status": "closed"}, "status"),                                   # extra fields are forbidden
])
def test_plan_field_errors(world: World, api: Api, change: dict, field: str) -> None:
    hazard = make_hazard(world, world.mine_a)
    response = api.post(world.county_inspector, f"/api/v1/hazards/{hazard.pk}/plan", plan_body(**change))
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert Hazard.objects.get(pk=hazard.pk).status == "registered"


@pytest.mark.django_db
def test_plan_on_a_hazard_already_rectifying_is_422(world: World, api: Api) -> None:
    hazard = rectifying(world, world.mine_a)
    response = api.post(world.ent_principal, f"/api/v1/hazards/{hazard.pk}/plan", plan_body())
    assert response.status_code == 422 and "__all__" in response.json()["errors"]


# --- evidence ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_upload_is_checked_stored_and_audited(world: World, api: Api) -> None:
    hazard = make_hazard(world, world.mine_a)
    response = api.upload(world.ent_safety, hazard.pk, "现场.png", PNG, purpose="finding")
    assert response.status_code == 201, response.content
    body = response.json()
    evidence = Evidence.objects.get()
    assert body["sha256"] == evidence.sha256 == hashlib.sha256(PNG).hexdigest()
    assert body["size"] == len(PNG) and body["purpose"] == "finding" and body["uploaded_by"] == "ent_safety"
    with evidence.file.open("rb") as fh:
        assert fh.read() == PNG
    entry = AuditEntry.objects.get(action="hazards.evidence.add")
    assert entry.object_id == str(evidence.pk) and entry.actor_id == world.ent_safety.pk
    assert "evidence" in [e["kind"] for e in api.get(world.ent_safety, f"/api/v1/hazards/{hazard.pk}/events").json()]
    detail = api.get(world.county_inspector, f"/api/v1/hazards/{hazard.pk}").json()
    assert [e["sha256"] for e in detail["evidence"]] == [evidence.sha256]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), [
    ("setup.exe", b"MZ" + bytes(10)),            # type not allowed
    ("photo.png", b"not really a png"),          # content does not match the extension
    ("report.pdf", PNG),
])
def test_bad_evidence_is_422_on_file(world: World, api: Api, name: str, content: bytes) -> None:
    hazard = make_hazard(world, world.mine_a)
    response = api.upload(world.ent_principal, hazard.pk, name, content)
    assert response.status_code == 422 and "file" in response.json()["errors"], response.content
    assert not Evidence.objects.exists()
    assert not AuditEntry.objects.filter(action="hazards.evidence.add").exists()


@pytest.mark.django_db
def test_evidence_too_large_missing_file_or_bad_purpose(world: World, api: Api, settings) -> None:
    hazard = make_hazard(world, world.mine_a)
    settings.EVIDENCE_MAX_BYTES = 1024
    response = api.upload(world.ent_principal, hazard.pk, "big.png", PNG + bytes(2000))
    assert response.status_code == 422 and "file" in response.json()["errors"]
    response = api.client(world.ent_principal).post(f"/api/v1/hazards/{hazard.pk}/evidence",
                                                    {"purpose": "finding"})
    assert response.status_code == 422 and "file" in response.json()["errors"]
    response = api.upload(world.ent_principal, hazard.pk, "a.png", PNG, purpose="decoration")
    assert response.status_code == 422 and "purpose" in response.json()["errors"]
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_no_evidence_on_a_closed_hazard(world: World, api: Api) -> None:
    hazard = rectifying(world, world.mine_a)
    assert api.upload(world.ent_principal, hazard.pk, "a.png", PNG).status_code == 201
    services.apply_for_closure(actor=world.ent_principal, hazard=hazard, note="", evidence=[])
    services.verify_closure(actor=world.county_inspector, hazard=hazard, method="document")
    response = api.upload(world.ent_principal, hazard.pk, "b.png", PNG)
    assert response.status_code == 422 and "__all__" in response.json()["errors"]
    assert Evidence.objects.count() == 1


@pytest.mark.django_db
def test_finding_evidence_does_not_count_for_closure(world: World, api: Api) -> None:
    hazard = rectifying(world, world.mine_a)
    assert api.upload(world.ent_principal, hazard.pk, "a.png", PNG, purpose="finding").status_code == 201
    response = api.post(world.ent_principal, f"/api/v1/hazards/{hazard.pk}/apply", {})
    assert response.status_code == 422
    assert Hazard.objects.get(pk=hazard.pk).status == "rectifying"


# --- verification --------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_needs_a_known_method_and_the_right_state(world: World, api: Api) -> None:
    hazard = rectifying(world, world.mine_a)
    response = api.post(world.county_inspector, f"/api/v1/hazards/{hazard.pk}/verify", {"method": "phone"})
    assert response.status_code == 422 and "method" in response.json()["errors"]
    response = api.post(world.county_inspector, f"/api/v1/hazards/{hazard.pk}/verify", {"method": "on_site"})
    assert response.status_code == 422 and "__all__" in response.json()["errors"]   # not awaiting verification
    assert Hazard.objects.get(pk=hazard.pk).status == "rectifying"


# --- extensions ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_extension_request_and_decision(world: World, api: Api) -> None:
    hazard = rectifying(world, world.mine_a)
    original = hazard.deadline
    later = original + dt.timedelta(days=30)
    path = f"/api/v1/hazards/{hazard.pk}/extensions"

    response = api.post(world.ent_principal, path, {"requested_deadline": original.isoformat(), "reason": "x"})
    assert response.status_code == 422 and "requested_deadline" in response.json()["errors"]
    response = api.post(world.ent_principal, path, {"requested_deadline": later.isoformat(), "reason": ""})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    response = api.post(world.ent_principal, path, {"requested_deadline": later.isoformat(), "reason": "设备到货延迟"})
    assert response.status_code == 201, response.content
    ext = response.json()
    assert ext["status"] == "pending" and ext["previous_deadline"] == original.isoformat()
    assert ext["requested_by"] == "ent_principal"
    response = api.post(world.ent_principal, path, {"requested_deadline": later.isoformat(), "reason": "再次"})
    assert response.status_code == 422 and "requested_deadline" in response.json()["errors"]

    decision = f"/api/v1/hazards/extensions/{ext['id']}/decision"
    assert api.post(world.other_county_inspector, decision, {"approve": True}).status_code == 404
    assert api.post(world.county_inspector, decision, {"note": "x"}).status_code == 422   # approve is required
    response = api.post(world.county_inspector, decision, {"approve": True, "note": "同意延期"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved" and response.json()["decided_by"] == "county_inspector"
    body = api.get(world.ent_principal, f"/api/v1/hazards/{hazard.pk}").json()
    assert body["deadline"] == later.isoformat() and body["original_deadline"] == original.isoformat()
    assert [e["status"] for e in body["extensions"]] == ["approved"]
    assert api.post(world.county_inspector, decision, {"approve": False}).status_code == 409


@pytest.mark.django_db
def test_rejected_extension_keeps_the_deadline(world: World, api: Api) -> None:
    hazard = rectifying(world, world.mine_a)
    ext = services.request_extension(actor=world.ent_principal, hazard=hazard,
                                     requested=hazard.deadline + dt.timedelta(days=5), reason="等待设备")
    response = api.post(world.city_inspector, f"/api/v1/hazards/extensions/{ext.pk}/decision",
                        {"approve": False, "note": "理由不充分"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert Hazard.objects.get(pk=hazard.pk).deadline == hazard.deadline


@pytest.mark.django_db
def test_extension_for_a_registered_hazard_is_422(world: World, api: Api) -> None:
    hazard = make_hazard(world, world.mine_a)
    response = api.post(world.ent_principal, f"/api/v1/hazards/{hazard.pk}/extensions",
                        {"requested_deadline": "2099-01-01", "reason": "x"})
    assert response.status_code == 422 and "requested_deadline" in response.json()["errors"]


# --- listing (挂牌督办) ---------------------------------------------------------------------


@pytest.mark.django_db
def test_listing_by_leaders(world: World, api: Api) -> None:
    hazard = make_hazard(world, world.mine_a)
    path = f"/api/v1/hazards/{hazard.pk}/listing"
    deadline = (TODAY() + dt.timedelta(days=60)).isoformat()
    response = api.post(world.county_leader, path, {"document_no": "", "deadline": "2000-01-01"})
    assert response.status_code == 422 and {"document_no", "deadline"} <= set(response.json()["errors"])
    response = api.post(world.county_leader, path, {"document_no": "岫安委督〔2026〕1号", "deadline": deadline,
                                                    "note": "县级挂牌"})
    assert response.status_code == 201, response.content
    assert response.json()["level"] == "county" and response.json()["lifted_on"] is None
    response = api.post(world.county_leader, path, {"document_no": "岫安委督〔2026〕2号", "deadline": deadline})
    assert response.status_code == 422 and "__all__" in response.json()["errors"]
    assert api.post(world.city_leader, path, {"document_no": "鞍安委督〔2026〕1号", "deadline": deadline}) \
        .status_code == 201
    assert api.get(world.ent_principal, f"/api/v1/hazards/{hazard.pk}").json()["listed"] is True
    assert Listing.objects.filter(hazard=hazard).count() == 2


# --- self-inspections ----------------------------------------------------------------------


@pytest.mark.django_db
def test_self_inspections(world: World, api: Api) -> None:
    today = TODAY()
    period = period_key(world.mine_a.sector, today)
    body = {"mine_id": world.mine_a.pk, "period": period, "organised_on": today.isoformat(),
            "organiser": "张矿长", "hazards_found": 1, "notes": "全系统排查"}
    response = api.post(world.ent_principal, "/api/v1/self-inspections", body)
    assert response.status_code == 201, response.content
    assert response.json()["period"] == period and response.json()["hazards_found"] == 1

    response = api.post(world.ent_principal, "/api/v1/self-inspections", body)
    assert response.status_code == 422 and "period" in response.json()["errors"]
    response = api.post(world.ent_principal, "/api/v1/self-inspections", {**body, "period": "1999-01"})
    assert response.status_code == 422 and "period" in response.json()["errors"]
    response = api.post(world.ent_principal, "/api/v1/self-inspections", {**body, "organiser": " "})
    assert response.status_code == 422 and "organiser" in response.json()["errors"]
    response = api.post(world.ent_principal, "/api/v1/self-inspections", {**body, "hazards_found": -1})
    assert response.status_code == 422 and "hazards_found" in response.json()["errors"]
    response = api.post(world.ent_principal, "/api/v1/self-inspections", {**body, "mine_id": world.mine_b.pk})
    assert response.status_code == 422 and "mine_id" in response.json()["errors"]
    assert SelfInspection.objects.count() == 1

    services.record_self_inspection(actor=world.other_ent_principal, mine=world.mine_b, period=period,
                                    organised_on=today, organiser="李矿长")
    items = api.get(world.county_inspector, "/api/v1/self-inspections").json()["items"]
    assert [i["mine_id"] for i in items] == [world.mine_a.pk]
    assert api.get(world.province_inspector, "/api/v1/self-inspections").json()["count"] == 2
    assert api.get(world.province_inspector, "/api/v1/self-inspections",
                   mine_id=world.mine_b.pk).json()["items"][0]["organiser"] == "李矿长"
    assert api.get(world.province_inspector, "/api/v1/self-inspections", period="1999-01").json()["count"] == 0
    assert api.get(world.sys_admin, "/api/v1/self-inspections").status_code == 403


# --- OpenAPI -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_openapi_lists_the_hazard_routes(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/v1/hazards", "/api/v1/hazards/{pk}/plan", "/api/v1/hazards/extensions/{pk}/decision",
            "/api/v1/self-inspections"} <= set(paths)
    assert paths["/api/v1/hazards"]["get"]["tags"] == ["hazards"]
    assert "multipart/form-data" in paths["/api/v1/hazards/{pk}/evidence"]["post"]["requestBody"]["content"]
