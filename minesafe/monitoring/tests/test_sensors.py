"""Sensor registry: services (defaults from rules.monitoring, overrides, gateways, declared CDDY
points), pages (list, export, detail, thresholds, gateways) and API, with scoping."""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from minesafe.accounts.models import ApiToken
from minesafe.core.errors import FieldErrors, NotFound, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.monitoring import sensors as services
from minesafe.monitoring.models import Gateway, Sensor
from minesafe.registry.models import Mine

pytestmark = pytest.mark.django_db

CH4_T1 = {"code": "T1-1301", "kind": "ch4", "location": "coal_face", "place": "1301工作面"}


def _coal(mine: Mine, grade: str = "high") -> Mine:
    Mine.objects.filter(pk=mine.pk).update(sector="coal", gas_grade=grade)
    mine.refresh_from_db()
    return mine


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _audits(sensor: Sensor, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="monitoring.sensor", object_id=str(sensor.pk), action=action))


# --- create / update -------------------------------------------------------------------------


def test_create_takes_the_rule_defaults_for_the_mine_gas_grade(world) -> None:
    mine = _coal(world.mine_a, "outburst")
    sensor = services.create_sensor(world.ent_principal, mine, CH4_T1)
    assert (sensor.alarm_high, sensor.cut_high, sensor.restore_high) == (1.0, 1.5, 1.0)
    assert (sensor.range_low, sensor.range_high, sensor.unit) == (0.0, 40.0, "%")
    assert not sensor.thresholds_overridden
    (entry,) = _audits(sensor, "monitoring.sensor.create")
    assert entry.actor == world.ent_principal and "突出矿井" in entry.message
    assert entry.after["cut_high"] == "1.5"


def test_create_accepts_a_wider_range_and_refuses_a_narrower_one(world) -> None:
    mine = _coal(world.mine_a, "high")
    wide = services.create_sensor(world.ent_principal, mine, {**CH4_T1, "range_high": 40})
    assert wide.range_high == 40.0
    with pytest.raises(FieldErrors) as exc:
        services.create_sensor(world.ent_principal, mine, {**CH4_T1, "code": "T1-2", "range_high": 4})
    assert "range_high" in exc.value.errors and "10.0%" in exc.value.errors["range_high"][0]
    assert not Sensor.objects.filter(code="T1-2").exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"code": "", "kind": "ch4", "location": "coal_face"}, "code"),
    ({"code": "X", "kind": "radon", "location": "coal_face"}, "kind"),
    ({"code": "X", "kind": "ch4", "location": "roof"}, "location"),
    ({"code": "X", "kind": "ch4", "location": "coal_face", "range_high": "abc"}, "range_high"),
    ({"code": "X", "kind": "ch4", "location": "coal_face", "range_high": float("inf")}, "range_high"),
    ({"code": "X", "kind": "ch4", "location": "coal_face", "stale_after_s": -1}, "stale_after_s"),
    ({"code": "X", "kind": "ch4", "location": "coal_face", "repeat_count": 3}, "repeat_window_s"),
    ({"code": "X", "kind": "ch4", "location": "coal_face", "cut_high": 5}, "cut_high"),  # not a create field
    ({"code": "X" * 41, "kind": "ch4", "location": "coal_face"}, "code"),
])
def test_create_validates_shape(world, data: dict, field: str) -> None:
    with pytest.raises(FieldErrors) as exc:
        services.create_sensor(world.ent_principal, world.mine_a, data)
    assert field in exc.value.errors


def test_code_is_unique_per_mine_only(world) -> None:
    services.create_sensor(world.ent_principal, world.mine_a, CH4_T1)
    with pytest.raises(FieldErrors) as exc:
        services.create_sensor(world.ent_safety, world.mine_a, CH4_T1)
    assert "code" in exc.value.errors
    services.create_sensor(world.other_ent_principal, world.mine_b, CH4_T1)  # another mine: fine


def test_create_is_for_the_own_enterprise_only(world) -> None:
    with pytest.raises(PermissionDenied):
        services.create_sensor(world.county_leader, world.mine_a, CH4_T1)
    with pytest.raises(FieldErrors) as exc:
        services.create_sensor(world.other_ent_principal, world.mine_a, CH4_T1)
    assert "mine" in exc.value.errors
    assert not Sensor.objects.exists()


def test_feed_sensor_must_be_a_feed_of_the_same_mine(world) -> None:
    feed_a = services.create_sensor(world.ent_principal, world.mine_a, {"code": "KD1", "kind": "feed",
                                                                        "location": "coal_face"})
    co_a = services.create_sensor(world.ent_principal, world.mine_a, {"code": "CO1", "kind": "co",
                                                                      "location": "coal_face"})
    feed_b = services.create_sensor(world.other_ent_principal, world.mine_b, {"code": "KD1", "kind": "feed",
                                                                              "location": "coal_face"})
    for bad in (co_a, feed_b, 10**9, "x"):
        with pytest.raises(FieldErrors) as exc:
            services.create_sensor(world.ent_principal, world.mine_a, {**CH4_T1, "feed_sensor": bad})
        assert "feed_sensor" in exc.value.errors
    sensor = services.create_sensor(world.ent_principal, world.mine_a, {**CH4_T1, "feed_sensor": feed_a.pk})
    assert sensor.feed_sensor_id == feed_a.pk
    with pytest.raises(FieldErrors):
        services.update_sensor(world.ent_principal, feed_a, {"feed_sensor": feed_a})


def test_update_location_rederives_defaults_unless_overridden(world) -> None:
    mine = _coal(world.mine_a, "high")
    sensor = services.create_sensor(world.ent_principal, mine, CH4_T1)
    services.update_sensor(world.ent_principal, sensor, {"location": "face_intake"})
    sensor.refresh_from_db()
    assert (sensor.alarm_high, sensor.cut_high, sensor.restore_high) == (0.5, 0.5, 0.5)
    assert _audits(sensor, "monitoring.sensor.update")
    services.update_sensor(world.ent_principal, sensor, {"location": "coal_face"})
    services.set_thresholds(world.ent_principal, sensor, {"alarm_high": 0.9}, "更严")
    with pytest.raises(FieldErrors) as exc:
        services.update_sensor(world.ent_principal, sensor, {"location": "face_intake"})
    assert "location" in exc.value.errors and "alarm_high" in exc.value.errors
    sensor.refresh_from_db()
    assert sensor.location == "coal_face" and sensor.alarm_high == 0.9


def test_update_refuses_a_kind_change_and_unchanged_writes_nothing(world) -> None:
    sensor = services.create_sensor(world.ent_principal, world.mine_a, CH4_T1)
    with pytest.raises(FieldErrors) as exc:
        services.update_sensor(world.ent_principal, sensor, {"kind": "co"})
    assert "kind" in exc.value.errors
    services.update_sensor(world.ent_principal, sensor, {"place": sensor.place})
    assert not _audits(sensor, "monitoring.sensor.update")


def test_update_out_of_scope_is_not_found(world) -> None:
    sensor = services.create_sensor(world.ent_principal, world.mine_a, CH4_T1)
    with pytest.raises(NotFound):
        services.update_sensor(world.other_ent_principal, sensor, {"place": "x"})
    with pytest.raises(PermissionDenied):
        services.update_sensor(world.county_inspector, sensor, {"place": "x"})


def test_failed_audit_leaves_no_sensor(world) -> None:
    with mock.patch("minesafe.monitoring.sensors.audit.record", side_effect=RuntimeError("boom")), \
            pytest.raises(RuntimeError):
        services.create_sensor(world.ent_principal, world.mine_a, CH4_T1)
    assert not Sensor.objects.exists()


# --- thresholds ------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "looser", "stricter"), [
    ("alarm_high", 1.2, 0.8), ("cut_high", 1.8, 1.2), ("restore_high", 1.2, 0.8)])
def test_set_thresholds_refuses_looser_accepts_stricter(world, field: str, looser: float, stricter: float) -> None:
    sensor = services.create_sensor(world.ent_principal, _coal(world.mine_a), CH4_T1)
    with pytest.raises(FieldErrors) as exc:
        services.set_thresholds(world.ent_principal, sensor, {field: looser}, "试图放宽")
    assert list(exc.value.errors) == [field]
    assert "不得放宽" in exc.value.errors[field][0] and "DOMAIN §4.2" in exc.value.errors[field][0]
    sensor.refresh_from_db()
    assert not sensor.thresholds_overridden and not _audits(sensor, "monitoring.sensor.thresholds")
    services.set_thresholds(world.ent_principal, sensor, {field: stricter}, "矿井从严管理")
    sensor.refresh_from_db()
    assert getattr(sensor, field) == stricter and sensor.thresholds_overridden
    (entry,) = _audits(sensor, "monitoring.sensor.thresholds")
    assert entry.message == "矿井从严管理"
    assert entry.before[field] != entry.after[field] and entry.after["thresholds_overridden"] is True


def test_set_thresholds_needs_a_reason_and_keeps_untouched_levels(world) -> None:
    sensor = services.create_sensor(world.ent_principal, _coal(world.mine_a), CH4_T1)
    with pytest.raises(FieldErrors) as exc:
        services.set_thresholds(world.ent_principal, sensor, {"alarm_high": 0.8}, "  ")
    assert "reason" in exc.value.errors
    services.set_thresholds(world.ent_principal, sensor, {"alarm_high": 0.8}, "从严")
    sensor.refresh_from_db()
    assert (sensor.alarm_high, sensor.cut_high, sensor.restore_high) == (0.8, 1.5, 1.0)


def test_unsetting_a_rule_level_or_restore_above_cut_is_refused(world) -> None:
    sensor = services.create_sensor(world.ent_principal, _coal(world.mine_a), CH4_T1)
    with pytest.raises(FieldErrors) as exc:
        services.set_thresholds(world.ent_principal, sensor, {"cut_high": None}, "取消断电")
    assert "cut_high" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        services.set_thresholds(world.ent_principal, sensor, {"cut_high": 1.2, "restore_high": 1.3}, "x")
    assert "restore_high" in exc.value.errors


def test_reset_restores_the_defaults(world) -> None:
    sensor = services.create_sensor(world.ent_principal, _coal(world.mine_a), CH4_T1)
    services.set_thresholds(world.ent_principal, sensor, {"alarm_high": 0.8, "cut_high": 1.2}, "从严")
    services.set_thresholds(world.ent_principal, sensor, {"alarm_high": 5}, "恢复", reset=True)
    sensor.refresh_from_db()
    assert (sensor.alarm_high, sensor.cut_high) == (1.0, 1.5) and not sensor.thresholds_overridden
    (entry,) = _audits(sensor, "monitoring.sensor.reset_thresholds")
    assert entry.before["alarm_high"] == "0.8" and entry.after["alarm_high"] == "1.0"


def test_setting_the_default_values_is_not_an_override(world) -> None:
    sensor = services.create_sensor(world.ent_principal, _coal(world.mine_a), CH4_T1)
    services.set_thresholds(world.ent_principal, sensor, {"alarm_high": 1.0}, "确认")
    sensor.refresh_from_db()
    assert not sensor.thresholds_overridden


def test_thresholds_are_the_own_enterprise_only(world) -> None:
    sensor = services.create_sensor(world.ent_principal, world.mine_a, CH4_T1)
    with pytest.raises(NotFound):
        services.set_thresholds(world.other_ent_principal, sensor, {"alarm_high": 0.8}, "x")
    with pytest.raises(PermissionDenied):
        services.set_thresholds(world.province_leader, sensor, {"alarm_high": 0.8}, "x")


# --- gateways --------------------------------------------------------------------------------


def test_gateway_token_is_shown_once_and_stored_hashed(world) -> None:
    gateway, token = services.create_gateway(world.ent_principal, world.mine_a, "井口网关")
    assert token.startswith("gw_") and len(token) > 40
    assert gateway.token_hash != token and token not in gateway.token_hash and gateway.prefix == token[:12]
    assert services.gateway_for_token(token).pk == gateway.pk
    assert services.gateway_for_token(token + "x") is None
    assert services.gateway_for_token("") is None
    entry = AuditEntry.objects.get(action="monitoring.gateway.create")
    assert "token_hash" not in entry.after and token not in str(entry.after)


def test_gateway_last_seen_is_written_at_most_once_a_minute(world) -> None:
    gateway, token = services.create_gateway(world.ent_principal, world.mine_a, "g")
    start = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        assert services.gateway_for_token(token).last_seen == start
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        services.gateway_for_token(token)
        assert Gateway.objects.get(pk=gateway.pk).last_seen == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        services.gateway_for_token(token)
        assert Gateway.objects.get(pk=gateway.pk).last_seen == start + dt.timedelta(seconds=61)


def test_revoked_gateway_is_refused_and_revoke_is_idempotent(world) -> None:
    gateway, token = services.create_gateway(world.ent_principal, world.mine_a, "g")
    with pytest.raises(NotFound):
        services.revoke_gateway(world.other_ent_principal, gateway)
    services.revoke_gateway(world.ent_safety, gateway)
    services.revoke_gateway(world.ent_principal, gateway)
    assert services.gateway_for_token(token) is None
    assert AuditEntry.objects.filter(action="monitoring.gateway.revoke").count() == 1


def test_gateway_needs_a_name_and_an_own_mine(world) -> None:
    with pytest.raises(FieldErrors):
        services.create_gateway(world.ent_principal, world.mine_a, " ")
    with pytest.raises(FieldErrors):
        services.create_gateway(world.ent_principal, world.mine_b, "g")
    with pytest.raises(PermissionDenied):
        services.create_gateway(world.county_leader, world.mine_a, "g")


# --- declared points (CDDY) -------------------------------------------------------------------

POINTS = [
    {"code": "0101MN01", "kind": "甲烷", "unit": "%CH4", "range_low": 0, "range_high": 10, "alarm_high": 1.0,
     "cut_high": 1.5, "restore_high": 1.0, "place": "1301综采工作面", "feed_code": "0101KG01"},
    {"code": "0101MN02", "kind": "甲烷", "unit": "%CH4", "range_low": 0, "range_high": 10, "alarm_high": 1.2,
     "cut_high": 2.0, "restore_high": 1.0, "place": "1301工作面回风巷"},
    {"code": "0101KG01", "kind": "馈电", "place": "1301工作面馈电"},
    {"code": "0101MN03", "kind": "未知类型", "place": "某处"},
]


def test_declare_points_keeps_declared_values_and_flags_looser_ones(world) -> None:
    mine = _coal(world.mine_a, "high")
    created, updated, warnings = services.declare_points(mine, POINTS)
    assert (created, updated) == (3, 0)
    t1 = Sensor.objects.get(mine=mine, code="0101MN01")
    t2 = Sensor.objects.get(mine=mine, code="0101MN02")
    assert (t1.location, t2.location) == ("coal_face", "face_return")
    assert t1.feed_sensor.code == "0101KG01" and not t1.thresholds_overridden
    feed = Sensor.objects.get(mine=mine, code="0101KG01")
    assert (feed.kind, feed.range_low, feed.range_high) == ("feed", 0.0, 1.0)  # undeclared range: the rule's
    assert (t2.alarm_high, t2.cut_high) == (1.2, 2.0) and t2.thresholds_overridden  # stored as declared
    assert services.looser_fields(t2) == ["alarm_high", "cut_high"]
    assert any("0101MN02" in w and "宽于规程" in w for w in warnings)
    assert any("0101MN03" in w and "已跳过" in w for w in warnings)
    entry = AuditEntry.objects.get(object_type="monitoring.sensor", object_id=str(t2.pk),
                                   action="monitoring.sensor.declare")
    assert entry.actor is None and entry.actor_repr == "system" and "不得放宽" in entry.message


def test_declare_points_is_idempotent_and_updates_changes(world) -> None:
    mine = _coal(world.mine_a, "high")
    services.declare_points(mine, POINTS)
    entries = AuditEntry.objects.count()
    assert services.declare_points(mine, POINTS)[:2] == (0, 0)
    assert AuditEntry.objects.count() == entries
    changed = [{**POINTS[1], "alarm_high": "0.9", "cut_high": "1.00", "feed_code": "D-0101KG01, 9999"}]
    created, updated, warnings = services.declare_points(mine, changed)
    assert (created, updated, warnings) == (0, 1, [])
    t2 = Sensor.objects.get(mine=mine, code="0101MN02")
    assert (t2.alarm_high, t2.cut_high, t2.feed_sensor.code) == (0.9, 1.0, "0101KG01")


def test_declare_points_refuses_a_kind_change_and_bad_numbers(world) -> None:
    services.declare_points(world.mine_a, POINTS[:1])
    created, updated, warnings = services.declare_points(world.mine_a, [
        {**POINTS[0], "kind": "一氧化碳"}, {"code": "X1", "kind": "ch4", "alarm_high": "abc"}, {"kind": "ch4"}])
    assert (created, updated) == (0, 0) and len(warnings) == 3
    assert Sensor.objects.get(code="0101MN01").kind == "ch4"


@pytest.mark.parametrize(("text", "location"), [
    ("1301工作面上隅角", "upper_corner"), ("1301综采工作面", "coal_face"), ("1301工作面进风巷", "face_intake"),
    ("1301工作面回风巷", "face_return"), ("2201掘进工作面", "heading_face"), ("2201掘进回风", "heading_return"),
    ("总回风巷", "total_return"), ("一采区回风巷", "panel_return"), ("采煤机机载", "shearer"),
    ("井下煤仓", "coal_bunker"), ("中央变电所", "chamber"), ("地面瓦斯抽采泵站", "pump_room"),
    ("尾矿坝", "dam"), ("东帮边坡", "slope"), ("某某处", "other"), ("coal_face", "coal_face"),
])
def test_location_from_text(text: str, location: str) -> None:
    assert services.location_from_text(text) == location


@pytest.mark.parametrize(("text", "kind"), [
    ("甲烷", "ch4"), ("低浓甲烷", "ch4"), ("一氧化碳", "co"), ("CO", "co"), ("氧气", "o2"), ("风速", "wind_speed"),
    ("温度", "temperature"), ("烟雾", "smoke"), ("馈电", "feed"), ("feed", "feed"), ("井下人员", "headcount"),
    ("浸润线", "phreatic_line"), ("干滩长度", "dry_beach"), ("库水位", "water_level"), ("位移", "displacement"),
    ("钻机", None), ("coal", None), ("Co", "co"),
])
def test_kind_from_text(text: str, kind: str | None) -> None:
    assert services.kind_from_text(text) == kind


# --- pages -----------------------------------------------------------------------------------


def test_list_filters_and_scoping(world) -> None:
    mine = _coal(world.mine_a)
    t1 = services.create_sensor(world.ent_principal, mine, CH4_T1)
    co = services.create_sensor(world.ent_principal, mine, {"code": "CO-1", "kind": "co", "location": "coal_face"})
    other = services.create_sensor(world.other_ent_principal, world.mine_b, {"code": "B-1", "kind": "co",
                                                                             "location": "other"})
    services.set_thresholds(world.ent_principal, t1, {"alarm_high": 0.8}, "从严")
    client = _client(world.county_inspector)
    page = client.get(reverse("monitoring:sensor_list")).content.decode()
    assert t1.code in page and co.code in page and other.code not in page
    page = client.get(reverse("monitoring:sensor_list"), {"kind": "co"}).content.decode()
    assert co.code in page and t1.code not in page
    page = client.get(reverse("monitoring:sensor_list"), {"overridden": "1"}).content.decode()
    assert t1.code in page and co.code not in page
    page = client.get(reverse("monitoring:sensor_list"), {"mine": "abc", "sort": "-code"}).content.decode()
    assert t1.code not in page
    assert client.get(reverse("monitoring:sensor_list"), {"overridden": "x", "sort": "bogus"}).status_code == 200
    assert _client(world.other_county_inspector).get(reverse("monitoring:sensor_detail", args=[t1.pk])).status_code \
        == 404


def test_export_xlsx_follows_the_filters(world) -> None:
    mine = _coal(world.mine_a)
    services.create_sensor(world.ent_principal, mine, CH4_T1)
    services.declare_points(mine, POINTS[1:2])
    response = _client(world.ent_safety).get(reverse("monitoring:sensor_export"), {"kind": "ch4"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][1] == "测点编码" and len(rows) == 3
    flagged = next(r for r in rows if r[1] == "0101MN02")
    assert "断电值" in flagged[13] and flagged[12] == "是"


def test_detail_shows_thresholds_against_the_rule_with_its_citation(world) -> None:
    sensor = services.create_sensor(world.ent_principal, _coal(world.mine_a, "outburst"), CH4_T1)
    page = _client(world.county_leader).get(reverse("monitoring:sensor_detail", args=[sensor.pk])).content.decode()
    assert "突出矿井采煤工作面 T1" in page and "[V2]" in page and "40" in page
    assert 'name="reason"' not in page  # regulators read, they do not override
    page = _client(world.ent_principal).get(reverse("monitoring:sensor_detail", args=[sensor.pk])).content.decode()
    assert 'name="reason"' in page


def test_threshold_form_refuses_looser_and_saves_stricter(world) -> None:
    sensor = services.create_sensor(world.ent_principal, _coal(world.mine_a), CH4_T1)
    client = _client(world.ent_principal)
    url = reverse("monitoring:sensor_thresholds", args=[sensor.pk])
    data = {"alarm_high": "1.0", "cut_high": "1.8", "restore_high": "1.0", "alarm_low": "", "reason": "放宽"}
    response = client.post(url, data)
    assert response.status_code == 200 and "不得放宽" in response.content.decode()
    sensor.refresh_from_db()
    assert sensor.cut_high == 1.5
    response = client.post(url, {**data, "cut_high": "1.2", "reason": "从严"})
    assert response.status_code == 302
    sensor.refresh_from_db()
    assert sensor.cut_high == 1.2 and sensor.thresholds_overridden
    page = client.get(reverse("monitoring:sensor_detail", args=[sensor.pk])).content.decode()
    assert "monitoring.sensor.thresholds" in page and "从严" in page
    assert client.post(url, {"reset": "on", "reason": "恢复"}).status_code == 302
    sensor.refresh_from_db()
    assert sensor.cut_high == 1.5 and not sensor.thresholds_overridden


def test_create_and_edit_through_the_forms(world) -> None:
    client = _client(world.ent_principal)
    response = client.post(reverse("monitoring:sensor_create"), {
        "mine": world.mine_a.pk, "code": "F-1", "kind": "ch4", "location": "heading_face", "min_duration_s": 0,
        "repeat_count": 0, "repeat_window_s": 0, "stale_after_s": 120, "active": "on"})
    assert response.status_code == 302
    sensor = Sensor.objects.get(code="F-1")
    assert (sensor.cut_high, sensor.active) == (1.5, True)
    response = client.post(reverse("monitoring:sensor_edit", args=[sensor.pk]), {
        "code": "F-1", "location": "heading_return", "place": "2201回风", "min_duration_s": 10,
        "repeat_count": 0, "repeat_window_s": 0, "stale_after_s": 60, "active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    sensor.refresh_from_db()
    assert (sensor.location, sensor.cut_high, sensor.min_duration_s, sensor.kind) == ("heading_return", 1.0, 10,
                                                                                      "ch4")
    # a foreign mine in the POST is not a choice
    response = client.post(reverse("monitoring:sensor_create"), {
        "mine": world.mine_b.pk, "code": "F-2", "kind": "ch4", "location": "coal_face", "min_duration_s": 0,
        "repeat_count": 0, "repeat_window_s": 0, "stale_after_s": 120})
    assert response.status_code == 200 and not Sensor.objects.filter(code="F-2").exists()


def test_gateway_pages_show_the_token_once(world) -> None:
    client = _client(world.ent_principal)
    response = client.post(reverse("monitoring:gateway_create"), {"mine": world.mine_a.pk, "name": "主井网关"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    gateway = Gateway.objects.get(name="主井网关")
    token = response.content.decode().split('id="gateway-token">')[1].split("<")[0]
    assert services.gateway_for_token(token) == gateway
    listing = client.get(reverse("monitoring:gateway_list")).content.decode()
    assert gateway.prefix in listing and token not in listing
    assert client.post(reverse("monitoring:gateway_revoke", args=[gateway.pk])).status_code == 302
    assert services.gateway_for_token(token) is None
    assert _client(world.county_leader).get(reverse("monitoring:gateway_list")).status_code == 403


# --- API -------------------------------------------------------------------------------------


def _api(user) -> tuple[Client, dict[str, str]]:
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.objects.issue(user=user, name='t')[1]}"}


def test_api_create_read_patch_and_thresholds(world) -> None:
    _coal(world.mine_a, "high")
    client, auth = _api(world.ent_principal)
    response = client.post("/api/v1/monitoring/sensors", {"mine_id": world.mine_a.pk, **CH4_T1},
                           content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["cut_high"] == 1.5 and body["defaults"]["range_high"] == 10.0
    assert body["defaults"]["citation"]["section"] == "§4.2" and body["looser_than_rule"] == []
    pk = body["id"]
    response = client.post(f"/api/v1/monitoring/sensors/{pk}/thresholds", {"cut_high": 2.0, "reason": "放宽"},
                           content_type="application/json", **auth)
    assert response.status_code == 422 and "cut_high" in response.json()["errors"]
    response = client.post(f"/api/v1/monitoring/sensors/{pk}/thresholds", {"cut_high": 1.2, "reason": "从严"},
                           content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["thresholds_overridden"] is True
    response = client.patch(f"/api/v1/monitoring/sensors/{pk}", {"place": "1301回采面", "stale_after_s": 60},
                            content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["place"] == "1301回采面"
    response = client.patch(f"/api/v1/monitoring/sensors/{pk}", {"cut_high": 9}, content_type="application/json",
                            **auth)
    assert response.status_code == 422  # thresholds only through /thresholds
    response = client.post("/api/v1/monitoring/sensors", {"mine_id": world.mine_b.pk, **CH4_T1},
                           content_type="application/json", **auth)
    assert response.status_code == 422 and "mine_id" in response.json()["errors"]


def test_api_list_is_scoped_and_filtered(world) -> None:
    services.create_sensor(world.ent_principal, world.mine_a, CH4_T1)
    services.create_sensor(world.other_ent_principal, world.mine_b, {"code": "B-1", "kind": "co",
                                                                     "location": "other"})
    client, auth = _api(world.county_inspector)
    items = client.get("/api/v1/monitoring/sensors", **auth).json()["items"]
    assert [i["code"] for i in items] == [CH4_T1["code"]]
    client, auth = _api(world.province_inspector)
    assert client.get("/api/v1/monitoring/sensors", {"kind": "co"}, **auth).json()["count"] == 1
    assert client.get("/api/v1/monitoring/sensors", {"kind": "nope"}, **auth).status_code == 422


def test_api_declared_looser_sensor_is_flagged(world) -> None:
    mine = _coal(world.mine_a, "high")
    services.declare_points(mine, POINTS[1:2])
    sensor = Sensor.objects.get(code="0101MN02")
    client, auth = _api(world.county_leader)
    body = client.get(f"/api/v1/monitoring/sensors/{sensor.pk}", **auth).json()
    assert body["looser_than_rule"] == ["alarm_high", "cut_high"]
    assert "不得放宽" in body["problems"]["cut_high"][0]
