"""Reliability of MQTT ingestion (issue #6): kill the ingestion worker and restart the broker
mid-stream; after recovery every published reading is stored exactly once.

A private mosquitto (``/usr/sbin/mosquitto``, persistence on, in a temporary directory, on a free
port) and the real worker process (``manage.py monitoring_ingest``) against the test database:

- PostgreSQL: the subprocess connects to the test database itself (``test_<name>``); the test is
  transactional so both processes see each other's commits;
- SQLite: the test database lives in memory, which another process cannot open, so the committed
  test data is copied into a file (``sqlite3`` backup API) and the worker runs on that file.

The stream: 400 QoS 1 messages of 25 readings (10,000 readings). After 100 messages the worker is
killed with SIGKILL (its current batch is lost uncommitted, or committed but not acknowledged);
100 more messages queue up in the broker for the persistent session; the worker is restarted; after
250 messages the broker is restarted (SIGTERM: it saves its persistence file, then starts again on
the same port) while worker and publisher reconnect; the rest follows. Every reading must then be
stored exactly once and the minute aggregates must count each once.

Skips when the mosquitto binary is missing, unless CI=true. Takes about 10-15 s.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from django.conf import settings
from django.db import connection

from minesafe.monitoring import mqtt
from minesafe.monitoring.models import MinuteAggregate, Reading
from minesafe.monitoring.tests.test_ingest import make_sensor
from minesafe.testing.factories import World

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MESSAGES, PER_MESSAGE, SENSORS = 400, 25, 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, up: bool, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            if up:
                return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise AssertionError(f"port {port} did not come {'up' if up else 'down'}")


class Broker:
    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.conf = directory / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "persistence true",
                 f"persistence_location {directory}/", "max_queued_messages 0",
                 f"log_dest file {directory}/mosquitto.log"]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to the mosquitto user, which cannot write here
        self.conf.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=subprocess.DEVNULL)
        _wait_port(self.port, up=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # a clean stop writes the persistence file
            self.process.wait(10)
        _wait_port(self.port, up=False)


class Worker:
    """``manage.py monitoring_ingest`` in a subprocess; its stdout lines go to a queue."""

    def __init__(self, broker: Broker, database_url: str, client_id: str, root: str) -> None:
        self.args = [sys.executable, str(settings.BASE_DIR / "manage.py"), "monitoring_ingest", "--host", "127.0.0.1",
                     "--port", str(broker.port), "--client-id", client_id, "--topic-root", root,
                     "--max-backoff", "0.5", "--batch-ms", "50", "--stats-every", "1"]
        self.env = {**os.environ, "DATABASE_URL": database_url}
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE,  # noqa: S603
                                        stderr=subprocess.STDOUT, text=True, cwd=settings.BASE_DIR)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, "the worker exited:\n" + "\n".join(self.output)
                continue
            if line.strip() == "subscribed":
                return
        raise AssertionError("the worker never subscribed:\n" + "\n".join(self.output))

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.output.append(line.rstrip())
            self.lines.put(line)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no chance to store or acknowledge anything
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class Publisher:
    """QoS 1 publishing that survives a broker restart: a message counts as published once the
    broker acknowledged it; until then it is sent again (at-least-once, as a real gateway does)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client: paho.Client | None = None

    def _connect(self) -> paho.Client:
        client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2,
                             client_id=f"publisher-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv311)
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        return client

    def send(self, topic: str, body: bytes) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.client is None:
                    self.client = self._connect()
                info = self.client.publish(topic, body, qos=1)
                info.wait_for_publish(2)
                if info.is_published():
                    return
            except (OSError, RuntimeError, ValueError):
                pass
            self.close()
            time.sleep(0.1)
        raise AssertionError(f"could not publish to {topic}")

    def close(self) -> None:
        if self.client is not None:
            self.client.loop_stop()
            self.client.disconnect()
            self.client = None


def _database_url(tmp_path: Path) -> str:
    """A URL another process can use for the committed test data."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    copy = tmp_path / "ingest.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{copy}"


def _count(url: str, sensor_ids: list[int]) -> tuple[int, int, int]:
    """(readings, distinct (sensor, ts), sum of aggregate counts) as the worker left them."""
    marks = ",".join(str(pk) for pk in sensor_ids)
    sql = [f"SELECT count(*), count(DISTINCT sensor_id || '@' || ts) FROM monitoring_reading "
           f"WHERE sensor_id IN ({marks})",
           f"SELECT coalesce(sum(n), 0) FROM monitoring_minuteaggregate WHERE sensor_id IN ({marks})"]
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10)
        try:
            (n, distinct), ((total,),) = db.execute(sql[0]).fetchone(), db.execute(sql[1]).fetchall()
        finally:
            db.close()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql[0])
            n, distinct = cursor.fetchone()
            cursor.execute(sql[1])
            total = cursor.fetchone()[0]
    return n, distinct, int(total)


def _wait_for(url: str, sensor_ids: list[int], readings: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while _count(url, sensor_ids)[0] < readings and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no mosquitto binary at {MOSQUITTO}: the reliability test must run")
        pytest.skip(f"no mosquitto binary at {MOSQUITTO}; install mosquitto to run the reliability test")
    directory = tmp_path / "broker"
    directory.mkdir()
    server = Broker(directory)
    server.start()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_kill_worker_and_restart_broker_mid_stream_store_every_reading_once(world: World, broker: Broker,
                                                                           tmp_path: Path) -> None:
    sensors = [make_sensor(world.mine_a, f"REL{i:02d}") for i in range(SENSORS)]
    sensor_ids = [s.pk for s in sensors]
    url = _database_url(tmp_path)
    root, client_id = f"rel-{uuid.uuid4().hex[:8]}", f"rel-ingest-{uuid.uuid4().hex[:8]}"
    topic = mqtt.topic_for(world.mine_a.pk, root)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    per_sensor = PER_MESSAGE // SENSORS

    def body(n: int) -> bytes:
        return json.dumps([{"point": s.code, "ts": (start + dt.timedelta(seconds=n * per_sensor + k)).isoformat(),
                            "value": round((n * per_sensor + k) % 100 * 0.01, 2), "status": 0}
                           for k in range(per_sensor) for s in sensors]).encode()

    worker = Worker(broker, url, client_id, root)
    publisher = Publisher(broker.port)
    try:
        worker.start()
        for n in range(0, 100):
            publisher.send(topic, body(n))
        _wait_for(url, sensor_ids, 40 * PER_MESSAGE)  # the first worker has committed some batches
        for n in range(100, 150):
            publisher.send(topic, body(n))
        worker.kill()                        # mid-stream, mid-batch
        for n in range(150, 200):            # queued by the broker for the persistent session
            publisher.send(topic, body(n))
        worker = Worker(broker, url, client_id, root)
        worker.start()
        for n in range(200, 250):
            publisher.send(topic, body(n))
        publisher.close()
        broker.stop()                        # the broker goes away under the worker and the publisher
        broker.start()
        for n in range(250, MESSAGES):
            publisher.send(topic, body(n))
        expected = MESSAGES * PER_MESSAGE
        _wait_for(url, sensor_ids, expected)
        time.sleep(0.5)  # anything still arriving would be a duplicate: give it the chance to show
        counts = _count(url, sensor_ids)
        assert counts == (expected, expected, expected), ("readings, distinct, aggregated", counts,
                                                          "\n".join(worker.output[-20:]))
    finally:
        publisher.close()
        worker.stop()
        if connection.vendor == "postgresql":  # the readings table is not flushed between tests
            Reading.objects.filter(sensor_id__in=sensor_ids).delete()
            MinuteAggregate.objects.filter(sensor_id__in=sensor_ids).delete()
    assert any(line.startswith("stopped:") for line in worker.output), worker.output
