"""The MQTT ingestion worker against the real broker at 127.0.0.1:1883 (issue #6, way 1).

Skips locally when no broker answers; with CI=true a missing broker fails instead. Each test uses
its own topic root and client id, so parallel runs (and a running dev worker) never see its
messages, and removes its persistent session from the broker at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator

import paho.mqtt.client as paho
import pytest
from django.db import DatabaseError

from minesafe.monitoring import ingest, mqtt
from minesafe.monitoring.models import MinuteAggregate, Reading, Sensor
from minesafe.monitoring.tests.test_ingest import make_sensor
from minesafe.testing.factories import World

HOST, PORT = "127.0.0.1", 1883


def broker_or_skip(host: str = HOST, port: int = PORT) -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no MQTT broker at {host}:{port}: {exc}")
        pytest.skip(f"no MQTT broker at {host}:{port} ({exc}); start mosquitto to run the MQTT tests")


def publisher(port: int = PORT, client_id: str = "") -> paho.Client:
    client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=paho.MQTTv311)
    client.connect(HOST, port)
    client.loop_start()
    return client


def forget_session(client_id: str, port: int = PORT) -> None:
    """Connect once with a clean session: the broker drops the worker's persistent session."""
    client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=True, protocol=paho.MQTTv311)
    try:
        client.connect(HOST, port)
        client.loop(timeout=0.5)
        client.disconnect()
    except OSError:
        pass


def payload(sensor_code: str, start: dt.datetime, count: int, first: int = 0) -> bytes:
    return json.dumps([{"point": sensor_code, "ts": (start + dt.timedelta(seconds=first + i)).isoformat(),
                        "value": round(0.01 * ((first + i) % 97), 2), "status": 0} for i in range(count)]).encode()


@pytest.fixture
def config() -> Iterator[mqtt.MqttConfig]:
    broker_or_skip()
    tag = uuid.uuid4().hex[:12]
    cfg = mqtt.MqttConfig(host=HOST, port=PORT, client_id=f"minesafe-test-{tag}", topic_root=f"minesafe-test-{tag}",
                          batch_readings=500, batch_ms=100, max_backoff=1.0)
    yield cfg
    forget_session(cfg.client_id)


@pytest.fixture
def sensors(world: World) -> list[Sensor]:
    return [make_sensor(world.mine_a, f"210323A01MN{i:04d}") for i in range(3)]


def _start_publishing(worker: mqtt.IngestWorker, messages: list[tuple[str, bytes]]) -> threading.Thread:
    def publish() -> None:
        assert worker.subscribed.wait(10), "the worker never subscribed"
        client = publisher()
        try:
            for topic, body in messages:
                client.publish(topic, body, qos=1).wait_for_publish(5)
        finally:
            client.loop_stop()
            client.disconnect()

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    return thread


def test_topic_helpers() -> None:
    assert mqtt.topic_for(42, "minesafe") == "minesafe/42/readings"
    assert mqtt.topic_filter("root") == "root/+/readings"
    assert mqtt.mine_of_topic("minesafe/42/readings", "minesafe") == 42
    for topic in ("minesafe/x/readings", "minesafe/42/alarms", "other/42/readings", "minesafe/4/2/readings",
                  "minesafe/٤٢/readings"):
        assert mqtt.mine_of_topic(topic, "minesafe") is None


@pytest.mark.django_db
def test_published_readings_are_stored_once_even_when_published_twice(config, sensors, world: World) -> None:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)
    topic = mqtt.topic_for(world.mine_a.pk, config.topic_root)
    messages = [(topic, payload(sensor.code, start, 20, first=20 * n)) for n in range(10) for sensor in sensors]
    later = start + dt.timedelta(hours=1)
    ndjson = "\n".join(json.dumps({"point": sensors[0].code, "ts": (later + dt.timedelta(seconds=s)).timestamp(),
                                   "value": 0.5}) for s in range(5))
    messages.append((topic, ndjson.encode()))
    messages += messages  # every message published twice: the second copy must change nothing
    messages.append((mqtt.topic_for(world.mine_b.pk, config.topic_root), payload(sensors[0].code, start, 3)))
    messages.append((f"{config.topic_root}/not-a-mine/readings", b"[]"))
    expected = 3 * 200 + 5
    worker = mqtt.IngestWorker(config)
    thread = _start_publishing(worker, messages)
    stats = worker.run(until=lambda s: s.messages >= len(messages) and s.stored + s.duplicates >= 2 * expected,
                       seconds=30)
    thread.join(5)
    assert stats.stored == expected, stats
    assert stats.duplicates == expected
    assert stats.rejected == 3  # mine_b has no such point
    assert Reading.objects.filter(sensor__in=sensors).count() == expected
    assert not Reading.objects.filter(sensor__mine=world.mine_b).exists()
    assert sum(MinuteAggregate.objects.filter(sensor__in=sensors).values_list("n", flat=True)) == expected
    values = dict(Reading.objects.filter(sensor=sensors[1]).values_list("ts", "value"))
    assert values[start + dt.timedelta(seconds=150)] == round(0.01 * (150 % 97), 2)


@pytest.mark.django_db
def test_persistent_session_keeps_messages_while_the_worker_is_down(config, sensors, world: World) -> None:
    worker = mqtt.IngestWorker(config)
    worker.run(until=lambda _s: worker.subscribed.is_set(), seconds=10)  # creates the session, then leaves
    assert worker.subscribed.is_set()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    client = publisher()
    topic = mqtt.topic_for(world.mine_a.pk, config.topic_root)
    for n in range(5):
        client.publish(topic, payload(sensors[0].code, start, 10, first=10 * n), qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()
    again = mqtt.IngestWorker(config)  # same client id: the broker hands over what it queued
    stats = again.run(until=lambda s: s.stored >= 50, seconds=15)
    assert stats.stored == 50 and stats.messages == 5
    assert Reading.objects.filter(sensor=sensors[0]).count() == 50


@pytest.mark.django_db
def test_a_failed_store_is_not_acknowledged_and_comes_back(config, sensors, world: World, monkeypatch) -> None:
    real = ingest.store_mixed
    calls = {"n": 0}

    def flaky(records, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise DatabaseError("database went away")
        return real(records, **kwargs)

    monkeypatch.setattr(ingest, "store_mixed", flaky)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    worker = mqtt.IngestWorker(config)
    thread = _start_publishing(worker, [(mqtt.topic_for(world.mine_a.pk, config.topic_root),
                                         payload(sensors[0].code, start, 30))])
    stats = worker.run(until=lambda s: s.stored >= 30, seconds=20)
    thread.join(5)
    assert stats.db_errors == 1
    assert stats.stored == 30 and stats.messages == 2  # delivered again after the failure
    assert Reading.objects.filter(sensor=sensors[0]).count() == 30


@pytest.mark.django_db
def test_committed_but_unacknowledged_messages_come_back_as_duplicates(config, sensors, world: World) -> None:
    """The crash window between commit and PUBACK: the broker redelivers, the store ignores the copies."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    topic = mqtt.topic_for(world.mine_a.pk, config.topic_root)
    worker = mqtt.IngestWorker(config)
    real_ack = worker._client.ack
    lost = []

    def lossy_ack(mid: int, qos: int):
        if not lost:  # the first batch's acknowledgements never reach the broker
            lost.append(mid)
            worker._client.disconnect()
            return paho.MQTT_ERR_NO_CONN
        return real_ack(mid, qos)

    worker._client.ack = lossy_ack
    thread = _start_publishing(worker, [(topic, payload(sensors[0].code, start, 10, first=10 * n)) for n in range(4)])
    stats = worker.run(until=lambda s: s.stored >= 40 and s.duplicates > 0, seconds=20)
    thread.join(5)
    assert lost and stats.reconnects >= 1
    assert stats.stored == 40 and stats.duplicates >= 10 and stats.duplicates % 10 == 0
    assert Reading.objects.filter(sensor=sensors[0]).count() == 40
    assert sum(MinuteAggregate.objects.filter(sensor=sensors[0]).values_list("n", flat=True)) == 40


def test_config_from_settings(settings) -> None:
    settings.MONITORING_MQTT_HOST = "broker.example"
    settings.MONITORING_MQTT_CLIENT_ID = "ingest-7"
    config = mqtt.MqttConfig.from_settings(port=8883, host=None)
    assert (config.host, config.port, config.client_id, config.topic_root) == ("broker.example", 8883, "ingest-7",
                                                                                "minesafe")
