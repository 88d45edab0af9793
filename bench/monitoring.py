"""Monitoring performance in one run: (a) alarm-engine throughput against the naive per-reading loop, (b) end to
end on PostgreSQL with the real MQTT broker — publish → alarm row stored, and where it breaks.

    make bench-monitoring                         # or: .venv/bin/python bench/monitoring.py
    .venv/bin/python bench/monitoring.py --quick  # shorter steps, fewer rates
    .venv/bin/python bench/monitoring.py --engine-only

(a) reuses bench/monitoring_engine.py (a shard of 10,000 coal mines × 30 sensors, 3,000,000 readings): the
    vectorised engine against minesafe.monitoring.naive on the same readings, both on one core, judged on CPU
    time. Targets (issue #6): ≥ 1,000,000 readings/s and ≥ 50× the naive loop.

(b) A throwaway database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/minesafe_bench_monitoring,
    dropped and created like bench/hazards.py) gets ``--mines`` mines × ``--sensors`` sensors (methane, CO, O₂,
    wind speed, temperature with the 规程 levels). The real workers run as subprocesses — ``manage.py
    monitoring_ingest`` (MQTT QoS 1, persistent session) and ``manage.py monitoring_engine`` — and this process
    publishes every mine's readings as one JSON array per poll to ``<root>/<mine>/readings`` (QoS 1, broker
    at MONITORING_MQTT_HOST:PORT, default 127.0.0.1:1883). 1,000 mines × 300 sensors every 10 s = 30,000
    readings/s; higher rates shorten the polling period. About ``--alarms-per-s`` readings per second are CO
    readings over the 24 ppm alarm level (DOMAIN §4.1), each opening a "high" alarm at once; their publish times
    are kept per (sensor, ts), and a poller records when the alarm row (and, for one sensor per mine, the
    reading row) becomes visible in the database: latency = visible − published (poll every 50 ms).
    Baselines measured in the same run: the broker's own publish → receive latency to a plain subscriber at the
    first rate, and the pipeline's configured delays (ingest batch window + engine poll + engine commit lag).
    Rates step up (30k, 45k, 60k, 90k, 120k, 180k readings/s) until the alarm p99 exceeds ``--max-p99`` (5 s),
    alarms go missing, or ingestion falls more than 5 s of readings behind: that rate is the breaking point.

The script exits non-zero when a target of (a) is missed or the 30,000 readings/s step of (b) misses 5 s p99.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import monitoring_engine as engine_bench  # noqa: E402  (bench/monitoring_engine.py)
import numpy as np  # noqa: E402
from hazards import admin_url, recreate_database  # noqa: E402  (bench/hazards.py)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/minesafe_bench_monitoring"
RATES = (30_000, 45_000, 60_000, 90_000, 120_000, 180_000)
QUICK_RATES = (30_000, 60_000, 120_000)
TARGET_RATE_E2E = 30_000
MAX_BEHIND_S = 5.0
# Per mine: (kind, location, alarm_high, alarm_low, cut_high, restore_high, baseline, noise, share of sensors)
MIX = (
    ("ch4", "coal_face", 1.0, None, 1.5, 1.0, 0.3, 0.03, 0.4),
    ("co", "face_return", 24.0, None, None, None, 4.0, 0.8, 0.2),
    ("o2", "face_intake", None, 20.0, None, None, 20.8, 0.05, 0.13),
    ("wind_speed", "face_return", 4.0, 0.25, None, None, 1.6, 0.05, 0.14),
    ("temperature", "coal_face", 26.0, None, None, None, 22.0, 0.2, 0.13),
)
TRIGGER_VALUE = 40.0  # ppm CO: over the 24 ppm alarm level


# --------------------------------------------------------------------------------------- (a) engine vs naive


def engine_throughput(mines: int, polls: int, naive: int, batch: int, repeat: int, seed: int) -> bool:
    """Part (a) with bench/monitoring_engine.py's tables, stream and timing; prints the figures."""
    E = engine_bench.engine
    rng = np.random.default_rng(seed)
    sensors, mine_table = engine_bench.build_tables(mines, rng)
    sensor, ts, value = engine_bench.build_stream(sensors, mine_table, polls, rng)
    n, n_sub = len(sensor), min(naive, len(sensor))

    def fresh():
        return E.EngineState.empty(len(sensors), len(mine_table), created=engine_bench.T0)

    E.evaluate(sensors, mine_table, fresh(), sensor[:1000], ts[:1000], value[:1000])  # table preparation
    runs = [engine_bench.run(E.evaluate, sensors, mine_table, fresh(), sensor, ts, value, batch) for _ in range(repeat)]
    engine_wall, engine_cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    engine_bench.evaluate_naive(sensors, mine_table, engine_bench.NaiveState.empty(len(sensors), len(mine_table),
                                                                                   created=engine_bench.T0),
                                sensor[:10], ts[:10], value[:10])
    naive_wall, naive_cpu, naive_events = engine_bench.run(
        engine_bench.evaluate_naive, sensors, mine_table,
        engine_bench.NaiveState.empty(len(sensors), len(mine_table), created=engine_bench.T0),
        sensor[:n_sub], ts[:n_sub], value[:n_sub], batch)
    engine_events = engine_bench.run(E.evaluate, sensors, mine_table, fresh(), sensor[:n_sub], ts[:n_sub],
                                     value[:n_sub], batch)[2]
    agree = all(engine_bench._same(a, b) for a, b in zip(engine_events, naive_events, strict=True))
    print(f"(a) alarm engine: {len(sensors):,} sensors in {len(mine_table):,} mines, {n:,} readings in batches of "
          f"{batch:,}; the naive per-reading loop on the first {n_sub:,} (baseline, same run)")
    ok = agree
    for clock, e_s, n_s in (("CPU", engine_cpu, naive_cpu), ("wall", engine_wall, naive_wall)):
        rate, naive_rate = n / e_s, n_sub / n_s
        ratio = rate / naive_rate
        target = clock == "CPU"
        verdict = ("ok" if rate >= engine_bench.TARGET_RATE and ratio >= engine_bench.TARGET_RATIO else "MISSED") \
            if target else "—"
        print(f"    {clock:>4} time: engine {rate:>12,.0f} readings/s (target ≥ {engine_bench.TARGET_RATE:,.0f}); "
              f"naive {naive_rate:>9,.0f} readings/s; ratio {ratio:6.1f}× (target ≥ {engine_bench.TARGET_RATIO:.0f}×) "
              f"{verdict}")
        if target:
            ok = ok and rate >= engine_bench.TARGET_RATE and ratio >= engine_bench.TARGET_RATIO
    print(f"    same events from both on the first {n_sub:,} readings: {'yes' if agree else 'NO'}")
    return ok


# --------------------------------------------------------------------------------------- (b) end to end


def _percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def build_database(n_mines: int, per_mine: int) -> tuple[list[int], np.ndarray, list[str], np.ndarray]:
    """Mines and their sensors (COPY); returns (mine ids, sensor pks [mine, k], point codes, kind index per k)."""
    from django.db import connection

    from minesafe.accounts.models import Division
    from minesafe.registry.models import Enterprise, Mine
    from minesafe.testing.factories import build_world, uscc_for

    build_world()
    counties = list(Division.objects.filter(level="county", code__startswith="21").values_list("code", flat=True))
    homes = [counties[i % len(counties)] for i in range(max(1, n_mines // 5))]
    ents = Enterprise.objects.bulk_create([Enterprise(name=f"监测企业{i}", uscc=uscc_for(home), division_id=home)
                                           for i, home in enumerate(homes)], batch_size=2000)
    Mine.objects.bulk_create([
        Mine(name=f"监测矿{i:05d}", enterprise=ents[i % len(ents)], county_id=counties[(i * 7) % len(counties)],
             sector="coal", gas_grade="high", status="production", scale="small", headcount_cap=500)
        for i in range(n_mines)], batch_size=2000)
    mine_ids = list(Mine.objects.filter(name__startswith="监测矿").order_by("pk").values_list("pk", flat=True))
    shares = np.array([m[-1] for m in MIX])
    counts = np.floor(shares / shares.sum() * per_mine).astype(int)
    counts[0] += per_mine - counts.sum()
    kind_of = np.repeat(np.arange(len(MIX)), counts)
    codes = [f"{MIX[k][0].upper()}-{i:03d}" for i, k in enumerate(kind_of.tolist())]
    null = "\\N"
    stamp = "2026-01-01 00:00:00+00"
    columns = ("created_at", "updated_at", "mine_id", "code", "kind", "location", "place", "unit", "range_low",
               "range_high", "alarm_high", "alarm_low", "cut_high", "restore_high", "thresholds_overridden",
               "min_duration_s", "repeat_count", "repeat_window_s", "stale_after_s", "active")

    def num(x: float | None) -> str:
        return null if x is None else repr(float(x))

    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY monitoring_sensor ({', '.join(columns)}) FROM STDIN") as copy:
        for mine_id in mine_ids:
            lines = []
            for code, k in zip(codes, kind_of.tolist(), strict=True):
                kind, location, high, low, cut, restore, *_rest = MIX[k]
                # stale after an hour: the drains between the rate steps must not raise communication losses
                lines.append("\t".join((stamp, stamp, str(mine_id), code, kind, location, "", "", "0", null,
                                        num(high), num(low), num(cut), num(restore), "f", "0", "0", "0", "3600",
                                        "t")))
            copy.write("\n".join(lines) + "\n")
    pks = np.zeros((len(mine_ids), per_mine), np.int64)
    index = {m: j for j, m in enumerate(mine_ids)}
    position = {c: i for i, c in enumerate(codes)}
    from minesafe.monitoring.models import Sensor

    for pk, mine_id, code in Sensor.objects.values_list("pk", "mine_id", "code").iterator(chunk_size=20000):
        pks[index[mine_id], position[code]] = pk
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return mine_ids, pks, codes, kind_of


class Worker:
    """A ``manage.py`` subprocess with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.log = logdir / f"{name}.log"
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env,  # noqa: S603
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Poller(threading.Thread):
    """Records when alarm rows ("high") and the sampled readings become visible, every ``every`` seconds."""

    def __init__(self, sample_sensors: list[int], every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.sample = sample_sensors
        self.alarm_seen: dict[tuple[int, int], float] = {}
        self.reading_seen: dict[tuple[int, int], float] = {}
        self.stop_event = threading.Event()
        self.max_seq = 0
        self.cursor_seq = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        from django.db import connection

        last_alarm, last_seq = 0, 0
        try:
            with connection.cursor() as cursor:
                while not self.stop_event.is_set():
                    cursor.execute("SELECT id, sensor_id, FLOOR(EXTRACT(EPOCH FROM started_at))::bigint "
                                   "FROM monitoring_alarm WHERE id > %s AND kind = 'high'", [last_alarm])
                    rows = cursor.fetchall()
                    cursor.execute("SELECT seq, sensor_id, FLOOR(EXTRACT(EPOCH FROM ts))::bigint "
                                   "FROM monitoring_reading WHERE seq > %s AND sensor_id = ANY(%s)",
                                   [last_seq, self.sample])
                    readings = cursor.fetchall()
                    cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM monitoring_reading")
                    top = int(cursor.fetchone()[0])
                    cursor.execute("SELECT COALESCE(MAX(last_seq), 0) FROM monitoring_enginecursor")
                    engine_at = int(cursor.fetchone()[0])
                    seen = time.time()
                    for alarm_id, sensor_id, started in rows:
                        last_alarm = max(last_alarm, alarm_id)
                        self.alarm_seen.setdefault((sensor_id, int(started)), seen)
                    for seq, sensor_id, ts in readings:
                        self.reading_seen.setdefault((sensor_id, int(ts)), seen)
                        last_seq = max(last_seq, seq)
                    self.max_seq, self.cursor_seq = top, engine_at
                    self.stop_event.wait(self.every)
        except BaseException as exc:  # reported by the main thread
            self.error = exc
        finally:
            connection.close()


class Publisher:
    """Publishes every mine's readings as one JSON array per poll (QoS 1) at a given rate."""

    def __init__(self, host: str, port: int, roots: list[str], mine_ids: list[int], pks: np.ndarray,
                 codes: list[str], kind_of: np.ndarray, seed: int) -> None:
        import paho.mqtt.client as paho

        self.roots, self.mine_ids, self.pks, self.kind_of = roots, mine_ids, pks, kind_of
        self.rng = np.random.default_rng(seed)
        self.prefix = [f'{{"point":"{c}","ts":' for c in codes]
        self.base = np.array([MIX[k][6] for k in kind_of.tolist()])
        self.noise = np.array([MIX[k][7] for k in kind_of.tolist()])
        self.co = np.flatnonzero(kind_of == 1)
        self.client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"minesafe-bench-pub-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv311)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        self.triggers: dict[tuple[int, int], float] = {}
        self.samples: dict[tuple[int, int], float] = {}
        self.published = 0
        self._co_next = self.rng.integers(0, len(self.co), len(mine_ids))

    def publish_for(self, rate: float, seconds: float, alarms_per_s: float, record: bool = True) -> tuple[float, int]:
        """Publish at ``rate`` readings/s for ``seconds``; returns (achieved rate, readings)."""
        n_mines, per_mine = self.pks.shape
        period = per_mine * n_mines / rate  # seconds between two polls of a mine
        gap = period / n_mines
        p_trigger = min(1.0, alarms_per_s * gap)
        start = time.time()
        due = start
        sent = 0
        k = 0
        last_ts: dict[int, int] = {}
        while due < start + seconds:
            now = time.time()
            if due > now:
                time.sleep(due - now)
            j = k % n_mines
            k += 1
            due += gap
            ts = int(time.time())
            if last_ts.get(j) == ts:  # one reading per sensor and second: a poll may not repeat a second
                continue
            last_ts[j] = ts
            values = self.base + self.noise * self.rng.standard_normal(per_mine)
            trigger = -1
            if record and self.rng.random() < p_trigger:
                trigger = int(self.co[self._co_next[j] % len(self.co)])
                self._co_next[j] += 1
                values[trigger] = TRIGGER_VALUE
            body = "[" + ",".join(f'{p}{ts},"value":{v:.3f}}}' for p, v in zip(self.prefix, values.tolist(),
                                                                              strict=True)) + "]"
            mine_id = self.mine_ids[j]
            self.client.publish(f"{self.roots[mine_id % len(self.roots)]}/{mine_id}/readings", body, qos=1)
            published = time.time()
            if record:
                if trigger >= 0:
                    self.triggers[(int(self.pks[j, trigger]), ts)] = published
                self.samples[(int(self.pks[j, 0]), ts)] = published
            sent += per_mine
        self.published += sent
        return sent / (time.time() - start), sent

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def broker_baseline(host: str, port: int, rate: float, seconds: float, per_message: int) -> tuple[float, float]:
    """p50 / p99 publish → receive (s) of a plain subscriber, messages of ``per_message`` readings at ``rate``."""
    import paho.mqtt.client as paho

    root = f"minesafe-bench-base-{uuid.uuid4().hex[:8]}"
    received: list[float] = []
    sent_at: dict[int, float] = {}

    def on_message(_c, _u, message) -> None:
        received.append(time.time() - sent_at.get(int(message.topic.rsplit("/", 1)[1]), time.time()))

    sub = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    ready = threading.Event()
    sub.on_message = on_message
    sub.on_subscribe = lambda *_a: ready.set()
    sub.connect(host, port)
    sub.subscribe(f"{root}/#", qos=1)
    sub.loop_start()
    ready.wait(10)
    pub = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    pub.max_inflight_messages_set(100)
    pub.connect(host, port)
    pub.loop_start()
    body = json.dumps([{"point": f"P{i:03d}", "ts": 1_767_225_600, "value": 0.3} for i in range(per_message)])
    gap = per_message / rate
    start = due = time.time()
    i = 0
    while due < start + seconds:
        now = time.time()
        if due > now:
            time.sleep(due - now)
        sent_at[i] = time.time()
        pub.publish(f"{root}/{i}", body, qos=1)
        i += 1
        due += gap
    deadline = time.time() + 10
    while len(received) < i and time.time() < deadline:
        time.sleep(0.05)
    pub.loop_stop()
    pub.disconnect()
    sub.loop_stop()
    sub.disconnect()
    return _percentile(received, 0.5), _percentile(received, 0.99)


def end_to_end(args: argparse.Namespace) -> bool:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    admin_url(url)  # refuses the "postgres" database
    host = os.environ.get("MONITORING_MQTT_HOST", "127.0.0.1")
    port = int(os.environ.get("MONITORING_MQTT_PORT", "1883"))
    logdir = Path(tempfile.mkdtemp(prefix="minesafe-bench-monitoring-"))
    broker = None
    if args.private_broker:
        broker = PrivateBroker(logdir)
        host, port = "127.0.0.1", broker.port
    import socket

    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        print(f"(b) skipped: no MQTT broker at {host}:{port} ({exc})")
        return False
    try:
        return _end_to_end(args, url, host, port, logdir, broker)
    finally:
        if broker is not None:
            broker.stop()


class PrivateBroker:
    """mosquitto on a free port with an unlimited queue per client (``max_queued_messages 0``), as the
    platform's broker should be configured: a slow subscriber's backlog is queued, not dropped."""

    def __init__(self, directory: Path) -> None:
        import shutil
        import socket

        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        conf = directory / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "max_queued_messages 0",
                 "max_inflight_messages 100", f"log_dest file {directory}/mosquitto.log"]
        if os.geteuid() == 0:
            lines.append("user root")
        conf.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)


def _end_to_end(args: argparse.Namespace, url: str, host: str, port: int, logdir: Path,
                broker: PrivateBroker | None) -> bool:
    recreate_database(url)
    os.environ.update({"DATABASE_URL": url, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "minesafe.settings"})
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    mine_ids, pks, codes, kind_of = build_database(args.mines, args.sensors)
    print(f"(b) end to end: PostgreSQL {connection.pg_version // 10000}, MQTT {host}:{port}; {len(mine_ids):,} mines × "
          f"{args.sensors} sensors built in {time.perf_counter() - started:.1f} s")
    connection.close()

    tag = uuid.uuid4().hex[:10]
    shards = max(1, args.ingest_workers)
    roots = [f"minesafe-bench-{tag}-{k}" for k in range(shards)]  # mines sharded over the workers by topic root
    client_ids = [f"minesafe-bench-ingest-{tag}-{k}" for k in range(shards)]
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true", "PYTHONUNBUFFERED": "1"}
    workers: list[Worker] = []
    poller: Poller | None = None
    publisher: Publisher | None = None
    ok = True
    try:
        for k in range(shards):
            workers.append(Worker("ingest" if shards == 1 else f"ingest{k}", [
                "monitoring_ingest", "--host", host, "--port", str(port), "--topic-root", roots[k],
                "--client-id", client_ids[k], "--stats-every", "10"], env, logdir))
        workers.append(Worker("engine", ["monitoring_engine", "--falsification-every", "0"], env, logdir))
        for w in workers[:shards]:
            if not w.wait_for("subscribed", 30):
                print(f"    the {w.name} worker did not subscribe:\n" + w.output()[-2000:])
                return False
        print(f"    {shards} ingest worker{'s' if shards > 1 else ''} (mines sharded by topic root), one engine "
              f"worker; broker {'private (max_queued_messages 0)' if broker else 'as configured'} at {host}:{port}")
        batch_ms = int(os.environ.get("MONITORING_MQTT_BATCH_MS", "200"))
        lag_ms = int(os.environ.get("MONITORING_ENGINE_LAG_MS", "500"))
        floor = (batch_ms + 200 + lag_ms) / 1000

        base50, base99 = broker_baseline(host, port, TARGET_RATE_E2E, 5.0, args.sensors)
        print(f"    baseline, broker alone: publish → plain subscriber at {TARGET_RATE_E2E:,} readings/s in messages "
              f"of {args.sensors}: p50 {base50 * 1000:.1f} ms, p99 {base99 * 1000:.1f} ms")
        print(f"    baseline, the pipeline's configured delays: ingest batch {batch_ms} ms + engine poll 200 ms + "
              f"engine commit lag {lag_ms} ms = {floor:.2f} s")

        publisher = Publisher(host, port, roots, mine_ids, pks, codes, kind_of, args.seed)
        poller = Poller([int(p) for p in pks[:, 0]])
        poller.start()
        publisher.publish_for(min(args.rates[0], 10_000), 5.0, 0, record=False)  # warm-up: tables loaded, caches
        if not _drain(publisher, poller, 60):
            print("    the workers did not keep up with the warm-up")
        print(f"    {'rate/s':>9} {'achieved':>9} {'alarms':>7} {'alarm p50':>10} {'p99':>8} {'p99/broker':>10} "
              f"{'p50/delays':>9} {'reading p50':>11} {'p99':>8} {'behind':>7} {'drain':>6}  verdict")
        breaking, held = None, None
        meter = CpuMeter(workers)
        rates = list(args.rates)
        while rates:
            rate = rates.pop(0)
            publisher.triggers.clear()
            publisher.samples.clear()
            meter.start()
            achieved, _n = publisher.publish_for(rate, args.seconds, args.alarms_per_s)
            cpu_line = meter.line()
            behind_at_end = (publisher.published - poller.max_seq) / rate  # seq counts stored readings (no dups)
            drain_start = time.time()
            drained = _drain(publisher, poller, max(30.0, 3 * args.seconds))
            drain_s = time.time() - drain_start
            time.sleep(1.0)
            alarm = [poller.alarm_seen[k] - t for k, t in publisher.triggers.items() if k in poller.alarm_seen]
            missing = len(publisher.triggers) - len(alarm)
            reading = [poller.reading_seen[k] - t for k, t in publisher.samples.items() if k in poller.reading_seen]
            if missing:
                alarm += [float("inf")] * missing
            a50, a99 = _percentile(alarm, 0.5), _percentile(alarm, 0.99)
            r50, r99 = _percentile(reading, 0.5), _percentile(reading, 0.99)
            fail = []
            if a99 > args.max_p99:
                fail.append(f"alarm p99 > {args.max_p99:g} s")
            if missing > 0.01 * max(1, len(publisher.triggers)):
                fail.append(f"{missing} alarms missing")
            if behind_at_end > MAX_BEHIND_S or not drained:
                fail.append(f"ingestion {behind_at_end:.1f} s behind")
            if achieved < 0.95 * rate:
                fail.append("publisher could not keep the rate")
            behind = max(0.0, behind_at_end)
            print(f"    {rate:>9,} {achieved:>9,.0f} {len(publisher.triggers):>7} {a50:>9.2f}s {a99:>7.2f}s "
                  f"{a99 / base99:>9.0f}× {a50 / floor:>8.1f}× {r50:>10.2f}s {r99:>7.2f}s {behind:>6.1f}s "
                  f"{drain_s:>5.1f}s  {'ok' if not fail else 'BREAKS: ' + '; '.join(fail)}", flush=True)
            print(f"    {'':>9} {cpu_line}", flush=True)
            if rate == TARGET_RATE_E2E and (a99 > args.max_p99 or missing):
                ok = False
            if not drained and not _drain(publisher, poller, 300):
                lost = publisher.published - poller.max_seq
                print(f"    {'':>9} {lost:,} published readings never arrived: the broker dropped the backlog "
                      f"(mosquitto's max_queued_messages, 1000 by default; --private-broker queues without limit)")
                publisher.published = poller.max_seq  # what is lost will not come: count from what was stored
                fail.append(f"{lost:,} readings lost")
            if not fail:
                held = rate if held is None else max(held, rate)
                if breaking is not None:
                    break  # stepping down: the highest rate that holds is found
            elif breaking is None:
                breaking = (rate, fail)
                # the first rate already breaks: step down to the highest rate that holds
                rates = [int(rate * f) for f in (2 / 3, 1 / 2, 1 / 3, 1 / 6)] if held is None else []
            elif held is None and not rates:
                break
        if breaking:
            print(f"    breaking point: {breaking[0]:,} readings/s ({'; '.join(breaking[1])}); "
                  f"highest rate that held: {f'{held:,} readings/s' if held else 'none tried'}")
        else:
            print(f"    no breaking point up to {args.rates[-1]:,} readings/s")
        for w in workers:
            tail = [line for line in w.output().splitlines() if "stats" in line or "readings" in line][-1:]
            if tail:
                print(f"    {w.name} worker: {tail[0]}")
        if poller.error:
            print(f"    poller error: {poller.error!r}")
    finally:
        if poller is not None:
            poller.stop_event.set()
            poller.join(5)
        if publisher is not None:
            publisher.close()
        for w in workers:
            w.stop()
        for client_id in client_ids:
            _forget_session(host, port, client_id)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(url, drop_only=True)
        print(f"    worker logs: {logdir}")
    return ok


def _cpu_by_process() -> dict[int, tuple[str, float]]:
    """pid → (command name, CPU seconds used so far) of every process (Linux /proc; empty elsewhere)."""
    out: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            text = (entry / "stat").read_text()
            name = text[text.index("(") + 1:text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            out[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
        except (OSError, ValueError, IndexError):
            continue
    return out


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Cores used over an interval by the workers, this process (publisher and poller), PostgreSQL, the
    broker, and everything else on the machine (other jobs sharing it skew the figures: they are shown)."""

    def __init__(self, workers: list[Worker]) -> None:
        self.mine = {w.proc.pid: w.name for w in workers}
        self.mine[os.getpid()] = "publisher+poller"
        self.start()

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.before = _cpu_by_process()
        self.machine = _machine_busy()

    def _group(self, pid: int, name: str) -> str:
        if pid in self.mine:
            return self.mine[pid]
        if name in ("postgres", "postmaster"):
            return "PostgreSQL"
        if name == "mosquitto":
            return "broker"
        return "other jobs"

    def line(self) -> str:
        dt = max(1e-9, time.monotonic() - self.t0)
        after = _cpu_by_process()
        used: dict[str, float] = dict.fromkeys([*self.mine.values(), "PostgreSQL", "broker", "other jobs"], 0.0)
        for pid, (name, seconds) in after.items():
            used[self._group(pid, name)] += max(0.0, seconds - self.before.get(pid, (name, 0.0))[1])
        busy = (_machine_busy() - self.machine) / dt
        return "cores used: " + ", ".join(f"{name} {value / dt:.2f}" for name, value in used.items()) + \
            f"; machine busy {busy:.2f} of {os.cpu_count()}"


def _drain(publisher: Publisher, poller: Poller, timeout: float, stall: float = 15.0) -> bool:
    """Wait until everything published is stored and evaluated by the engine; gives up after ``timeout``,
    or when nothing more is stored for ``stall`` seconds (the broker dropped the rest)."""
    deadline = time.time() + timeout
    last, progress = -1, time.time()
    while time.time() < deadline:
        if poller.max_seq >= publisher.published and poller.cursor_seq >= poller.max_seq:
            return True
        if poller.max_seq != last:
            last, progress = poller.max_seq, time.time()
        elif time.time() - progress > stall and poller.cursor_seq >= poller.max_seq:
            return False
        time.sleep(0.1)
    return False


def _forget_session(host: str, port: int, client_id: str) -> None:
    """Connect once with a clean session so the broker drops the bench worker's persistent session."""
    import paho.mqtt.client as paho

    client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=True, protocol=paho.MQTTv311)
    try:
        client.connect(host, port)
        client.loop(timeout=0.5)
        client.disconnect()
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter steps and fewer rates")
    parser.add_argument("--engine-only", action="store_true", help="only part (a)")
    parser.add_argument("--engine-mines", type=int, default=10_000, help="(a) mines of 30 sensors")
    parser.add_argument("--polls", type=int, default=10, help="(a) polling cycles of 30 s")
    parser.add_argument("--naive", type=int, default=300_000, help="(a) readings the naive loop evaluates")
    parser.add_argument("--mines", type=int, default=1000, help="(b) mines")
    parser.add_argument("--sensors", type=int, default=300, help="(b) sensors per mine")
    parser.add_argument("--seconds", type=float, help="(b) publishing time per rate (default 30, quick 15)")
    parser.add_argument("--rates", help="(b) comma-separated readings/s (default 30k,45k,60k,90k,120k,180k)")
    parser.add_argument("--alarms-per-s", type=float, default=10.0, help="(b) alarm-triggering readings per second")
    parser.add_argument("--max-p99", type=float, default=5.0, help="(b) p99 alarm latency that breaks (s)")
    parser.add_argument("--keep", action="store_true", help="(b) keep the bench database")
    parser.add_argument("--ingest-workers", type=int, default=1, help="(b) ingest workers, mines sharded by topic root")
    parser.add_argument("--private-broker", action="store_true",
                        help="(b) a private mosquitto with an unlimited queue instead of MONITORING_MQTT_HOST:PORT")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    args.seconds = args.seconds or (15.0 if args.quick else 30.0)
    args.rates = [int(float(r)) for r in args.rates.split(",")] if args.rates else list(
        QUICK_RATES if args.quick else RATES)

    print("MineSafe monitoring bench")
    ok = engine_throughput(args.engine_mines, args.polls, args.naive, 100_000, 3, args.seed)
    if not args.engine_only:
        ok = end_to_end(args) and ok
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
