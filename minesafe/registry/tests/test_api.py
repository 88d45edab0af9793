"""API: 422 with field errors on bad input (never 500), scoping, filters, OpenAPI."""

from __future__ import annotations

import pytest
from django.test import Client

from minesafe.accounts.models import ApiToken
from minesafe.registry.models import Enterprise, Mine
from minesafe.testing.factories import World, uscc_for


@pytest.fixture
def api(world: World):
    token = ApiToken.objects.issue(user=world.county_leader, name="t")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def call(method: str, path: str, payload: object = None):
        fn = getattr(client, method)
        if payload is None:
            return fn(path)
        return fn(path, data=payload, content_type="application/json")

    return call


@pytest.mark.django_db
def test_openapi_schema_is_served(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/mines" in schema["paths"]
    assert schema["info"]["title"] == "MineSafe API"


@pytest.mark.django_db
def test_create_and_read_mine(world: World, api) -> None:
    response = api("post", "/api/v1/mines", {
        "name": "API 新建露天矿", "enterprise_id": world.ent_a.pk, "county_code": "210323",
        "sector": "metal_open_pit", "scale": "small", "approved_capacity": "12.5", "status": "construction",
        "latitude": "40.28", "longitude": "123.28",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "construction" and body["county_id"] == "210323"
    assert api("get", f"/api/v1/mines/{body['id']}").json()["name"] == "API 新建露天矿"
    history = api("get", f"/api/v1/mines/{body['id']}/status-history").json()
    assert [h["to_status"] for h in history] == ["construction"]


@pytest.mark.django_db
@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "x", "enterprise_id": "abc"}, "enterprise_id"),               # wrong type
    ({"name": "x", "sector": "oil_well"}, "sector"),                        # unknown choice
    ({"name": "x", "approved_capacity": "-3"}, "approved_capacity"),        # negative
    ({"name": "x", "mining_licence_valid_until": "2026-13-45"}, "mining_licence_valid_until"),
    ({"name": "x", "enterprise_id": 999999, "county_code": "210323", "sector": "coal", "scale": "small"},
     "enterprise_id"),                                                      # not visible
    ({"name": "x", "county_code": "000000"}, "county_code"),                # unknown division
])
def test_bad_input_is_422_with_field_errors(world: World, api, payload: dict, field: str) -> None:
    response = api("post", "/api/v1/mines", payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Mine.objects.filter(name="x").exists()


@pytest.mark.django_db
def test_rule_violation_is_422(world: World, api) -> None:
    response = api("post", "/api/v1/mines", {"name": "煤矿", "enterprise_id": world.ent_a.pk,
                                             "county_code": "210323", "sector": "coal", "scale": "small"})
    assert response.status_code == 422
    assert "gas_grade" in response.json()["errors"]


@pytest.mark.django_db
def test_malformed_json_is_not_a_500(world: World) -> None:
    token = ApiToken.objects.issue(user=world.county_leader, name="j")[1]
    response = Client().post("/api/v1/mines", data="{not json", content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (400, 422)


@pytest.mark.django_db
def test_enterprise_bad_uscc(world: World, api) -> None:
    response = api("post", "/api/v1/enterprises", {"name": "坏码", "uscc": "91210323MA0000000X",
                                                   "division_code": "210323"})
    assert response.status_code == 422 and "uscc" in response.json()["errors"]
    good = uscc_for("210323")
    response = api("post", "/api/v1/enterprises", {"name": "好码", "uscc": good, "division_code": "210323",
                                                   "parent_id": world.ent_a.pk})
    assert response.status_code == 201
    assert Enterprise.objects.get(uscc=good).parent == world.ent_a
    response = api("patch", f"/api/v1/enterprises/{world.ent_a.pk}", {"parent_id": world.ent_b.pk})
    assert response.status_code == 422 and "parent_id" in response.json()["errors"]


@pytest.mark.django_db
def test_status_change_via_api(world: World, api) -> None:
    response = api("post", f"/api/v1/mines/{world.mine_a.pk}/status", {"target": "rectification", "reason": ""})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    response = api("post", f"/api/v1/mines/{world.mine_a.pk}/status",
                   {"target": "rectification", "reason": "重大事故隐患", "document_no": "岫应急〔2026〕9号"})
    assert response.status_code == 200 and response.json()["status"] == "rectification"


@pytest.mark.django_db
def test_list_filters_and_pagination(world: World) -> None:
    token = ApiToken.objects.issue(user=world.province_leader, name="p")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = client.get("/api/v1/mines?limit=1").json()
    assert body["count"] == 2 and len(body["items"]) == 1
    assert [m["name"] for m in client.get("/api/v1/mines?division=210902").json()["items"]] == ["乙矿"]
    assert client.get("/api/v1/mines?licence=expired").json()["count"] == 0
    assert client.get("/api/v1/mines?status=bogus").status_code == 422


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(world: World) -> None:
    """A browser session may call the API, but a forged cross-site POST without the token is refused."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.county_leader)
    assert client.get("/api/v1/mines").status_code == 200
    response = client.post(f"/api/v1/mines/{world.mine_a.pk}/status", data={"target": "closed", "reason": "x",
                           "document_no": "x"}, content_type="application/json")
    assert response.status_code in (401, 403)
    world.mine_a.refresh_from_db()
    assert world.mine_a.status == "production"
