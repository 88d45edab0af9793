"""Tip-off API routes in the authorization matrix (minesafe/core/tests/test_authz_matrix.py).

The three public routes need no authentication: every role and anonymous get the same answer (the
matrix calls each role from its own address, since the public side is rate limited per address).
Regulator routes: enterprises and admins 403, anonymous 401, a report outside the caller's
jurisdiction 404. Object kinds: "tipoff_api" — one report at mine_a (岫岩, seen by SEES_A) and one at
mine_b (阜新 海州区, SEES_B), submitted once per world through the service; "tipoff_api_fresh" — the
same pair submitted anew for every role, so that each allowed role in scope can accept its own
(the actions route is tried with ``accept``, substituted through API_PATH_ARGS).
"""

from __future__ import annotations

from typing import Any

from minesafe.testing.authz import REGULATORS, SEES_A, SEES_B, r
from minesafe.testing.factories import World
from minesafe.tipoffs import services

LEADERS = {"province_leader", "city_leader", "county_leader"}
ACTIONS = "/api/v1/tipoffs/{pk}/actions/{action}"

API_ROUTES = {
    ("POST", "/api/v1/tipoffs/public/reports"): r(set(), public=True, ok=(201,)),
    ("POST", "/api/v1/tipoffs/public/lookup"): r(set(), public=True),
    ("POST", "/api/v1/tipoffs/public/information"): r(set(), public=True, ok=(201,)),
    ("GET", "/api/v1/tipoffs"): r(REGULATORS),
    ("GET", "/api/v1/tipoffs/kpi"): r(REGULATORS),
    ("GET", "/api/v1/tipoffs/{pk}"): r(REGULATORS, obj="tipoff_api"),
    ("POST", ACTIONS): r(REGULATORS, method="POST", obj="tipoff_api_fresh"),
    ("POST", "/api/v1/tipoffs/{pk}/reveal"): r(LEADERS, method="POST", obj="tipoff_api"),
}
API_PATH_ARGS = {("POST", ACTIONS): {"action": "accept"}}

DESCRIPTION = "井下-120m中段安全出口被杂物堵塞，仍在组织生产"


def _submit(world: World, mine: Any) -> services.Receipt:
    cache = world.__dict__.setdefault("_tipoffs_api_authz", {})
    cache["n"] = cache.get("n", 0) + 1
    return services.submit_tipoff(data={"category": "major_hazard", "description": DESCRIPTION, "mine": mine.pk,
                                        "anonymous": False, "name": "矩阵举报人", "phone": "13800000000"},
                                  client=f"matrix-api-{cache['n']}")


def _receipts(world: World) -> list[services.Receipt]:
    """The reports at mine_a and mine_b, made once per world."""
    cache = world.__dict__.setdefault("_tipoffs_api_authz", {})
    if "receipts" not in cache:
        cache["receipts"] = [_submit(world, world.mine_a), _submit(world, world.mine_b)]
    return cache["receipts"]


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind == "tipoff_api":
        at_a, at_b = (receipt.tipoff for receipt in _receipts(world))
    elif kind == "tipoff_api_fresh":
        at_a, at_b = _submit(world, world.mine_a).tipoff, _submit(world, world.mine_b).tipoff
    else:
        return None
    return [(at_a.pk, role in SEES_A), (at_b.pk, role in SEES_B)]


def api_payload(world: World, method: str, path: str) -> dict[str, Any] | None:
    if method != "POST" or not path.startswith("/api/v1/tipoffs"):
        return None
    receipt = _receipts(world)[0]
    opened = {"code": services.format_code(receipt.code), "secret": services.format_secret(receipt.secret)}
    payloads: dict[str, dict[str, Any]] = {
        "/api/v1/tipoffs/public/reports": {"category": "hidden_face", "description": DESCRIPTION,
                                           "mine_id": world.mine_a.pk},
        "/api/v1/tipoffs/public/lookup": opened,
        "/api/v1/tipoffs/public/information": {**opened, "text": "补充：夜班22点后开工"},
        ACTIONS: {"note": "受理"},
        "/api/v1/tipoffs/{pk}/reveal": {},
    }
    return payloads.get(path)
