"""The monitoring demo (``manage.py demo_monitoring``) and the simulated live feed (``manage.py simulate``,
``minesafe.monitoring.live``): direct, over the real MQTT broker with the ingest worker, and over HTTP.

The MQTT test skips locally when no broker answers at 127.0.0.1:1883 and fails under CI=true.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division
from minesafe.core.audit import verify_chain
from minesafe.core.models import AuditEntry
from minesafe.monitoring import demo, live, mqtt
from minesafe.monitoring import simulator as sim
from minesafe.monitoring.models import Alarm, FalsificationFlag, Gateway, MinuteAggregate, Reading, Sensor
from minesafe.monitoring.sensors import defaults_for
from minesafe.monitoring.tests.test_mqtt import broker_or_skip, forget_session
from minesafe.registry.demo import COUNTY_CODE, DEMO_ENTERPRISE, build_demo
from minesafe.registry.models import Mine

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def registry_demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_divisions(Division)
    return build_demo(mines=40, today=TODAY)


@pytest.fixture
def sensors_of_two_mines(registry_demo) -> list[Mine]:
    """Sensors (no history) for a coal mine and a demo-county mine."""
    coal = Mine.objects.filter(sector="coal").exclude(status="closed").order_by("pk").first()
    county = Mine.objects.filter(county_id=COUNTY_CODE, status="production").order_by("pk").first()
    mines = [coal, county]
    demo._create_sensors(mines)
    return mines


def _sent(output: str) -> int:
    found = re.search(r"sent ([\d,]+) readings", output)
    assert found, output
    return int(found.group(1).replace(",", ""))


# --------------------------------------------------------------------------------------- the demo build


def test_demo_builds_sensors_history_alarms_and_flags(registry_demo) -> None:
    counts = demo.build_monitoring_demo(hours=24)
    live_mines = Mine.objects.exclude(status="closed")
    assert counts["sensors"] == Sensor.objects.count() > 0
    assert set(Sensor.objects.values_list("mine_id", flat=True)) == set(live_mines.values_list("pk", flat=True))
    # thresholds are the rule's defaults, by kind and location
    for sensor in Sensor.objects.select_related("mine"):
        default = defaults_for(sensor.mine, sensor.kind, sensor.location)
        for name in ("alarm_high", "alarm_low", "cut_high", "restore_high", "range_high"):
            assert getattr(sensor, name) == getattr(default, name), (sensor, name)
        assert not sensor.thresholds_overridden
    coal = Mine.objects.get(name=counts["gas_mine"])
    kinds = set(Sensor.objects.filter(mine=coal).values_list("kind", flat=True))
    assert kinds >= {"ch4", "feed", "co", "o2", "wind_speed", "temperature", "headcount", "electricity"}
    locations = set(Sensor.objects.filter(mine=coal, kind="ch4").values_list("location", flat=True))
    assert locations >= {"coal_face", "face_return", "upper_corner", "heading_face", "total_return"}
    for ch4 in Sensor.objects.filter(mine=coal, kind="ch4").exclude(location__in=["total_return", "face_intake"]):
        assert ch4.feed_sensor is not None and ch4.feed_sensor.kind == "feed"
    assert set(Sensor.objects.filter(mine__sector="tailings").values_list("kind", flat=True)) == {
        "water_level", "phreatic_line", "dry_beach", "displacement"}
    assert set(Sensor.objects.filter(mine__sector="metal_open_pit").values_list("kind", flat=True)) == {
        "displacement", "headcount", "electricity"}

    # a day of history for the demo county's mines and the coal mines, minute aggregates with it
    history = set(Reading.objects.values_list("sensor__mine_id", flat=True).distinct())
    county = set(live_mines.filter(county_id=COUNTY_CODE).values_list("pk", flat=True))
    assert county | {coal.pk} <= history
    first, last = Reading.objects.order_by("ts").values_list("ts", flat=True)[:1].get(), \
        Reading.objects.order_by("-ts").values_list("ts", flat=True)[:1].get()
    assert last - first >= dt.timedelta(hours=23)
    assert counts["readings"] == Reading.objects.count() > 100_000
    assert MinuteAggregate.objects.filter(sensor__mine=coal).count() >= 23 * 60

    # the injected episodes became alarms and flags
    gas_work = Alarm.objects.filter(kind="gas_work", mine=coal)
    assert gas_work.exists()
    assert all(a.sensor.feed_sensor is not None and a.peak_value >= a.sensor.cut_high for a in gas_work)
    honest = Alarm.objects.filter(kind="power_cut", mine=coal).exclude(sensor__in=gas_work.values("sensor"))
    assert honest.exists()  # the exceedance whose power was cut: no gas_work on that face
    assert not gas_work.filter(sensor__code__startswith=honest.first().sensor.code.split("-")[0]).exists()
    hidden = Alarm.objects.get(kind="hidden_operation")
    assert hidden.mine.status in ("rectification", "suspended") and hidden.mine.name == counts["halted_mine"]
    local_start = hidden.started_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local_start.hour >= 20 or local_start.hour < 5  # at night
    assert not Alarm.objects.filter(kind="hidden_operation").exclude(pk=hidden.pk).exists()
    patterns = set(FalsificationFlag.objects.values_list("pattern", flat=True))
    assert {"missing_cut", "flat_line"} <= patterns
    assert FalsificationFlag.objects.get(pattern="flat_line").sensor.code == "TR-CH4"
    assert all(flag.explanation for flag in FalsificationFlag.objects.all())

    # gateways of the demo enterprise, one audit entry for the bulk build, an intact chain
    demo_mines = live_mines.filter(enterprise__name=DEMO_ENTERPRISE)
    assert Gateway.objects.count() == demo_mines.count() == counts["gateways"] > 0
    assert set(Gateway.objects.values_list("mine_id", flat=True)) == set(demo_mines.values_list("pk", flat=True))
    assert AuditEntry.objects.filter(action="monitoring.demo.build").count() == 1
    assert verify_chain().ok
    assert demo.monitoring_demo_blocker().endswith("sensors already exist")


def test_demo_command_if_empty(registry_demo, settings) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_monitoring", "--if-empty", "--hours", "2", stdout=out)
    assert "Demo monitoring built" in out.getvalue()
    n = Sensor.objects.count()
    out = StringIO()
    call_command("demo_monitoring", "--if-empty", stdout=out)
    assert "not built" in out.getvalue() and Sensor.objects.count() == n
    with pytest.raises(CommandError):
        call_command("demo_monitoring", stdout=StringIO())


@pytest.mark.django_db
def test_demo_command_without_registry_demo(settings) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_monitoring", "--if-empty", stdout=out)
    assert "registry demo is missing" in out.getvalue()
    assert not Sensor.objects.exists()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_monitoring", stdout=StringIO())


# --------------------------------------------------------------------------------------- plans and streams


def test_streams_follow_the_sector(registry_demo) -> None:
    halted = Mine.objects.filter(status__in=["rectification", "suspended"], sector="metal_open_pit").first()
    pit = Mine.objects.filter(status="production", sector="metal_open_pit").first()
    demo._create_sensors([halted, pit])
    plans = {p.mine_id: p for p in demo.plans_for([halted, pit])}
    start = 1_767_225_600  # 2026-01-01 00:00 UTC = 08:00 local
    (sid, ts, value, _status), _res = demo.simulate_plan(plans[pit.pk], start, 86400, 60, 1)
    kinds = dict(Sensor.objects.filter(mine=pit).values_list("pk", "kind"))
    kind = np.array([kinds[s] for s in sid.tolist()])
    assert np.all(np.diff(ts) >= 0)
    kw, hc = value[kind == "electricity"], value[kind == "headcount"]
    assert hc.max() > 0 and kw.min() > 100  # base load plus the crews' equipment
    disp = value[kind == "displacement"]
    assert 0 < np.median(disp) < 5.0  # below the 5 mm/h reference of DOMAIN §9.2
    # a halted mine: nobody underground, the production feeder near zero — until it works at night
    (sid, ts, value, _status), _res = demo.simulate_plan(plans[halted.pk], start, 86400, 60, 1)
    kind = np.array([dict(Sensor.objects.filter(mine=halted).values_list("pk", "kind"))[s] for s in sid.tolist()])
    assert value[kind == "headcount"].max() == 0 and value[kind == "electricity"].max() <= 5.0
    night = sim.Event(sim.HIDDEN_OPERATION, start + 14 * 3600, start + 18 * 3600, params={"crew": 20})
    (sid, ts, value, _status), res = demo.simulate_plan(plans[halted.pk], start, 86400, 60, 1, [night])
    busy = (ts >= night.start + 1800) & (ts < night.end - 1800)
    assert value[(kind == "headcount") & busy].min() > 0 and value[(kind == "electricity") & busy].min() > 5.0
    assert [label.kind for label in res.labels if label.kind == sim.HIDDEN_OPERATION]


def test_unmodelled_kinds_get_a_plausible_stream(sensors_of_two_mines) -> None:
    coal = sensors_of_two_mines[0]
    plan = demo.plans_for([coal])[0]
    (sid, _ts, value, _status), _res = demo.simulate_plan(plan, 1_767_225_600, 3 * 3600, 10, 3)
    o2 = set(Sensor.objects.filter(mine=coal, kind="o2").values_list("pk", flat=True))
    readings = value[np.isin(sid, list(o2))]
    assert len(readings) > 0.9 * 3 * 360 * len(o2)
    assert readings.min() > 20.0 and readings.max() < 21.5 and readings.std() > 0


def test_event_and_rate_options() -> None:
    assert live.parse_event("gas_exceedance@17:60+900") == live.EventSpec("gas_exceedance", 17, 60, 900)
    assert live.parse_event("hidden_operation@3:0").duration == live.DEFAULT_DURATIONS["hidden_operation"]
    for bad in ("gas@1:2", "gas_exceedance@x:1", "gas_exceedance:1", "gas_exceedance@1:-5", "rain@1:2+0"):
        with pytest.raises(ValueError):
            live.parse_event(bad)
    assert live.step_for_rate(2471, 200) == 13
    assert live.step_for_rate(10, 1000) == 1
    with pytest.raises(ValueError):
        live.step_for_rate(10, 0)


def test_feed_sends_each_reading_once_in_time_order(sensors_of_two_mines) -> None:
    plans = demo.plans_for(sensors_of_two_mines)
    feed = live.LiveFeed(plans, step=5, seed=4, start=1_767_225_600, chunk=600)
    seen, last = [], 0
    for now in range(1_767_225_600, 1_767_225_600 + 1500, 7):  # across two chunk boundaries
        batch = feed.due(now)
        if batch is not None:
            assert batch.ts.max() <= now and batch.ts.min() > last - 5
            last = int(batch.ts.max())
            seen += list(zip(batch.sensor.tolist(), batch.ts.tolist(), strict=True))
    assert len(seen) == len(set(seen)) > 0
    sensors = sum(len(p.sensor_ids) for p in plans)
    assert len(seen) > 0.9 * sensors * 1500 / 5
    codes = dict(Sensor.objects.values_list("pk", "code"))
    batch = feed.due(1_767_225_600 + 1600)
    assert [codes[s] for s in batch.sensor.tolist()] == batch.code


# --------------------------------------------------------------------------------------- the three ways


def test_simulate_direct_stores_readings(sensors_of_two_mines, settings) -> None:
    out = StringIO()
    call_command("simulate", "--via", "direct", "--county", sensors_of_two_mines[1].county_id, "--seconds", "2.5",
                 "--rate", "1000", "--event", f"hidden_operation@{sensors_of_two_mines[1].pk}:0", stdout=out)
    sent = _sent(out.getvalue())
    assert sent > 0 and Reading.objects.count() == sent
    assert set(Reading.objects.values_list("sensor__mine_id", flat=True).distinct()) == {sensors_of_two_mines[1].pk}
    assert sum(MinuteAggregate.objects.values_list("n", flat=True)) == sent
    newest = Reading.objects.order_by("-ts").first().ts
    assert abs((newest - dt.datetime.now(dt.UTC)).total_seconds()) < 30
    with pytest.raises(CommandError, match="KIND@MINE"):
        call_command("simulate", "--via", "direct", "--event", "volcano@1:0", stdout=StringIO())
    with pytest.raises(CommandError, match="no working area with methane sensors"):
        call_command("simulate", "--via", "direct", "--seconds", "1",
                     "--event", f"gas_exceedance@{sensors_of_two_mines[1].pk}:0", stdout=StringIO())
    with pytest.raises(CommandError, match="without simulated sensors"):
        call_command("simulate", "--via", "direct", "--seconds", "1", "--event", "rain@999999:0", stdout=StringIO())


@pytest.mark.django_db
def test_simulate_mqtt_readings_are_stored_once_by_the_ingest_worker(sensors_of_two_mines) -> None:
    broker_or_skip()
    tag = uuid.uuid4().hex[:12]
    config = mqtt.MqttConfig(host="127.0.0.1", port=1883, client_id=f"minesafe-test-{tag}",
                             topic_root=f"minesafe-test-{tag}", batch_readings=500, batch_ms=100, max_backoff=1.0)
    try:
        primer = mqtt.IngestWorker(config)  # the persistent session: the broker keeps what comes meanwhile
        primer.run(until=lambda _s: primer.subscribed.is_set(), seconds=10)
        assert primer.subscribed.is_set()
        out = StringIO()
        call_command("simulate", "--via", "mqtt", "--topic-root", config.topic_root, "--mines", "2", "--seconds",
                     "3", "--rate", "400", stdout=out)
        sent = _sent(out.getvalue())
        assert f"{sent:,} acknowledged by the broker" in out.getvalue()
        worker = mqtt.IngestWorker(config)
        stats = worker.run(until=lambda s: s.stored >= sent, seconds=30)
        assert stats.stored == sent and stats.duplicates == 0 and stats.rejected == 0
        assert Reading.objects.count() == sent
        assert set(Reading.objects.values_list("sensor__mine_id", flat=True).distinct()) <= {
            m.pk for m in sensors_of_two_mines}
    finally:
        forget_session(config.client_id)


def test_simulate_http_through_the_endpoint(sensors_of_two_mines) -> None:
    client = Client()

    def transport(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
        response = client.post(path, data=body, content_type=headers["Content-Type"],
                               HTTP_AUTHORIZATION=headers["Authorization"])
        return response.status_code, response.json()

    plans = demo.plans_for(sensors_of_two_mines)
    name = "simulate test run"
    tokens = demo.create_run_gateways([p.mine_id for p in plans], name)
    assert Gateway.objects.filter(name=name, active=True).count() == 2
    feed = live.LiveFeed(plans, step=1, seed=5, start=int(dt.datetime.now(dt.UTC).timestamp()) - 3)
    stats = live.LiveFeed.run(feed, live.HttpSink(tokens, transport=transport), seconds=1.5, tick=0.5)
    assert stats.sent > 0 and stats.stored == stats.sent == Reading.objects.count()
    assert stats.messages >= 2 and stats.rejected == 0 and not stats.errors
    # the same readings again (a gateway retrying) are duplicates, not new rows
    again = live.LiveFeed(plans, step=1, seed=5, start=feed.start)
    repeat = again.run(live.HttpSink(tokens, transport=transport), seconds=0.1)
    assert repeat.duplicates >= repeat.sent - 2 * sum(len(p.sensor_ids) for p in plans) > 0
    assert demo.revoke_run_gateways(name) == 2
    status, _answer = transport(live.HttpSink.PATH, b'{"point": "HC", "ts": 1, "value": 1}',
                               {"Authorization": f"Gateway {tokens[plans[0].mine_id]}",
                                "Content-Type": "application/x-ndjson"})
    assert status == 401
    assert AuditEntry.objects.filter(action="monitoring.gateway.revoke", object_repr=name).count() == 1
    assert not math.isnan(stats.behind)


def test_feed_goes_on_when_the_server_is_down(sensors_of_two_mines) -> None:
    calls = []

    def down(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
        calls.append(path)
        raise ConnectionRefusedError("connection refused")

    plans = demo.plans_for(sensors_of_two_mines)
    feed = live.LiveFeed(plans, step=1, seed=5, start=int(dt.datetime.now(dt.UTC).timestamp()) - 2)
    stats = feed.run(live.HttpSink({p.mine_id: "gw_x" for p in plans}, transport=down), seconds=1.2, tick=0.4)
    assert len(calls) >= 4 and stats.sent > 0
    assert stats.failed == stats.sent and stats.stored == 0 and "connection refused" in stats.errors[0]
    assert not Reading.objects.exists()
