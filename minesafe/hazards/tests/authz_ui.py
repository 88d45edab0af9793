"""Hazard-ledger pages in the authorization matrix (minesafe/core/tests/test_authz_matrix.py).

Object kinds: "hazard" (a registered hazard), "extension" (a pending extension request) and
"evidence" (a PNG attached to a hazard), each made once per world at mine_a (seen by SEES_A) and
mine_b (seen by SEES_B).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from minesafe.hazards import services
from minesafe.hazards.models import Evidence, Hazard
from minesafe.hazards.tests.authz_api import _clerk
from minesafe.registry.models import Mine
from minesafe.testing.authz import BUSINESS, REGULATORS, SEES_A, SEES_B, r
from minesafe.testing.factories import World

LEADERS = {"province_leader", "city_leader", "county_leader"}  # Role.REG_LEADER in the persona world

UI_ROUTES = {
    "hazards:hazard_list": r(BUSINESS),
    "hazards:hazard_create": r(BUSINESS),
    "hazards:hazard_detail": r(BUSINESS, obj="hazard"),
    "hazards:hazard_plan": r(BUSINESS, obj="hazard"),
    "hazards:hazard_apply": r(BUSINESS, obj="hazard"),
    "hazards:hazard_verify": r(REGULATORS, obj="hazard"),
    "hazards:hazard_reject": r(REGULATORS, obj="hazard"),
    "hazards:hazard_extend": r(BUSINESS, obj="hazard"),
    "hazards:hazard_listing": r(LEADERS, obj="hazard"),
    "hazards:extension_decide": r(REGULATORS, method="POST", obj="extension"),
    "hazards:evidence_download": r(BUSINESS, obj="evidence"),
    "hazards:self_inspections": r(BUSINESS),
}

# Same tiny PNG for every run, stored once under a fixed name (no pile-up of copies in MEDIA_ROOT).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PNG_NAME = "hazards/authz-matrix.png"


def _hazard(world: World, mine: Mine) -> Hazard:
    return services.register_hazard(actor=world.province_leader, mine=mine, data={
        "source": "inspection", "category_code": "metal-ug-2022.1", "description": "安全出口不符合要求",
        "location": "-120m 中段", "found_on": dt.date.today(), "found_by": "检查组",
    })


def _made(world: World, kind: str) -> list[Any]:
    """The kind's objects at mine_a and mine_b, made once per world."""
    cache = world.__dict__.setdefault("_hazard_authz", {})
    if kind not in cache:
        if kind == "hazard":
            cache[kind] = [_hazard(world, world.mine_a), _hazard(world, world.mine_b)]
        elif kind == "extension":
            made = []
            for mine in (world.mine_a, world.mine_b):
                hazard = services.start_rectification(actor=world.province_leader, hazard=_hazard(world, mine), plan={
                    "responsible_person": "张三", "measures": "补设安全出口", "funds_yuan": 10000,
                    "deadline": dt.date.today() + dt.timedelta(days=30), "contingency_plan": "停止该中段作业"})
                made.append(services.request_extension(actor=_clerk(world), hazard=hazard,
                                                       requested=dt.date.today() + dt.timedelta(days=60),
                                                       reason="设备到货延迟"))
            cache[kind] = made
        elif kind == "evidence":
            if not default_storage.exists(PNG_NAME):
                default_storage.save(PNG_NAME, ContentFile(PNG))
            cache[kind] = [
                Evidence.objects.create(hazard=hazard, file=PNG_NAME, original_name="现场照片.png",
                                        content_type="image/png", size=len(PNG), sha256="0" * 64,
                                        uploaded_by=world.province_leader)
                for hazard in _made(world, "hazard")
            ]
    return cache[kind]


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind not in ("hazard", "extension", "evidence"):
        return None
    at_a, at_b = _made(world, kind)
    return [(at_a.pk, role in SEES_A), (at_b.pk, role in SEES_B)]
