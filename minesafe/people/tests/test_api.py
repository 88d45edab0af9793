"""People API: masking, 422s, scoping (other county / enterprise → 404) and the audited reveal."""

from __future__ import annotations

import pytest
from django.test import Client

from minesafe.accounts.models import ApiToken
from minesafe.core.models import AuditEntry
from minesafe.people.models import Person
from minesafe.people.tests.helpers import make_id, person, post

pytestmark = pytest.mark.django_db


def _client(user) -> tuple[Client, dict[str, str]]:
    token = ApiToken.objects.issue(user=user, name="t")[1]
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_person_create_list_and_masking(world) -> None:
    number = make_id()
    client, auth = _client(world.ent_principal)
    response = client.post("/api/v1/people/persons", data={"name": "张三", "id_number": number,
                                                           "education": "college", "employment_type": "regular"},
                           content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_masked"] == number[:6] + "********" + number[-4:]
    assert number not in response.content.decode()
    listing = client.get("/api/v1/people/persons", **auth)
    assert listing.status_code == 200 and number not in listing.content.decode()
    assert listing.json()["count"] == 1


@pytest.mark.parametrize("payload,field", [
    ({"name": "张三", "id_number": "123", "education": "college"}, "id_number"),
    ({"name": "张三", "id_number": "x", "education": "phd"}, "education"),
    ({"name": "张三", "id_number": "x", "education": "college", "salary": 1}, "salary"),
    ({"name": "张三", "id_number": "x", "education": "college", "years_experience": 200}, "years_experience"),
])
def test_person_create_422(world, payload, field) -> None:
    client, auth = _client(world.ent_principal)
    response = client.post("/api/v1/people/persons", data=payload, content_type="application/json", **auth)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Person.objects.exists()


def test_post_and_training_422(world) -> None:
    p = person(world.ent_principal)
    client, auth = _client(world.ent_principal)
    response = client.post("/api/v1/people/posts", data={"person_id": p.pk, "mine_id": world.mine_b.pk,
                                                         "kind": "worker", "start_date": "2024-01-01"},
                           content_type="application/json", **auth)
    assert response.status_code == 422 and "mine_id" in response.json()["errors"]
    response = client.post("/api/v1/people/posts", data={"person_id": p.pk, "mine_id": world.mine_a.pk,
                                                         "kind": "king", "start_date": "2024-01-01"},
                           content_type="application/json", **auth)
    assert response.status_code == 422 and "kind" in response.json()["errors"]
    response = client.post("/api/v1/people/training", data={"mine_id": world.mine_a.pk, "date": "2099-01-01",
                                                            "kind": "drill", "title": "演练"},
                           content_type="application/json", **auth)
    assert response.status_code == 422 and "date" in response.json()["errors"]


def test_scoping_other_county_and_enterprise_get_404(world) -> None:
    p = person(world.ent_principal)
    post(world.ent_principal, p, world.mine_a)
    for user in (world.other_county_inspector, world.other_ent_principal):
        client, auth = _client(user)
        assert client.get(f"/api/v1/people/persons/{p.pk}", **auth).status_code == 404
        assert client.get(f"/api/v1/people/mines/{world.mine_a.pk}/compliance", **auth).status_code == 404
        assert client.get("/api/v1/people/findings", **auth).json()["count"] == 0
    client, auth = _client(world.county_inspector)
    assert client.get(f"/api/v1/people/persons/{p.pk}", **auth).status_code == 200
    compliance = client.get(f"/api/v1/people/mines/{world.mine_a.pk}/compliance", **auth).json()
    assert compliance["check"]["employees"] == 1 and compliance["findings"]
    summary = client.get("/api/v1/people/compliance", **auth).json()
    assert summary["halt_mine_ids"] == [world.mine_a.pk] and summary["employees"] == 1


def test_reveal_is_audited_and_limited(world) -> None:
    number = make_id()
    p = person(world.ent_principal, id_number=number)
    post(world.ent_principal, p, world.mine_a)
    client, auth = _client(world.county_leader)
    assert client.post(f"/api/v1/people/persons/{p.pk}/reveal", data={}, content_type="application/json",
                       **auth).status_code == 403
    client, auth = _client(world.county_inspector)
    response = client.post(f"/api/v1/people/persons/{p.pk}/reveal", data={"reason": "证件核查"},
                           content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["id_number"] == number
    entry = AuditEntry.objects.get(action="people.person.reveal_id")
    assert entry.actor == world.county_inspector and entry.message == "证件核查"
