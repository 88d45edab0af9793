"""Sensor registry pages and API in the authorization matrix (minesafe/core/tests/test_authz_matrix.py).

Object kinds "sensor" and "gateway" are made once per world: one at mine_a by ent_principal (seen by
SEES_A) and one at mine_b by other_ent_principal (seen by SEES_B). Regulators read sensors
(monitoring.view) but never manage them or see gateways (monitoring.manage_sensors is enterprise-only).
"""

from __future__ import annotations

from typing import Any

from minesafe.monitoring import sensors as services
from minesafe.testing.authz import BUSINESS, ENTERPRISE, SEES_A, SEES_B, r
from minesafe.testing.factories import World

UI_ROUTES = {
    "monitoring:sensor_list": r(BUSINESS),
    "monitoring:sensor_export": r(BUSINESS),
    "monitoring:sensor_create": r(ENTERPRISE),
    "monitoring:sensor_detail": r(BUSINESS, obj="sensor"),
    "monitoring:sensor_edit": r(ENTERPRISE, obj="sensor"),
    # an empty POST is an invalid form: the detail page again (200) with the errors
    "monitoring:sensor_thresholds": r(ENTERPRISE, method="POST", obj="sensor"),
    "monitoring:gateway_list": r(ENTERPRISE),
    "monitoring:gateway_create": r(ENTERPRISE),
    "monitoring:gateway_revoke": r(ENTERPRISE, method="POST", obj="gateway"),
}

API_ROUTES = {
    ("GET", "/api/v1/monitoring/sensors"): r(BUSINESS),
    # ent_principal creates the sensor (201); ent_safety repeats the same code (422); other_ent_principal
    # cannot see mine_a (422 on mine_id)
    ("POST", "/api/v1/monitoring/sensors"): r(ENTERPRISE, ok=(201, 422)),
    ("GET", "/api/v1/monitoring/sensors/{pk}"): r(BUSINESS, obj="sensor"),
    ("PATCH", "/api/v1/monitoring/sensors/{pk}"): r(ENTERPRISE, obj="sensor"),
    ("POST", "/api/v1/monitoring/sensors/{pk}/thresholds"): r(ENTERPRISE, obj="sensor"),
}


def _made(world: World, kind: str) -> list[Any]:
    """The kind's objects at mine_a and mine_b, made once per world."""
    cache = world.__dict__.setdefault("_sensors_authz", {})
    if kind not in cache:
        sensors, gateways = [], []
        for actor, mine in ((world.ent_principal, world.mine_a), (world.other_ent_principal, world.mine_b)):
            sensors.append(services.create_sensor(actor, mine, {"code": "AUTHZ-CH4", "kind": "ch4",
                                                                "location": "coal_face"}))
            gateways.append(services.create_gateway(actor, mine, "矩阵网关")[0])
        cache["sensor"], cache["gateway"] = sensors, gateways
    return cache[kind]


def objects(world: World, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind not in ("sensor", "gateway"):
        return None
    at_a, at_b = _made(world, kind)
    return [(at_a.pk, role in SEES_A), (at_b.pk, role in SEES_B)]


def api_payload(world: World, method: str, path: str) -> dict[str, Any] | None:
    if method != "POST" or not path.startswith("/api/v1/monitoring/sensors"):
        return None
    if path == "/api/v1/monitoring/sensors":
        return {"mine_id": world.mine_a.pk, "code": "API-CH4-1", "kind": "ch4", "location": "face_return"}
    if path == "/api/v1/monitoring/sensors/{pk}/thresholds":
        return {"reset": True, "reason": "恢复规程默认值"}
    return None
