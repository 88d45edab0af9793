"""The live simulated feed behind ``manage.py simulate``: readings of the demo mines in (near) real
time, sent the way a mine's gateway sends them (issue #6: "Simulator ``manage.py simulate``:
realistic streams for the demo mines … publishing to MQTT or HTTP").

Each mine's active sensors are simulated with :func:`demo.simulate_plan` (shift cycles, drift,
noise, dropouts, communication losses, calibrations, the feed interlock) in chunks of an hour; every
sensor reads every ``step`` seconds, each mine at its own phase within the step so the load is even.
A reading is sent once its time has come (``ts <= now``), through one of three sinks:

- :class:`MqttSink`: one JSON array per mine and tick, published with QoS 1 to
  ``mqtt.topic_for(mine_id, root)`` — the payload ``ingest.parse_mqtt_payload`` reads;
- :class:`HttpSink`: one NDJSON body per mine and tick, posted to ``/monitoring/ingest/readings/`` with
  the mine's gateway token (``Authorization: Gateway <token>``);
- :class:`DirectSink`: ``ingest.store`` in-process, for a machine without a broker (``make run``),
  in small transactions so a SQLite web server is never locked out for long.

Injected events (``--event KIND@MINE:SECOND[+DURATION]``) use the simulator's event kinds
(``simulator.EVENT_KINDS``); the chunk covering an event is simulated with it.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from minesafe.monitoring import demo
from minesafe.monitoring import simulator as sim

__all__ = [
    "DEFAULT_DURATIONS",
    "DirectSink",
    "FeedStats",
    "HttpSink",
    "LiveFeed",
    "MqttSink",
    "Sink",
    "parse_event",
    "step_for_rate",
]

log = logging.getLogger(__name__)

CHUNK_S = 3600
SEND_BATCH = 2000  # readings per store call / HTTP body at most
# Default event lengths (seconds) when ``+DURATION`` is not given.
DEFAULT_DURATIONS: dict[str, int] = {
    sim.GAS_EXCEEDANCE: 1200, sim.GAS_NEAR_ALARM: 1800, sim.FALSIFY_MISSING_CUT: 1200, sim.FALSIFY_CLIP: 3600,
    sim.FALSIFY_FLAT: 3 * 3600, sim.FALSIFY_SHIFT: 4 * 3600, sim.FALSIFY_REPLAY: 2 * 3600,
    sim.FALSIFY_GAS_AIRFLOW: 2 * 3600, sim.HIDDEN_OPERATION: 3 * 3600, sim.VENT_CHANGE: 2 * 3600,
    sim.CALIBRATION: 600, sim.SENSOR_STUCK: 1800, sim.RAIN: 3 * 3600,
}


@dataclass(frozen=True)
class EventSpec:
    """An event of the command line: kind at a mine, ``offset`` seconds after the feed started."""

    kind: str
    mine_id: int
    offset: int
    duration: int


def parse_event(text: str) -> EventSpec:
    """``KIND@MINE:SECOND[+DURATION]`` (e.g. ``gas_exceedance@17:120+900``) → EventSpec; ValueError."""
    kind, at, rest = text.strip().partition("@")
    mine, colon, when = rest.partition(":")
    if not at or not colon or kind not in sim.EVENT_KINDS:
        raise ValueError(f"{text!r}: expected KIND@MINE:SECOND[+DURATION] with KIND one of "
                         f"{', '.join(sim.EVENT_KINDS)}")
    offset, plus, duration = when.partition("+")
    try:
        spec = EventSpec(kind, int(mine), int(offset), int(duration) if plus else DEFAULT_DURATIONS[kind])
    except ValueError:
        raise ValueError(f"{text!r}: MINE, SECOND and DURATION must be whole numbers") from None
    if spec.offset < 0 or spec.duration < 1:
        raise ValueError(f"{text!r}: SECOND must be ≥ 0 and DURATION ≥ 1")
    return spec


def step_for_rate(sensors: int, rate: float) -> int:
    """Seconds between two readings of a sensor so that ``sensors`` sensors give about ``rate``
    readings per second (at least one second)."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    return max(1, math.ceil(sensors / rate))


_GAS_EVENTS = (sim.GAS_EXCEEDANCE, sim.GAS_NEAR_ALARM, sim.FALSIFY_CLIP, sim.FALSIFY_MISSING_CUT, sim.VENT_CHANGE)


def _targets(plan: demo.MinePlan, event: EventSpec) -> tuple[tuple[str, ...], dict[str, Any]]:
    """(sensors, params) of a command-line event at a mine: the working area or sensors it acts on, chosen
    the way ``simulator.random_events`` does; ValueError when the mine has nothing it can act on."""
    profile = plan.profile
    ch4 = [x.code for x in profile.sensors if x.kind == "ch4" and x.location != "face_intake"]
    analog = [x for x in profile.sensors if x.kind in sim.ANALOG_KINDS and x.location != "face_intake"]
    areas = [g for g in profile.groups("face") + profile.groups("heading")
             if any(x.group == g and x.kind == "ch4" for x in profile.sensors)]
    kind = event.kind
    if kind in _GAS_EVENTS or kind == sim.FALSIFY_GAS_AIRFLOW:
        faces = [g for g in areas if g in profile.groups("face")
                 and any(x.group == g and x.kind == "wind_speed" for x in profile.sensors)]
        choices = faces if kind == sim.FALSIFY_GAS_AIRFLOW else areas
        if not choices:
            raise ValueError(f"{kind}: mine {plan.mine_id} has no working area with methane sensors")
        return (), {"group": choices[0]}
    if kind in (sim.FALSIFY_SHIFT, sim.CALIBRATION):
        if not ch4:
            raise ValueError(f"{kind}: mine {plan.mine_id} has no methane sensor")
        return (ch4[0],), {}
    if kind in (sim.FALSIFY_FLAT, sim.SENSOR_STUCK):
        if not analog:
            raise ValueError(f"{kind}: mine {plan.mine_id} has no analogue sensor")
        return ((ch4 or [analog[0].code])[0],), {"near_constant": False} if kind == sim.FALSIFY_FLAT else {}
    if kind == sim.FALSIFY_REPLAY:  # a neighbour's stream copied over the sensor's own, same time
        for target in analog:
            source = next((x for x in analog if x.kind == target.kind and x.code != target.code), None)
            if source is not None:
                return (target.code,), {"source": source.code, "lag": 0}
        raise ValueError(f"{kind}: mine {plan.mine_id} has no two analogue sensors of one type")
    if kind == sim.RAIN and not any(x.code == "WL" and x.kind == "water_level" for x in profile.sensors):
        raise ValueError(f"{kind}: mine {plan.mine_id} has no pond water-level sensor WL")
    return (), {}


@dataclass
class FeedStats:
    sent: int = 0  # readings handed to the sink
    stored: int = 0  # as reported back (direct, HTTP); MQTT: published and acknowledged by the broker
    duplicates: int = 0
    rejected: int = 0  # refused by the platform (unknown point, bad value)
    failed: int = 0  # not delivered: database or server error, HTTP error status
    messages: int = 0  # MQTT messages / HTTP requests / store calls
    behind: float = 0.0  # the largest delay of a send behind its readings' time (s)
    errors: list[str] = field(default_factory=list)


def _note(stats: FeedStats, error: str) -> None:
    if len(stats.errors) < 20:
        stats.errors.append(error)
    log.warning("simulated feed: %s", error)


@dataclass(frozen=True)
class Batch:
    """Readings due in one tick (columnar; ``mine``/``code`` per reading for the sinks that need them)."""

    sensor: np.ndarray  # int64 Sensor.pk
    mine: np.ndarray  # int64 Mine.pk
    code: list[str]
    ts: np.ndarray  # int64 epoch s
    value: np.ndarray
    status: np.ndarray


class Sink(Protocol):
    def send(self, batch: Batch, stats: FeedStats) -> None: ...

    def close(self, stats: FeedStats) -> None: ...


def _by_mine(batch: Batch) -> list[tuple[int, np.ndarray]]:
    order = np.argsort(batch.mine, kind="stable")
    mines, starts = np.unique(batch.mine[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    return [(int(m), order[bounds[k]:bounds[k + 1]]) for k, m in enumerate(mines.tolist())]


def _records(batch: Batch, rows: np.ndarray) -> list[dict[str, Any]]:
    ts, value, status = batch.ts[rows].tolist(), batch.value[rows].tolist(), batch.status[rows].tolist()
    return [{"point": batch.code[r], "ts": t, "value": v, "status": s}
            for r, t, v, s in zip(rows.tolist(), ts, value, status, strict=True)]


class DirectSink:
    """``ingest.store`` in this process, at most :data:`SEND_BATCH` readings per transaction."""

    def __init__(self) -> None:
        from django.db import connection

        from minesafe.monitoring import partitions

        partitions.ensure(connection)

    def send(self, batch: Batch, stats: FeedStats) -> None:
        from django.db import DatabaseError, close_old_connections

        from minesafe.monitoring import ingest

        us = (batch.ts * 1_000_000).tolist()
        rows = list(zip(batch.sensor.tolist(), us, batch.value.tolist(), batch.status.tolist(), strict=True))
        for start in range(0, len(rows), SEND_BATCH):
            chunk = rows[start:start + SEND_BATCH]
            stats.messages += 1
            try:
                result = ingest.store(chunk)
            except DatabaseError as exc:  # e.g. SQLite busy past its timeout: drop this chunk, keep feeding
                stats.failed += len(chunk)
                _note(stats, f"store failed: {exc}")
                close_old_connections()
                continue
            stats.stored += result.stored
            stats.duplicates += result.duplicates
            stats.rejected += len(result.rejected)

    def close(self, stats: FeedStats) -> None:
        pass


class MqttSink:
    """Publish one JSON array per mine and tick with QoS 1 to ``topic_for(mine, root)``."""

    def __init__(self, host: str, port: int, root: str, *, client_id: str = "", username: str = "",
                 password: str = "", tls: bool = False, ca_file: str = "") -> None:
        import paho.mqtt.client as paho

        self.root = root
        self.client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=paho.MQTTv311)
        self.client.max_queued_messages_set(0)
        if username:
            self.client.username_pw_set(username, password or None)
        if tls:
            self.client.tls_set(ca_certs=ca_file or None)
        self.connected = threading.Event()
        self.client.on_connect = lambda *_args: self.connected.set()
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise ConnectionError(f"the MQTT broker at {host}:{port} did not accept the connection")
        self._pending: list[tuple[Any, int]] = []

    def send(self, batch: Batch, stats: FeedStats) -> None:
        from minesafe.monitoring.mqtt import topic_for

        for mine_id, rows in _by_mine(batch):
            payload = json.dumps(_records(batch, rows), separators=(",", ":"))
            info = self.client.publish(topic_for(mine_id, self.root), payload, qos=1)
            self._pending.append((info, len(rows)))
            stats.messages += 1
        self._settle(stats)

    def _settle(self, stats: FeedStats) -> None:
        keep = []
        for info, n in self._pending:
            if info.is_published():
                stats.stored += n
            else:
                keep.append((info, n))
        self._pending = keep

    def close(self, stats: FeedStats) -> None:
        deadline = time.monotonic() + 30
        for info, _n in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                info.wait_for_publish(remaining)
            except (RuntimeError, ValueError) as exc:  # not connected any more
                stats.errors.append(str(exc))
                break
        self._settle(stats)
        if self._pending:
            stats.failed += sum(n for _i, n in self._pending)
            _note(stats, f"{sum(n for _i, n in self._pending)} readings not acknowledged by the broker")
        self.client.disconnect()
        self.client.loop_stop()


Transport = Callable[[str, bytes, dict[str, str]], tuple[int, dict[str, Any]]]


class HttpSink:
    """POST one NDJSON body per mine and tick to the HTTP bulk endpoint with the mine's gateway token.
    ``transport(path, body, headers) -> (status, json)`` defaults to a kept-alive ``http.client``
    connection to ``base_url``; tests pass Django's test client."""

    PATH = "/monitoring/ingest/readings/"

    def __init__(self, tokens: dict[int, str], base_url: str = "http://127.0.0.1:8000",
                 transport: Transport | None = None) -> None:
        self.tokens = tokens
        parts = urllib.parse.urlsplit(base_url)
        self.prefix = parts.path.rstrip("/")
        self._conn: http.client.HTTPConnection | None = None
        self._parts = parts
        self.transport = transport or self._post

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: reconnect once
            if self._conn is None:
                cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
                self._conn = cls(self._parts.hostname or "127.0.0.1", self._parts.port, timeout=30)
            try:
                self._conn.request("POST", self.prefix + path, body=body, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        try:
            return response.status, json.loads(data or b"{}")
        except ValueError:
            return response.status, {"detail": data[:200].decode("utf-8", "replace")}

    def send(self, batch: Batch, stats: FeedStats) -> None:
        for mine_id, rows in _by_mine(batch):
            token = self.tokens.get(mine_id)
            if token is None:
                stats.rejected += len(rows)
                continue
            records = _records(batch, rows)
            for start in range(0, len(records), SEND_BATCH):
                part = records[start:start + SEND_BATCH]
                body = "\n".join(json.dumps(r, separators=(",", ":")) for r in part)
                stats.messages += 1
                try:
                    status, answer = self.transport(self.PATH, body.encode(), {
                        "Authorization": f"Gateway {token}", "Content-Type": "application/x-ndjson"})
                except OSError as exc:  # the server is down or restarting: these readings are lost, go on
                    stats.failed += len(part)
                    _note(stats, f"mine {mine_id}: {exc}")
                    continue
                if status != 200:
                    stats.failed += len(part)
                    _note(stats, f"mine {mine_id}: HTTP {status} {answer.get('detail', '')}")
                    continue
                stats.stored += int(answer.get("stored", 0))
                stats.duplicates += int(answer.get("duplicates", 0))
                stats.rejected += len(answer.get("rejected", []))

    def close(self, stats: FeedStats) -> None:
        if self._conn is not None:
            self._conn.close()


class LiveFeed:
    """Simulated readings of ``plans`` sent through a sink as their time comes.

    ``step``: seconds between two readings of a sensor; ``start``: epoch second the feed starts
    (default: now); ``events``: command-line events; ``seed``: makes the streams reproducible."""

    def __init__(self, plans: Sequence[demo.MinePlan], step: int, *, seed: int = 0, start: int | None = None,
                 events: Sequence[EventSpec] = (), chunk: int = CHUNK_S) -> None:
        if not plans:
            raise ValueError("no mine with active sensors to simulate")
        self.plans = list(plans)
        self.step = max(1, int(step))
        self.chunk = max(2 * self.step, int(chunk))
        self.seed = seed
        self.start = int(time.time()) if start is None else int(start)
        self.events = list(events)
        known = {p.mine_id for p in self.plans}
        unknown = sorted({e.mine_id for e in self.events} - known)
        if unknown:
            raise ValueError(f"events name mines without simulated sensors: {', '.join(map(str, unknown))}")
        by_mine = {p.mine_id: p for p in self.plans}
        self._targets = [_targets(by_mine[e.mine_id], e) for e in self.events]
        self.codes: list[str] = []
        self._code_index: list[np.ndarray] = []
        for plan in self.plans:
            self._code_index.append(np.arange(len(self.codes), len(self.codes) + len(plan.codes)))
            self.codes += plan.codes
        self.sensors = len(self.codes)
        self._arrays: tuple[np.ndarray, ...] | None = None
        self._pos = 0
        self._chunk_no = -1

    @property
    def rate(self) -> float:
        """Readings per second (before dropouts)."""
        return self.sensors / self.step

    def phase(self, mine_id: int) -> int:
        return (mine_id * 7919) % self.step

    def _generate(self, k: int) -> None:
        """Simulate chunk ``k`` (from ``start + k * chunk``) of every mine, merged in time order."""
        t0 = self.start + k * self.chunk
        parts = []
        for j, plan in enumerate(self.plans):
            begin = t0 + self.phase(plan.mine_id)
            events = [sim.Event(e.kind, self.start + e.offset, self.start + e.offset + e.duration, *target)
                      for e, target in zip(self.events, self._targets, strict=True) if e.mine_id == plan.mine_id
                      and self.start + e.offset < begin + self.chunk and self.start + e.offset + e.duration > begin]
            seed = demo.stream_seed(self.seed, plan.mine_id, 1 + k)
            (sid, ts, value, status), _res = demo.simulate_plan(plan, begin, self.chunk, self.step, seed, events)
            position = {pk: i for i, pk in enumerate(plan.sensor_ids.tolist())}
            code = self._code_index[j][np.array([position[s] for s in sid.tolist()], np.int64)] if len(sid) else (
                np.empty(0, np.int64))
            parts.append((sid, np.full(len(sid), plan.mine_id, np.int64), code, ts, value, status))
        merged = [np.concatenate(col) for col in zip(*parts, strict=True)]
        order = np.argsort(merged[3], kind="stable")
        self._arrays = tuple(col[order] for col in merged)
        self._pos = 0
        self._chunk_no = k

    def due(self, now: float) -> Batch | None:
        """The readings with ``ts <= now`` not sent yet (None when none are due)."""
        k = max(0, int((now - self.start) // self.chunk))
        if self._arrays is None:
            self._generate(k)
        parts = []
        while True:
            sid, mine, code, ts, value, status = self._arrays  # type: ignore[misc]
            end = int(np.searchsorted(ts, now, "right"))
            if end > self._pos:
                parts.append(tuple(col[self._pos:end] for col in self._arrays))  # type: ignore[union-attr]
                self._pos = end
            if self._pos < len(ts) or self._chunk_no >= k:
                break
            self._generate(self._chunk_no + 1)
        if not parts:
            return None
        sid, mine, code, ts, value, status = (np.concatenate(col) for col in zip(*parts, strict=True))
        return Batch(sid, mine, [self.codes[i] for i in code.tolist()], ts, value, status)

    def run(self, sink: Sink, *, seconds: float | None = None, stop: threading.Event | None = None,
            tick: float = 1.0, report: Callable[[FeedStats], None] | None = None,
            report_every: float = 60.0) -> FeedStats:
        """Send until ``stop`` is set or ``seconds`` have passed (None: until stopped); the sink is
        closed at the end (pending MQTT publications are waited for)."""
        stop = stop or threading.Event()
        stats = FeedStats()
        deadline = None if seconds is None else time.time() + seconds
        next_report = time.monotonic() + report_every
        try:
            while not stop.is_set():
                now = time.time()
                if deadline is not None and now >= deadline:
                    now = deadline
                batch = self.due(now)
                if batch is not None and len(batch.ts):
                    sink.send(batch, stats)
                    if stats.sent:  # the first send catches up with the start (simulating the first chunk)
                        stats.behind = max(stats.behind, time.time() - float(batch.ts.min()))
                    stats.sent += len(batch.ts)
                if deadline is not None and now >= deadline:
                    break
                if report is not None and time.monotonic() >= next_report:
                    next_report += report_every
                    report(stats)
                stop.wait(max(0.0, tick - (time.time() - now)))
        finally:
            sink.close(stats)
        return stats
