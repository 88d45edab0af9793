"""People pages and API in the authorization matrix (minesafe/core/tests/test_authz_matrix.py).

Object kinds "person", "post" and "training" are made once per world at mine_a (ent_a, seen by
SEES_A) and mine_b (ent_b, seen by SEES_B) by the enterprises' own principals. Kind "people_import"
is a roster run uploaded by ent_principal and a training run uploaded by ent_safety: an import run
belongs to its uploader alone, so every other role holding people.import gets 404 (others 403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minesafe.core.models import ImportJob
from minesafe.people import services
from minesafe.people.io import ROSTER_IMPORT_KIND, TRAINING_IMPORT_KIND
from minesafe.people.tests.helpers import make_id
from minesafe.testing.authz import BUSINESS, ENTERPRISE, SEES_A, SEES_B, r
from minesafe.testing.factories import World

# people.reveal_id: enterprise principals and regulator inspectors (not leaders, not safety managers)
REVEAL = {"ent_principal", "other_ent_principal", "province_inspector", "city_inspector", "county_inspector",
          "other_county_inspector"}

UI_ROUTES = {
    "people:compliance": r(BUSINESS),
    "people:person_list": r(BUSINESS),
    "people:roster_export": r(BUSINESS),
    "people:person_create": r(ENTERPRISE),
    "people:person_detail": r(BUSINESS, obj="person"),
    "people:person_edit": r(ENTERPRISE, obj="person"),
    "people:person_reveal": r(REVEAL, method="POST", obj="person"),
    "people:post_create": r(ENTERPRISE, obj="person"),
    "people:post_edit": r(ENTERPRISE, obj="post"),
    "people:training_list": r(BUSINESS),
    "people:training_create": r(ENTERPRISE),
    "people:training_detail": r(BUSINESS, obj="training"),
    "people:training_attendees": r(ENTERPRISE, obj="training"),
    "people:finding_list": r(BUSINESS),
    "people:finding_export": r(BUSINESS),
    "people:mine_compliance": r(BUSINESS, obj="mine"),
    "people:mine_recheck": r(BUSINESS, method="POST", obj="mine"),
    "people:import": r(ENTERPRISE),
    "people:roster_template": r(ENTERPRISE),
    "people:training_template": r(ENTERPRISE),
    "people:import_job": r(ENTERPRISE, obj="people_import"),
    "people:import_progress": r(ENTERPRISE, obj="people_import"),
}

API_ROUTES = {
    ("GET", "/api/v1/people/persons"): r(BUSINESS),
    # each enterprise creates the person once (201); a repeat on the same roster is 422
    ("POST", "/api/v1/people/persons"): r(ENTERPRISE, ok=(201, 422)),
    ("GET", "/api/v1/people/persons/{pk}"): r(BUSINESS, obj="person"),
    ("PATCH", "/api/v1/people/persons/{pk}"): r(ENTERPRISE, obj="person"),
    ("POST", "/api/v1/people/persons/{pk}/reveal"): r(REVEAL, obj="person"),
    ("GET", "/api/v1/people/posts"): r(BUSINESS),
    # 422 for other_ent_principal: the person and mine are ent_a's
    ("POST", "/api/v1/people/posts"): r(ENTERPRISE, ok=(201, 422)),
    ("PATCH", "/api/v1/people/posts/{pk}"): r(ENTERPRISE, obj="post"),
    ("GET", "/api/v1/people/training"): r(BUSINESS),
    ("POST", "/api/v1/people/training"): r(ENTERPRISE, ok=(201, 422)),
    ("GET", "/api/v1/people/training/{pk}"): r(BUSINESS, obj="training"),
    ("GET", "/api/v1/people/findings"): r(BUSINESS),
    ("GET", "/api/v1/people/mines/{pk}/compliance"): r(BUSINESS, obj="mine"),
    ("POST", "/api/v1/people/mines/{pk}/recheck"): r(BUSINESS, obj="mine"),
    ("GET", "/api/v1/people/compliance"): r(BUSINESS),
}


def _made(world: World, kind: str) -> list[Any]:
    """The kind's objects at mine_a and mine_b, made once per world."""
    cache = world.__dict__.setdefault("_people_authz", {})
    if kind not in cache:
        made = []
        for actor, mine in ((world.ent_principal, world.mine_a), (world.other_ent_principal, world.mine_b)):
            person = services.create_person(actor=actor, data={
                "name": "矩阵人员", "id_number": make_id(), "education": "college", "employment_type": "regular"})
            post = services.add_post(actor=actor, person=person, mine=mine, data={
                "kind": "worker", "underground": True, "start_date": dt.date(2024, 1, 1)})
            session = services.record_training(actor=actor, mine=mine, attendees=[person], data={
                "date": dt.date.today(), "kind": "all_staff", "title": "全员安全培训"})
            made.append({"person": person, "post": post, "training": session})
        for key in ("person", "post", "training"):
            cache[key] = [m[key] for m in made]
    return cache[kind]


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind == "people_import":
        runs = []
        for owner, job_kind in (("ent_principal", ROSTER_IMPORT_KIND), ("ent_safety", TRAINING_IMPORT_KIND)):
            job = ImportJob.objects.create(kind=job_kind, actor=world.roles()[owner], filename="p.xlsx")
            runs.append((job.pk, role == owner))
        return runs
    if kind not in ("person", "post", "training"):
        return None
    at_a, at_b = _made(world, kind)
    return [(at_a.pk, role in SEES_A), (at_b.pk, role in SEES_B)]


_API_PERSON_ID = make_id(seq=999)


def api_payload(world: World, method: str, path: str) -> dict[str, Any] | None:
    if method != "POST" or not path.startswith("/api/v1/people/"):
        return None
    person_a = _made(world, "person")[0]
    payloads: dict[str, dict[str, Any]] = {
        "/api/v1/people/persons": {"name": "接口人员", "id_number": _API_PERSON_ID, "education": "high_school",
                                   "employment_type": "regular"},
        "/api/v1/people/persons/{pk}/reveal": {"reason": "证件核查"},
        "/api/v1/people/posts": {"person_id": person_a.pk, "mine_id": world.mine_a.pk, "kind": "worker",
                                 "start_date": "2024-01-01"},
        "/api/v1/people/training": {"mine_id": world.mine_a.pk, "date": dt.date.today().isoformat(),
                                    "kind": "all_staff", "title": "全员培训", "attendee_ids": [person_a.pk]},
        "/api/v1/people/mines/{pk}/recheck": {},
    }
    return payloads.get(path)
