"""MQTT ingestion worker (issue #6, way 1): subscribe to ``{root}/{mine_id}/readings`` with QoS 1 on a
persistent session and store every reading exactly once.

Delivery guarantees, end to end:

- The session is persistent (MQTT 3.1.1 ``clean_session=False`` with a fixed client id,
  ``MONITORING_MQTT_CLIENT_ID``): while the worker is down or reconnecting, the broker queues the
  QoS 1 messages for it.
- Acknowledgements are manual (paho ``manual_ack=True``): a message is PUBACKed only after the
  transaction holding its readings has committed. If the worker dies between commit and PUBACK, the
  broker redelivers the message and ``ingest.store`` (``ON CONFLICT (sensor_id, ts) DO NOTHING``,
  aggregates from the inserted rows only) turns the redelivery into duplicates: at-least-once
  delivery + idempotent store = every reading stored exactly once.
- Messages are batched: the worker stores what it has when ``batch_readings`` readings are pending,
  when the oldest pending message is ``batch_ms`` old, or as soon as the socket goes quiet (the
  broker sends only a limited number of unacknowledged messages — mosquitto's
  ``max_inflight_messages``, 20 by default — so waiting for more would only add latency).
- Broker loss: reconnect with exponential backoff (0.5 s doubling to ``max_backoff``, ±20% jitter).
  A database error leaves the batch unacknowledged and drops the connection, so the broker redelivers
  it after the backoff.

A message whose topic or payload cannot be read is acknowledged (it would otherwise be redelivered
forever) and logged with its rejections. Payload: a JSON array of ``{"point", "ts", "value",
"status"}`` objects, or the same objects as NDJSON; points are resolved within the topic's mine.

Settings (``getattr`` defaults; the command's options override them): MONITORING_MQTT_HOST
(127.0.0.1), MONITORING_MQTT_PORT (1883), MONITORING_MQTT_USERNAME / MONITORING_MQTT_PASSWORD (empty:
anonymous), MONITORING_MQTT_TLS (False), MONITORING_MQTT_CA_FILE (empty: system CAs),
MONITORING_MQTT_CLIENT_ID ("minesafe-ingest"), MONITORING_MQTT_TOPIC_ROOT ("minesafe"),
MONITORING_MQTT_BATCH_READINGS (5000), MONITORING_MQTT_BATCH_MS (200).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from django.conf import settings
from django.db import DatabaseError, connection

from minesafe.monitoring import ingest, partitions

__all__ = ["IngestWorker", "MqttConfig", "mine_of_topic", "topic_filter", "topic_for"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MqttConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password: str = ""
    tls: bool = False
    ca_file: str = ""
    client_id: str = "minesafe-ingest"
    topic_root: str = "minesafe"
    batch_readings: int = 5000
    batch_ms: int = 200
    keepalive: int = 30
    max_backoff: float = 30.0

    @classmethod
    def from_settings(cls, **overrides: Any) -> MqttConfig:
        """Settings ``MONITORING_MQTT_<FIELD>`` over the defaults; non-None ``overrides`` over both."""
        values = {}
        for spec in dataclasses.fields(cls):
            value = getattr(settings, f"MONITORING_MQTT_{spec.name.upper()}", None)
            if overrides.get(spec.name) is not None:
                value = overrides[spec.name]
            if value is not None:
                values[spec.name] = value
        return cls(**values)


def topic_for(mine_id: int, root: str | None = None) -> str:
    """The topic a mine's gateway (or the simulator) publishes its readings to."""
    return f"{root or MqttConfig.from_settings().topic_root}/{mine_id}/readings"


def topic_filter(root: str) -> str:
    return f"{root}/+/readings"


def mine_of_topic(topic: str, root: str) -> int | None:
    """``{root}/{mine_id}/readings`` → mine id; None for any other topic."""
    prefix, suffix = f"{root}/", "/readings"
    if not (topic.startswith(prefix) and topic.endswith(suffix)):
        return None
    middle = topic[len(prefix):-len(suffix)]
    return int(middle) if middle.isascii() and middle.isdigit() else None


@dataclass
class _Pending:
    mid: int
    qos: int
    mine_id: int
    records: list[ingest.PointReading]


@dataclass
class WorkerStats:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    reconnects: int = 0
    db_errors: int = 0


class IngestWorker:
    """One subscriber; run it with :meth:`run` (blocking, single-threaded: paho's network loop, the
    store and the acknowledgements all happen in the calling thread, which owns the DB connection)."""

    def __init__(self, config: MqttConfig | None = None) -> None:
        self.config = config or MqttConfig.from_settings()
        self.stats = WorkerStats()
        self.subscribed = threading.Event()  # set once the broker confirmed the subscription
        self._pending: list[_Pending] = []
        self._pending_readings = 0
        self._oldest = 0.0
        self._received = 0
        self._connected = False
        self._client = self._make_client()

    # --- paho plumbing --------------------------------------------------------------------------

    def _make_client(self) -> paho.Client:
        client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, client_id=self.config.client_id,
                             clean_session=False, protocol=paho.MQTTv311, manual_ack=True)
        if self.config.username:
            client.username_pw_set(self.config.username, self.config.password or None)
        if self.config.tls:
            client.tls_set(ca_certs=self.config.ca_file or None)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        self._connected = True
        log.info("connected to %s:%s as %s (session present: %s)", self.config.host, self.config.port,
                 self.config.client_id, flags.session_present)
        client.subscribe(topic_filter(self.config.topic_root), qos=1)

    def _on_subscribe(self, client: paho.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        if all(not reason.is_failure for reason in reasons):
            log.info("subscribed to %s", topic_filter(self.config.topic_root))
            self.subscribed.set()
        else:
            log.error("subscription to %s refused: %s", topic_filter(self.config.topic_root), reasons)

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connected = False

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self._received += 1
        self.stats.messages += 1
        mine_id = mine_of_topic(message.topic, self.config.topic_root)
        if mine_id is None:
            log.warning("ignoring a message on %r: not %s", message.topic, topic_filter(self.config.topic_root))
            records: list[ingest.PointReading] = []
        else:
            try:
                records, errors = ingest.parse_mqtt_payload(message.payload)
            except UnicodeDecodeError:
                records, errors = [], [(1, "payload is not UTF-8")]
            if errors:
                self.stats.rejected += len(errors)
                log.warning("mine %s: %d unreadable entries in a message, first: %s", mine_id, len(errors), errors[0])
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append(_Pending(message.mid, message.qos, mine_id or 0, records))
        self._pending_readings += len(records)

    # --- batches --------------------------------------------------------------------------------

    def _due(self, quiet: bool) -> bool:
        if not self._pending:
            return False
        return (quiet or self._pending_readings >= self.config.batch_readings
                or (time.monotonic() - self._oldest) * 1000 >= self.config.batch_ms)

    def flush(self) -> None:
        """Store the pending messages' readings in one transaction, then acknowledge the messages.
        On a database error nothing is acknowledged and the connection is dropped (redelivery)."""
        if not self._pending:
            return
        batch, self._pending, self._pending_readings = self._pending, [], 0
        records = [(item.mine_id, record) for item in batch for record in item.records]
        try:
            result = ingest.store_mixed(records)
        except DatabaseError:
            self.stats.db_errors += 1
            log.exception("storing %d readings failed; the broker will redeliver them", len(records))
            if not connection.in_atomic_block:  # a fresh connection next time (the server may have restarted)
                connection.close()
            if self._connected:
                self._client.disconnect()
            raise
        self.stats.batches += 1
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates
        self.stats.rejected += len(result.rejected)
        if result.rejected:
            log.warning("%d readings rejected, first: %s", len(result.rejected), result.rejected[0])
        if self._connected:  # after a lost connection the broker redelivers them: they become duplicates
            for item in batch:
                self._client.ack(item.mid, item.qos)

    # --- the loop -------------------------------------------------------------------------------

    def _connect(self) -> bool:
        try:
            if self._client.host:
                self._client.reconnect()
            else:
                self._client.connect(self.config.host, self.config.port, keepalive=self.config.keepalive)
        except (OSError, paho.WebsocketConnectionError) as exc:
            log.warning("cannot reach the MQTT broker at %s:%s: %s", self.config.host, self.config.port, exc)
            return False
        return True

    def run(self, stop: threading.Event | None = None, until: Callable[[WorkerStats], bool] | None = None,
            seconds: float | None = None, report: Callable[[str, WorkerStats], None] | None = None,
            report_every: float = 60.0) -> WorkerStats:
        """Consume until ``stop`` is set, ``until(stats)`` is true or ``seconds`` have passed (each
        None: forever). Pending readings are stored and acknowledged before returning. ``report`` is
        called with "subscribed" once the broker confirmed the subscription and with "stats" every
        ``report_every`` seconds."""
        stop = stop or threading.Event()
        deadline = None if seconds is None else time.monotonic() + seconds
        partitions.ensure(connection)
        backoff, up, announced = 0.5, False, False
        next_report = time.monotonic() + report_every

        def finished() -> bool:
            return (stop.is_set() or (deadline is not None and time.monotonic() >= deadline)
                    or (until is not None and until(self.stats)))

        while not finished():
            if report is not None:
                if self.subscribed.is_set() and not announced:
                    announced = True
                    report("subscribed", self.stats)
                if time.monotonic() >= next_report:
                    next_report += report_every
                    report("stats", self.stats)
            if not up:
                up = self._connect()
                if not up:
                    self._sleep(backoff, stop, deadline)
                    backoff = min(backoff * 2, self.config.max_backoff)
                    continue
            self._received = 0
            rc = self._client.loop(timeout=0.02)
            if rc != paho.MQTT_ERR_SUCCESS:
                log.warning("MQTT connection lost (%s); reconnecting", paho.error_string(rc))
                self._connected, up = False, False
                self._store_quietly()
                self.stats.reconnects += 1
                self._sleep(backoff, stop, deadline)
                backoff = min(backoff * 2, self.config.max_backoff)
                continue
            if self._connected:
                backoff = 0.5
            if self._due(quiet=self._received == 0):
                try:
                    self.flush()
                except DatabaseError:
                    up = False
                    self._sleep(backoff, stop, deadline)
                    backoff = min(backoff * 2, self.config.max_backoff)
        self._store_quietly()
        if self._connected:
            for _ in range(5):  # let the last PUBACKs out
                self._client.loop(timeout=0.01)
            self._client.disconnect()
            self._client.loop(timeout=0.01)
        self._connected = False
        return self.stats

    def _store_quietly(self) -> None:
        with contextlib.suppress(DatabaseError):  # logged by flush; the broker redelivers
            self.flush()

    @staticmethod
    def _sleep(backoff: float, stop: threading.Event, deadline: float | None) -> None:
        delay = backoff * random.uniform(0.8, 1.2)  # noqa: S311 — jitter, not security
        if deadline is not None:
            delay = max(0.0, min(delay, deadline - time.monotonic()))
        stop.wait(delay)
