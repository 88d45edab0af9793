"""Monitoring API: the alarm list's filters and paging, the detail, the handling steps with their 422
field errors, a mine's series, the flags and their decision; scoping (other county 404, enterprise own
mines only, admins 403, anonymous 401) and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from minesafe.accounts.models import ApiToken, User
from minesafe.monitoring.tests.authz_alarms import alarm_state, make_alarm, make_flag, make_sensor, put_minutes
from minesafe.testing.factories import World

BASE = "/api/v1/monitoring"


class Api:
    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}

    def client(self, user: User) -> Client:
        if user.pk not in self.clients:
            token = ApiToken.objects.issue(user=user, name="test")[1]
            self.clients[user.pk] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        return self.clients[user.pk]

    def get(self, user: User, path: str, **params: Any):
        return self.client(user).get(f"{BASE}{path}", params)

    def post(self, user: User, path: str, body: Any = None):
        return self.client(user).post(f"{BASE}{path}", data=body if body is not None else {},
                                      content_type="application/json")


@pytest.fixture
def api(world: World) -> Api:
    return Api()


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def errors(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content
    return response.json()["errors"]


@pytest.fixture
def scene(world: World) -> dict:
    now = timezone.now()
    sa, sb = make_sensor(world.mine_a, code="A-CH4"), make_sensor(world.mine_b, code="B-CH4")
    return {
        "sa": sa, "sb": sb,
        "cut": make_alarm(world.mine_a, sensor=sa, kind="power_cut", severity=3, started=now - dt.timedelta(hours=1)),
        "old": make_alarm(world.mine_a, sensor=sa, kind="high", severity=2, started=now - dt.timedelta(days=2),
                          ended=now - dt.timedelta(days=2, minutes=-20)),
        "stale": make_alarm(world.mine_a, sensor=make_sensor(world.mine_a), kind="stale", severity=1,
                            started=now - dt.timedelta(minutes=15)),
        "b": make_alarm(world.mine_b, sensor=sb, kind="high", severity=2, started=now - dt.timedelta(minutes=5)),
    }


@pytest.mark.django_db
def test_list_filters_paging_and_scope(api: Api, world: World, scene: dict) -> None:
    s = scene
    ids = lambda body: [row["id"] for row in body["items"]]  # noqa: E731
    county = ok(api.get(world.county_inspector, "/alarms"))
    assert county["count"] == 3 and ids(county) == [s["stale"].pk, s["cut"].pk, s["old"].pk]  # newest first
    row = county["items"][1]
    assert row["mine_name"] == world.mine_a.name and row["county_code"] == "210323" and row["active"] is True
    assert row["sensor_code"] == "A-CH4" and row["severity"] == 3 and row["kind"] == "power_cut"
    assert ids(ok(api.get(world.county_inspector, "/alarms", active="true"))) == [s["stale"].pk, s["cut"].pk]
    assert ids(ok(api.get(world.county_inspector, "/alarms", active="false"))) == [s["old"].pk]
    assert ids(ok(api.get(world.county_inspector, "/alarms", kind="stale"))) == [s["stale"].pk]
    assert ids(ok(api.get(world.county_inspector, "/alarms", severity=3))) == [s["cut"].pk]
    assert ids(ok(api.get(world.county_inspector, "/alarms", sensor_id=s["sa"].pk))) == [s["cut"].pk, s["old"].pk]
    today = timezone.localdate()
    assert ids(ok(api.get(world.county_inspector, "/alarms", started_to=(today - dt.timedelta(days=1)).isoformat()))
               ) == [s["old"].pk]
    assert ids(ok(api.get(world.county_inspector, "/alarms", mine_id=world.mine_b.pk))) == []
    assert ids(ok(api.get(world.county_inspector, "/alarms", limit=1, offset=1))) == [s["cut"].pk]
    assert "kind" in errors(api.get(world.county_inspector, "/alarms", kind="nonsense"))
    assert "severity" in errors(api.get(world.county_inspector, "/alarms", severity=9))
    assert "mine_id" in errors(api.get(world.county_inspector, "/alarms", mine_id="9" * 30))
    assert ids(ok(api.get(world.other_county_inspector, "/alarms"))) == [s["b"].pk]
    assert ids(ok(api.get(world.other_ent_principal, "/alarms"))) == [s["b"].pk]
    assert ok(api.get(world.ent_safety, "/alarms"))["count"] == 3
    assert ok(api.get(world.province_leader, "/alarms"))["count"] == 4
    assert api.get(world.sys_admin, "/alarms").status_code == 403
    assert Client().get(f"{BASE}/alarms").status_code == 401


@pytest.mark.django_db
def test_detail_and_scope(api: Api, world: World, scene: dict) -> None:
    pk = scene["cut"].pk
    body = ok(api.get(world.ent_principal, f"/alarms/{pk}"))
    assert body["id"] == pk and body["comments"] == [] and body["allowed_actions"] == ["acknowledge", "assign",
                                                                                         "comment"]
    stale = ok(api.get(world.county_inspector, f"/alarms/{scene['stale'].pk}"))
    assert "clear" in stale["allowed_actions"]  # no-data alarms may be cleared while open
    assert api.get(world.other_county_inspector, f"/alarms/{pk}").status_code == 404
    assert api.get(world.other_ent_principal, f"/alarms/{pk}").status_code == 404
    assert api.get(world.county_inspector, f"/alarms/{10**20}").status_code == 404
    assert api.get(world.audit_admin, f"/alarms/{pk}").status_code == 403


@pytest.mark.django_db
def test_handling_steps(api: Api, world: World, scene: dict) -> None:
    pk = scene["old"].pk
    body = ok(api.post(world.ent_safety, f"/alarms/{pk}/acknowledge", {"note": "调度室已确认"}))
    assert body["acknowledged_by_id"] == world.ent_safety.pk and body["acknowledged_at"]
    assert [c["text"] for c in body["comments"]] == ["调度室已确认"] and "acknowledge" not in body["allowed_actions"]
    assert "__all__" in errors(api.post(world.county_inspector, f"/alarms/{pk}/acknowledge"))  # twice

    body = ok(api.post(world.county_inspector, f"/alarms/{pk}/assign", {"assignee_id": world.ent_principal.pk}))
    assert body["assigned_to_id"] == world.ent_principal.pk and body["assigned_to_name"] == str(world.ent_principal)
    assert "assignee_id" in errors(api.post(world.county_inspector, f"/alarms/{pk}/assign",
                                            {"assignee_id": world.other_county_inspector.pk}))
    assert "assignee_id" in errors(api.post(world.county_inspector, f"/alarms/{pk}/assign",
                                            {"assignee_id": 10**12}))
    assert "assignee_id" in errors(api.post(world.county_inspector, f"/alarms/{pk}/assign", {}))

    body = ok(api.post(world.ent_principal, f"/alarms/{pk}/comment", {"text": "已更换传感器"}), 201)
    assert body["comments"][-1] == {**body["comments"][-1], "author": str(world.ent_principal), "text": "已更换传感器"}
    assert "text" in errors(api.post(world.ent_principal, f"/alarms/{pk}/comment", {"text": " "}))
    assert "note" in errors(api.post(world.county_inspector, f"/alarms/{pk}/clear", {"note": ""}))
    assert "extra" in errors(api.post(world.county_inspector, f"/alarms/{pk}/clear", {"note": "x", "extra": 1}))

    body = ok(api.post(world.county_inspector, f"/alarms/{pk}/clear", {"note": "传感器更换后读数正常"}))
    assert body["cleared_by_id"] == world.county_inspector.pk and body["active"] is False
    assert body["allowed_actions"] == ["comment"]
    assert "__all__" in errors(api.post(world.county_inspector, f"/alarms/{pk}/assign",
                                        {"assignee_id": world.county_leader.pk}))


@pytest.mark.django_db
def test_refusals_change_nothing(api: Api, world: World, scene: dict) -> None:
    cut = scene["cut"].pk
    before = alarm_state()
    assert "__all__" in errors(api.post(world.county_inspector, f"/alarms/{cut}/clear", {"note": "仍在报警"}))
    assert api.post(world.other_county_inspector, f"/alarms/{cut}/acknowledge").status_code == 404
    assert api.post(world.other_ent_principal, f"/alarms/{cut}/comment", {"text": "x"}).status_code == 404
    assert api.post(world.sec_admin, f"/alarms/{cut}/acknowledge").status_code == 403
    assert Client().post(f"{BASE}/alarms/{cut}/acknowledge", content_type="application/json").status_code == 401
    flag = make_flag(world.mine_a, sensor=scene["sa"])
    before = alarm_state()
    assert api.post(world.ent_principal, f"/flags/{flag.pk}/decide", {"confirm": True, "note": "x"}).status_code == 403
    assert api.post(world.other_county_inspector, f"/flags/{flag.pk}/decide",
                    {"confirm": True, "note": "x"}).status_code == 404
    assert alarm_state() == before


@pytest.mark.django_db
def test_series(api: Api, world: World, scene: dict) -> None:
    put_minutes(scene["sa"], [0.2] * 90 + [1.6] * 30)
    put_minutes(scene["sb"], [0.1] * 10)
    body = ok(api.get(world.county_inspector, f"/mines/{world.mine_a.pk}/series", hours=1))
    assert body["mine_id"] == world.mine_a.pk and body["hours"] == 1
    by_code = {s["code"]: s for s in body["sensors"]}
    assert set(by_code) == {"A-CH4", scene["stale"].sensor.code}
    ch4 = by_code["A-CH4"]
    assert ch4["thresholds"] == {"cut_high": 1.5, "alarm_high": 1.0, "restore_high": 1.0, "alarm_low": None}
    # the last hour up to the current minute, which has no aggregate yet (59, or 58 if the clock ticked meanwhile)
    assert len(ch4["points"]) in (58, 59) and ch4["points"][-1]["avg"] == pytest.approx(1.6)
    assert set(ch4["points"][0]) == {"t", "avg", "min", "max", "last", "n"}
    one = ok(api.get(world.county_inspector, f"/mines/{world.mine_a.pk}/series", sensor=scene["sa"].pk))
    assert [s["id"] for s in one["sensors"]] == [scene["sa"].pk] and len(one["sensors"][0]["points"]) == 120
    assert "sensor" in errors(api.get(world.county_inspector, f"/mines/{world.mine_a.pk}/series",
                                      sensor=scene["sb"].pk))
    assert "hours" in errors(api.get(world.county_inspector, f"/mines/{world.mine_a.pk}/series", hours=500))
    assert api.get(world.county_inspector, f"/mines/{world.mine_b.pk}/series").status_code == 404
    assert api.get(world.other_ent_principal, f"/mines/{world.mine_a.pk}/series").status_code == 404
    assert ok(api.get(world.other_ent_principal, f"/mines/{world.mine_b.pk}/series"))["sensors"][0]["code"] == "B-CH4"


@pytest.mark.django_db
def test_flags(api: Api, world: World, scene: dict) -> None:
    flat = make_flag(world.mine_a, sensor=scene["sa"])
    replay = make_flag(world.mine_a, sensor=scene["sa"], pattern="replay", evidence={"copied_from": "2026-03-01"})
    other = make_flag(world.mine_b, sensor=scene["sb"])
    body = ok(api.get(world.county_leader, "/flags"))
    assert [f["id"] for f in body["items"]] == [replay.pk, flat.pk]
    assert body["items"][0]["evidence"] == {"copied_from": "2026-03-01"} and body["items"][0]["pattern"] == "replay"
    assert [f["id"] for f in ok(api.get(world.county_leader, "/flags", pattern="flat_line"))["items"]] == [flat.pk]
    assert "pattern" in errors(api.get(world.county_leader, "/flags", pattern="bogus"))
    assert [f["id"] for f in ok(api.get(world.other_ent_principal, "/flags"))["items"]] == [other.pk]
    detail = ok(api.get(world.ent_principal, f"/flags/{flat.pk}"))
    assert detail["explanation"] == flat.explanation and detail["decision_note"] == ""
    assert api.get(world.other_county_inspector, f"/flags/{flat.pk}").status_code == 404

    assert "note" in errors(api.post(world.county_leader, f"/flags/{flat.pk}/decide", {"confirm": True, "note": ""}))
    assert "confirm" in errors(api.post(world.county_leader, f"/flags/{flat.pk}/decide", {"note": "x"}))
    body = ok(api.post(world.county_leader, f"/flags/{flat.pk}/decide",
                       {"confirm": True, "note": "探头被包裹，数据失真"}))
    assert body["status"] == "confirmed" and body["decided_by_id"] == world.county_leader.pk
    assert body["decision_note"] == "探头被包裹，数据失真"
    assert "__all__" in errors(api.post(world.county_leader, f"/flags/{flat.pk}/decide",
                                        {"confirm": False, "note": "改判"}))
    assert ok(api.get(world.county_leader, f"/flags/{flat.pk}"))["status"] == "confirmed"
