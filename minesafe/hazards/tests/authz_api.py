"""Hazard-ledger API routes in the authorization matrix (core/tests/test_authz_matrix.py).

Object kinds (named ``*_api`` so they do not collide with the pages' kinds): each call creates fresh
hazards at mine_a (seen by SEES_A) and mine_b (seen by SEES_B) in the state the route needs, so an
allowed role in scope gets the success code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from minesafe.hazards import services
from minesafe.hazards.models import Evidence, Hazard
from minesafe.registry.models import Mine
from minesafe.rules.hazards import period_key
from minesafe.testing.authz import BUSINESS, REGULATORS, SEES_A, SEES_B, r
from minesafe.testing.factories import World

LEADERS = {"province_leader", "city_leader", "county_leader"}

API_ROUTES = {
    ("GET", "/api/v1/hazards"): r(BUSINESS),
    ("POST", "/api/v1/hazards"): r(BUSINESS, method="POST", ok=(201, 422)),  # 422: mine_a out of scope
    ("GET", "/api/v1/hazards/{pk}"): r(BUSINESS, obj="hazard_api"),
    ("GET", "/api/v1/hazards/{pk}/events"): r(BUSINESS, obj="hazard_api"),
    ("GET", "/api/v1/hazards/{pk}/decisions"): r(BUSINESS, obj="hazard_api"),
    ("POST", "/api/v1/hazards/{pk}/plan"): r(BUSINESS, method="POST", obj="hazard_api"),
    # JSON cannot carry a file: an allowed role in scope gets 422 for the missing file.
    ("POST", "/api/v1/hazards/{pk}/evidence"): r(BUSINESS, method="POST", obj="hazard_api", ok=(422,)),
    ("POST", "/api/v1/hazards/{pk}/apply"): r(BUSINESS, method="POST", obj="hazard_api_evidenced"),
    ("POST", "/api/v1/hazards/{pk}/verify"): r(REGULATORS, method="POST", obj="hazard_api_awaiting"),
    ("POST", "/api/v1/hazards/{pk}/reject"): r(REGULATORS, method="POST", obj="hazard_api_awaiting"),
    ("POST", "/api/v1/hazards/{pk}/extensions"): r(BUSINESS, method="POST", obj="hazard_api_rectifying",
                                                    ok=(201,)),
    ("POST", "/api/v1/hazards/extensions/{pk}/decision"): r(REGULATORS, method="POST", obj="extension_api"),
    ("POST", "/api/v1/hazards/{pk}/listing"): r(LEADERS, method="POST", obj="hazard_api", ok=(201,)),
    ("GET", "/api/v1/self-inspections"): r(BUSINESS),
    # the first allowed role records mine_a's period; the others get 422 (already recorded / out of scope)
    ("POST", "/api/v1/self-inspections"): r(BUSINESS, method="POST", ok=(201, 422)),
}


def _today() -> dt.date:
    return timezone.localdate()


def _plan() -> dict[str, Any]:
    return {"responsible_person": "张矿长", "measures": "封闭并补设第二安全出口", "funds_yuan": Decimal("50000"),
            "deadline": _today() + dt.timedelta(days=30), "contingency_plan": "停止作业、撤出人员"}


def _clerk(world: World) -> Any:
    """A province inspector outside the matrix's roles who applies and requests on the enterprise's
    behalf, so every role in the matrix may still verify or decide (the applicant never may)."""
    from minesafe.accounts.models import User

    clerk, _created = User.objects.get_or_create(
        username="matrix_clerk",
        defaults={"role": "reg_inspector", "organisation": world.province_leader.organisation},
    )
    return clerk


def _hazard(world: World, mine: Mine, state: str) -> Hazard:
    """A hazard at ``mine`` brought to ``state`` through the services."""
    actor = _clerk(world)
    hazard = services.register_hazard(actor=actor, mine=mine, data={
        "source": "inspection", "category_code": "metal-ug-2022.1", "item_code": "metal-ug-2022.1.1",
        "description": "安全出口不足两个", "location": "-120m 中段", "found_on": _today(), "found_by": "执法检查组",
    })
    if state == "registered":
        return hazard
    hazard = services.start_rectification(actor=actor, hazard=hazard, plan=_plan())
    if state == "rectifying":
        return hazard
    # Rectification evidence as a row only (no file written by the matrix).
    Evidence.objects.create(hazard=hazard, file="hazards/matrix.png", original_name="matrix.png",
                            content_type="image/png", size=8, sha256="0" * 64, purpose="rectification",
                            uploaded_by=actor)
    if state == "evidenced":
        return hazard
    services.apply_for_closure(actor=actor, hazard=hazard, note="整改完成", evidence=[])
    return hazard


KIND_STATES = {"hazard_api": "registered", "hazard_api_rectifying": "rectifying",
               "hazard_api_evidenced": "evidenced", "hazard_api_awaiting": "awaiting"}


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind in KIND_STATES:
        state = KIND_STATES[kind]
        return [(_hazard(world, world.mine_a, state).pk, role in SEES_A),
                (_hazard(world, world.mine_b, state).pk, role in SEES_B)]
    if kind == "extension_api":
        pairs = []
        for mine, seen in ((world.mine_a, SEES_A), (world.mine_b, SEES_B)):
            hazard = _hazard(world, mine, "rectifying")
            ext = services.request_extension(actor=_clerk(world), hazard=hazard,
                                             requested=hazard.deadline + dt.timedelta(days=30), reason="设备到货延迟")
            pairs.append((ext.pk, role in seen))
        return pairs
    return None


def api_payload(world: World, method: str, path: str) -> dict[str, Any] | None:
    if method != "POST":
        return None
    today = _today()
    payloads: dict[str, dict[str, Any]] = {
        "/api/v1/hazards": {
            "mine_id": world.mine_a.pk, "source": "self_check", "category_code": "metal-ug-2022.1",
            "item_code": "metal-ug-2022.1.1", "description": "安全出口被堵", "location": "-80m 中段",
            "found_on": today.isoformat(), "found_by": "安全科",
        },
        "/api/v1/hazards/{pk}/plan": {**_plan(), "funds_yuan": "50000", "deadline": _plan()["deadline"].isoformat()},
        "/api/v1/hazards/{pk}/evidence": {"purpose": "rectification"},
        "/api/v1/hazards/{pk}/apply": {"note": "整改完成，申请销号"},
        "/api/v1/hazards/{pk}/verify": {"method": "on_site", "note": "现场核查合格"},
        "/api/v1/hazards/{pk}/reject": {"reason": "第二安全出口未贯通"},
        "/api/v1/hazards/{pk}/extensions": {"requested_deadline": (today + dt.timedelta(days=90)).isoformat(),
                                            "reason": "设备到货延迟"},
        "/api/v1/hazards/extensions/{pk}/decision": {"approve": True, "note": "同意"},
        "/api/v1/hazards/{pk}/listing": {"document_no": "鞍安委督〔2026〕1号",
                                         "deadline": (today + dt.timedelta(days=60)).isoformat()},
        "/api/v1/self-inspections": {
            "mine_id": world.mine_a.pk, "period": period_key(world.mine_a.sector, today),
            "organised_on": today.isoformat(), "organiser": "张矿长", "hazards_found": 0,
        },
    }
    return payloads.get(path)
