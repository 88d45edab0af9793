"""The engine worker (minesafe.monitoring.worker), end to end on the database in use (SQLite, or
PostgreSQL with DATABASE_URL): readings stored through ``ingest.store`` become alarms exactly once,
replays and restarts are idempotent, communication loss suppresses stale alarms, shards split mines.

Issue #6: "one alarm per sensor per episode; grouping per mine and inhibition (a mine-wide
communication loss suppresses its per-sensor stale alarms)"; the engine is stateless per shard.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from minesafe.monitoring import engine, ingest, worker
from minesafe.monitoring.models import Alarm, EngineCursor, Sensor
from minesafe.monitoring.worker import Shard
from minesafe.registry.models import Mine
from minesafe.testing.factories import World

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
E0 = int(T0.timestamp())
LATER = T0 + dt.timedelta(days=1)  # "now" for ingest: every reading of a test is in its past
ALL = Shard(0, 1)


@pytest.fixture(autouse=True)
def _no_lag_and_fresh_cache(settings):
    """Tests read what they just stored: no commit lag. Each test starts without cached tables."""
    settings.MONITORING_ENGINE_LAG_MS = 0
    worker.forget()
    yield
    worker.forget()


def sensor(mine: Mine, code: str, kind: str = "ch4", **extra: object) -> Sensor:
    defaults: dict[str, object] = {"location": "coal_face", "stale_after_s": 3600}
    if kind == "ch4":
        defaults.update(alarm_high=1.0, cut_high=1.5, restore_high=1.0)
    defaults.update(extra)
    return Sensor.objects.create(mine=mine, code=code, kind=kind, **defaults)


def put(s: Sensor, *points: tuple[int, float], status: int = 0) -> None:
    """Store readings (seconds after T0, value) through the ingest path."""
    result = ingest.store([(s.pk, T0 + dt.timedelta(seconds=t), v, status) for t, v in points], now=LATER)
    assert not result.rejected


def run(now_s: int, shard: Shard = ALL, state: engine.EngineState | None = None) -> dict:
    _, stats = worker.run_once(shard, state, now=E0 + now_s)
    return stats


def alarms(**filters: object) -> list[tuple]:
    return list(Alarm.objects.filter(**filters).order_by("started_at", "id").values_list(
        "kind", "sensor_id", "started_at", "ended_at", "peak_value", "last_value", "threshold"))


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.mark.django_db
def test_readings_become_alarms_once(world: World) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, (0, 0.5), (10, 1.2), (20, 1.7), (30, 1.3), (40, 0.6))
    stats = run(60)
    assert (stats["rows"], stats["evaluated"], stats["opened"], stats["closed"]) == (5, 5, 2, 2)
    assert alarms(kind="high") == [("high", ch4.pk, at(10), at(40), 1.7, 0.6, 1.0)]
    # power_cut: hysteresis from 1.5 back under the restore level 1.0; peak over the episode only.
    assert alarms(kind="power_cut") == [("power_cut", ch4.pk, at(20), at(40), 1.7, 0.6, 1.5)]
    assert Alarm.objects.get(kind="power_cut").severity == 3
    assert EngineCursor.objects.get(shard="0/1").last_seq == stats["last_seq"] > 0
    # Nothing new: nothing happens, the cursor stays.
    again = run(61)
    assert (again["rows"], again["opened"], again["closed"]) == (0, 0, 0)
    assert Alarm.objects.count() == 2
    # The same readings delivered again are duplicates in ingest: nothing to evaluate either.
    put(ch4, (10, 1.2), (20, 1.7))
    assert run(62)["rows"] == 0 and Alarm.objects.count() == 2


@pytest.mark.django_db
def test_open_alarm_tracks_peak_and_last_value_across_batches(world: World) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, (0, 1.1), (10, 1.3))
    run(20)
    put(ch4, (20, 1.4), (30, 1.2))
    run(40)
    alarm = Alarm.objects.get(kind="high")
    assert (alarm.ended_at, alarm.peak_value, alarm.last_value) == (None, 1.4, 1.2)
    put(ch4, (25, 1.45))  # late: stored, part of the episode's peak, but not the last value
    run(41)
    alarm.refresh_from_db()
    assert (alarm.peak_value, alarm.last_value) == (1.45, 1.2)


@pytest.mark.django_db
def test_replaying_a_batch_stores_nothing_twice(world: World) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, (0, 0.5), (10, 1.2), (20, 0.4), (30, 1.3))  # one ended episode, one open
    run(40)
    before = alarms()
    assert [(k, e is None) for k, _s, _t, e, *_ in before] == [("high", False), ("high", True)]
    # Crash after commit, cursor rolled back: the whole batch is evaluated again.
    EngineCursor.objects.filter(shard="0/1").update(last_seq=0)
    stats = run(40)
    assert stats["rows"] == 4 and stats["reloaded"]
    assert alarms() == before
    # Same, by a freshly started worker (new state rebuilt from the database).
    EngineCursor.objects.filter(shard="0/1").update(last_seq=0)
    worker.forget()
    tables = worker.load_tables(ALL)
    state = worker.rebuild_state(ALL, tables, now=E0 + 40)
    _, stats = worker.run_once(ALL, state, now=E0 + 40)
    assert stats["rows"] == 4
    assert alarms() == before


@pytest.mark.django_db
def test_replaying_ended_episodes_stores_nothing_twice(world: World) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, (0, 0.5), (10, 1.2), (20, 0.4))
    run(25)
    put(ch4, (30, 1.3), (40, 0.5), (50, 1.6), (60, 0.2))
    # Crash before the second batch committed, and the cursor went back to the start: the first
    # episode is found stored, the new ones after it are stored.
    EngineCursor.objects.filter(shard="0/1").update(last_seq=0)
    worker.forget()
    stats = run(70)
    assert (stats["rows"], stats["opened"], stats["closed"]) == (7, 3, 3)
    before = alarms()
    assert [(k, t, e) for k, _s, t, e, *_ in before] == [
        ("high", at(10), at(20)), ("high", at(30), at(40)), ("high", at(50), at(60)), ("power_cut", at(50), at(60))]
    EngineCursor.objects.filter(shard="0/1").update(last_seq=0)
    worker.forget()
    stats = run(70)
    assert (stats["rows"], stats["opened"], stats["closed"]) == (7, 0, 0)
    assert alarms() == before


@pytest.mark.django_db
def test_restarted_worker_continues_open_episode(world: World) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, (0, 1.2), (10, 1.3))
    run(20)
    assert Alarm.objects.filter(kind="high", ended_at__isnull=True).count() == 1
    worker.forget()  # the process dies; a new one rebuilds its state from the database
    tables = worker.load_tables(ALL)
    state = worker.rebuild_state(ALL, tables, now=E0 + 20)
    i = tables.sensor_index[ch4.pk]
    assert state.high_open[i] and state.last_ts[i] == E0 + 10 and state.last_value[i] == 1.3
    put(ch4, (20, 1.25), (30, 0.9))
    _, stats = worker.run_once(ALL, state, now=E0 + 40)
    assert (stats["opened"], stats["closed"]) == (0, 1)
    assert alarms(kind="high") == [("high", ch4.pk, at(0), at(30), 1.3, 0.9, 1.0)]


@pytest.mark.django_db
def test_restart_keeps_a_pending_duration_run(world: World) -> None:
    """min_duration: the run that started before the restart still counts from its first reading."""
    ch4 = sensor(world.mine_a, "A01", min_duration_s=60)
    put(ch4, (0, 0.5), (10, 1.2), (40, 1.3))
    run(45)
    assert not Alarm.objects.exists()
    worker.forget()
    tables = worker.load_tables(ALL)
    state = worker.rebuild_state(ALL, tables, now=E0 + 45)
    assert state.high_since[tables.sensor_index[ch4.pk]] == E0 + 10
    put(ch4, (70, 1.2))
    worker.run_once(ALL, state, now=E0 + 75)
    assert alarms(kind="high") == [("high", ch4.pk, at(70), None, 1.2, 1.2, 1.0)]


@pytest.mark.django_db
def test_restart_keeps_repeat_history(world: World) -> None:
    """repeat rule: 3 exceedances within 120 s open the alarm even though each is short."""
    ch4 = sensor(world.mine_a, "A01", min_duration_s=600, repeat_count=3, repeat_window_s=120)
    put(ch4, (0, 1.2), (10, 0.5), (20, 1.2), (30, 0.5))
    run(35)
    assert not Alarm.objects.exists()
    worker.forget()
    tables = worker.load_tables(ALL)
    state = worker.rebuild_state(ALL, tables, now=E0 + 35)
    put(ch4, (40, 1.2))
    worker.run_once(ALL, state, now=E0 + 45)
    assert alarms(kind="high") == [("high", ch4.pk, at(40), None, 1.2, 1.2, 1.0)]


@pytest.mark.django_db
def test_calibrating_readings_raise_no_alarm(world: World) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, (0, 0.3))
    put(ch4, (10, 2.0), (20, 2.0), status=ingest.CALIBRATING)
    stats = run(30)
    assert (stats["rows"], stats["evaluated"]) == (3, 1)
    assert not Alarm.objects.exists()
    assert EngineCursor.objects.get(shard="0/1").last_seq == stats["last_seq"]


@pytest.mark.django_db
def test_comm_loss_suppresses_stale_alarms(world: World) -> None:
    a = sensor(world.mine_a, "A01", stale_after_s=60)
    b = sensor(world.mine_a, "A02", stale_after_s=60)
    put(a, (0, 0.2))
    put(b, (0, 0.2), (50, 0.2))
    run(50)
    assert not Alarm.objects.exists()
    run(100)  # a silent for 100 s: stale; b heard 50 s ago
    stale_a = Alarm.objects.get(kind="stale", sensor=a)
    assert (stale_a.severity, stale_a.threshold, stale_a.started_at) == (1, 60.0, at(100))
    run(200)  # b silent too: the whole mine — one comm_loss alarm, no stale alarm for b
    loss = Alarm.objects.get(kind="comm_loss")
    assert (loss.mine_id, loss.sensor_id, loss.started_at, loss.severity) == (world.mine_a.pk, None, at(200), 2)
    assert not Alarm.objects.filter(kind="stale", sensor=b).exists()
    stale_a.refresh_from_db()
    assert stale_a.inhibited_by_id == loss.pk and stale_a.ended_at is None
    # Data returns: the mine's communication and a's stale alarm end at the first reading.
    put(a, (210, 0.2))
    put(b, (215, 0.2))
    run(220)
    loss.refresh_from_db()
    stale_a.refresh_from_db()
    assert (loss.ended_at, stale_a.ended_at) == (at(210), at(210))
    assert Alarm.objects.filter(ended_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_stale_alarm_opened_under_comm_loss_points_to_it(world: World) -> None:
    """comm_loss opens first (both silent at once); a restarted worker's state knows it is open."""
    a = sensor(world.mine_a, "A01", stale_after_s=60)
    b = sensor(world.mine_a, "A02", stale_after_s=60)
    put(a, (0, 0.2))
    put(b, (5, 0.2))
    run(100)
    assert list(Alarm.objects.values_list("kind", flat=True)) == ["comm_loss"]
    worker.forget()
    state = worker.rebuild_state(ALL, worker.load_tables(ALL), now=E0 + 100)
    assert state.comm_open.tolist() == [True] and not state.stale_open.any()
    assert run(160, state=state)["opened"] == 0
    # persist_events: a stale alarm opened while its mine's communication is lost is suppressed by it.
    loss = Alarm.objects.get(kind="comm_loss")
    tables = worker.load_tables(ALL)
    i, m = tables.sensor_index[a.pk], tables.mine_index[world.mine_a.pk]
    events = engine.Events.build([(engine.ALARM_CODES["stale"], i, m, True, E0 + 170, float("nan"), 60.0)])
    with transaction.atomic():
        assert worker.persist_events(events, tables) == (1, 0)
    stale = Alarm.objects.get(kind="stale")
    assert (stale.sensor_id, stale.inhibited_by_id, stale.severity) == (a.pk, loss.pk, 1)
    with transaction.atomic():  # the same event again: nothing new
        assert worker.persist_events(events, tables) == (0, 0)


@pytest.mark.django_db
def test_gas_work_over_headcount_and_hidden_operation(world: World) -> None:
    feed = sensor(world.mine_a, "F01", kind="feed", location="coal_face")
    ch4 = sensor(world.mine_a, "A01", feed_sensor=feed)
    people = sensor(world.mine_a, "P01", kind="headcount", location="mine")
    power = sensor(world.mine_b, "E01", kind="electricity", location="mine")
    Mine.objects.filter(pk=world.mine_b.pk).update(status="rectification")  # mine_b is ordered halted
    put(feed, (0, 1.0), (200, 0.0))
    put(ch4, (0, 1.6), (30, 1.7), (90, 1.8), (200, 1.8))
    put(people, (0, 50), (60, 75), (120, 58))  # cap 60 (factories)
    put(power, (0, 2.0), (60, 120.0))  # MONITORING_IDLE_POWER default 5.0
    run(210)
    gas = Alarm.objects.get(kind="gas_work")
    # Open after the grace of two polling cycles (GAS_WORK_GRACE_S) with the feed still on; ends
    # when the feed shows the cut.
    assert (gas.sensor_id, gas.started_at, gas.ended_at, gas.threshold, gas.severity) == (
        ch4.pk, at(engine.GAS_WORK_GRACE_S + 30), at(200), 1.5, 3)
    over = Alarm.objects.get(kind="over_headcount")
    assert (over.mine_id, over.sensor_id, over.started_at, over.ended_at, over.peak_value, over.threshold) == (
        world.mine_a.pk, None, at(60), at(120), 75.0, 60.0)
    hidden = Alarm.objects.get(kind="hidden_operation")
    assert (hidden.mine_id, hidden.started_at, hidden.ended_at, hidden.threshold, hidden.severity) == (
        world.mine_b.pk, at(60), None, 5.0, 3)
    assert not Alarm.objects.filter(kind="hidden_operation", mine=world.mine_a).exists()


@pytest.mark.django_db
def test_idle_power_setting(world: World, settings) -> None:
    settings.MONITORING_IDLE_POWER = 200.0
    power = sensor(world.mine_b, "E01", kind="electricity", location="mine")
    Mine.objects.filter(pk=world.mine_b.pk).update(status="suspended", updated_at=timezone.now())
    put(power, (0, 150.0))
    run(10)
    assert not Alarm.objects.exists()
    assert worker.load_tables(ALL).mines.idle_power.tolist() == [200.0]


@pytest.mark.django_db
def test_shards_split_mines_and_keep_their_own_cursor(world: World) -> None:
    a = sensor(world.mine_a, "A01")
    b = sensor(world.mine_b, "B01")
    put(a, (0, 1.2))
    put(b, (0, 1.3))
    mine_of = {world.mine_a.pk: a, world.mine_b.pk: b}
    seen = {}
    for index in (0, 1):
        shard = Shard(index, 2)
        tables = worker.load_tables(shard)
        stats = run(10, shard)
        seen[index] = (tables.mines.ids.tolist(), stats["rows"])
        assert all(pk % 2 == index for pk in tables.mines.ids.tolist())
    assert sorted(m for ids, _ in seen.values() for m in ids) == sorted(mine_of)
    assert sum(rows for _, rows in seen.values()) == 2
    assert set(Alarm.objects.values_list("sensor_id", flat=True)) == {a.pk, b.pk}
    assert set(EngineCursor.objects.values_list("shard", flat=True)) == {"0/2", "1/2"}
    with pytest.raises(ValueError):
        Shard(2, 2)
    assert Shard.parse("1/4") == Shard(1, 4) and Shard(1, 4).name == "1/4"


@pytest.mark.django_db
def test_new_sensor_and_changed_thresholds_reload_the_tables(world: World) -> None:
    a = sensor(world.mine_a, "A01")
    put(a, (0, 0.2))
    assert run(5)["reloaded"]  # the first run loads the tables
    assert not run(6)["reloaded"]
    b = sensor(world.mine_a, "A02")
    put(b, (10, 1.2))
    stats = run(15)
    assert stats["reloaded"] and stats["evaluated"] == 1
    assert Alarm.objects.get(kind="high").sensor_id == b.pk
    # A looser threshold (through the ORM here; sensors.set_thresholds in the app) applies at once.
    Sensor.objects.filter(pk=b.pk).update(alarm_high=2.0, updated_at=timezone.now())
    put(b, (20, 1.5))
    stats = run(25)
    assert stats["reloaded"] and stats["closed"] == 1
    # A deactivated sensor's open alarm ends with the next load.
    put(a, (30, 1.3))
    run(35)
    assert Alarm.objects.filter(sensor=a, ended_at__isnull=True).count() == 1
    Sensor.objects.filter(pk=a.pk).update(active=False, updated_at=timezone.now())
    run(40)
    assert Alarm.objects.get(sensor=a).ended_at == at(40)


@pytest.mark.django_db
def test_batches_are_limited_and_follow_arrival_order(world: World) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, *[(t, 1.2 if 10 <= t < 30 else 0.4) for t in range(0, 60, 5)])
    first = worker.run_once(ALL, None, max_rows=5, now=E0 + 60)[1]
    assert (first["rows"], first["more"]) == (5, True)
    rest = worker.run_once(ALL, None, max_rows=100, now=E0 + 60)[1]
    assert (rest["rows"], rest["more"]) == (7, False)
    assert alarms(kind="high") == [("high", ch4.pk, at(10), at(30), 1.2, 0.4, 1.0)]


@pytest.mark.django_db
def test_failed_transaction_leaves_cursor_and_rebuilds(world: World, monkeypatch) -> None:
    ch4 = sensor(world.mine_a, "A01")
    put(ch4, (0, 1.2))

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(worker, "persist_events", boom)
    with pytest.raises(RuntimeError):
        run(5)
    assert EngineCursor.objects.get(shard="0/1").last_seq == 0
    monkeypatch.undo()
    stats = run(5)
    assert stats["reloaded"] and stats["opened"] == 1


@pytest.mark.django_db
def test_command_once(world: World, capsys) -> None:
    ch4 = sensor(world.mine_a, "A01", stale_after_s=10**6)
    put(ch4, (0, 1.2))
    call_command("monitoring_engine", "--once", "--falsification-every", "0", "--shard", "0/1")
    out = capsys.readouterr().out
    assert "0/1: 1 readings, 1 alarms opened" in out and Alarm.objects.filter(kind="high").count() == 1
    call_command("monitoring_engine", "--once", "--shard", "0/1")  # with a falsification scan of the mine
    assert "0/1: 0 readings, 0 alarms opened, 0 closed, 0 falsification flags" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("monitoring_engine", "--once", "--shard", "3/2")


@pytest.mark.django_db
def test_recent_readings_wait_for_the_commit_lag_on_postgresql(world: World, settings) -> None:
    """PostgreSQL hands out seq before commit: the worker does not pass a reading younger than the lag
    (a reading with a lower seq may still be committing). SQLite serialises writers: no lag."""
    settings.MONITORING_ENGINE_LAG_MS = 60_000
    ch4 = sensor(world.mine_a, "A01")
    ingest.store([(ch4.pk, T0, 1.2, 0)], now=timezone.now())  # received just now
    put(ch4, (10, 1.3))  # received long ago, but after it in seq
    stats = run(20)
    if connection.vendor == "postgresql":
        assert stats["rows"] == 0 and EngineCursor.objects.get(shard="0/1").last_seq == 0
        settings.MONITORING_ENGINE_LAG_MS = 0
        stats = run(20)
    assert stats["rows"] == 2 and Alarm.objects.filter(kind="high").count() == 1


# --- falsification scan ----------------------------------------------------------------------------


def _ch4_streams(world: World, *, noisy_h: float, flat_h: float, offset_s: int = 0) -> Sensor:
    """Three CH₄ sensors of face F1 with measurement noise, and a fourth, F1-T0, noisy for ``noisy_h``
    hours then stuck at 0.45 % for ``flat_h`` hours (a flat line), from ``offset_s`` after T0."""
    import numpy as np

    rng = np.random.default_rng(7 + offset_s)
    defaults = {"kind": "ch4", "location": "coal_face", "place": "F1工作面", "alarm_high": 1.0, "cut_high": 1.5,
                "restore_high": 1.0}
    sensors = [Sensor.objects.get_or_create(mine=world.mine_a, code=f"F1-T{k}", defaults=defaults)[0]
               for k in (1, 2, 3, 0)]
    end = offset_s + int((noisy_h + flat_h) * 3600)
    flat_from = offset_s + int(noisy_h * 3600)
    rows = []
    for s in sensors:
        for t in range(offset_s, end, 10):
            stuck = s.code == "F1-T0" and t >= flat_from
            value = 0.45 if stuck else round(0.45 + 0.05 * rng.standard_normal(), 2)
            rows.append((s.pk, T0 + dt.timedelta(seconds=t), value, 0))
    assert not ingest.store(rows, now=LATER).rejected
    return sensors[-1]


@pytest.mark.django_db
def test_scan_falsification_runs_the_detectors_on_stored_readings(world: World) -> None:
    from minesafe.monitoring.models import FalsificationFlag

    flat = _ch4_streams(world, noisy_h=8, flat_h=3)
    assert worker.scan_falsification(ALL, E0 + 11 * 3600, hours=12) >= 1
    flag = FalsificationFlag.objects.filter(pattern="flat_line").get()
    assert (flag.sensor_id, flag.mine_id, flag.status) == (flat.pk, world.mine_a.pk, "open")
    assert T0 + dt.timedelta(hours=7) <= flag.window_start < flag.window_end <= T0 + dt.timedelta(hours=11)
    assert "F1-T0" in flag.explanation and flag.evidence
    # Only the mine's own shard scans it.
    own, other = Shard(world.mine_a.pk % 2, 2), Shard((world.mine_a.pk + 1) % 2, 2)
    assert world.mine_a.pk in worker.shard_mine_ids(own) and world.mine_a.pk not in worker.shard_mine_ids(other)
    FalsificationFlag.objects.all().delete()
    assert worker.scan_falsification(other, E0 + 11 * 3600, hours=12) == 0
    assert worker.scan_falsification(own, E0 + 11 * 3600, hours=12) >= 1


@pytest.mark.django_db
def test_scan_falsification_stores_each_episode_once(world: World, monkeypatch) -> None:
    """The scan runs over a sliding window: an episode found again is not stored twice, an open flag
    grows with its episode, a decided one is left as decided, and NaN evidence becomes null."""
    from minesafe.monitoring import falsification
    from minesafe.monitoring.models import FalsificationFlag

    a = sensor(world.mine_a, "A01")
    b = sensor(world.mine_a, "A02")
    put(a, (0, 0.4))
    found: list[falsification.Flag] = []
    monkeypatch.setattr(falsification, "detect_all", lambda streams, *args, **kwargs: list(found))

    def flag(code: str, start: int, end: int, pattern: str = "flat_line", score: float = 0.7):
        return falsification.Flag(code, pattern, E0 + start, E0 + end, score, f"{code} 读数 {start}–{end} 不变",
                                  {"std": float("nan"), "n": 5})

    found[:] = [flag("A01", 0, 3600), flag("A02", 0, 3600, "clipped"), flag("ZZ", 0, 60)]  # ZZ: unknown
    assert worker.scan_falsification(ALL, E0 + 3600, hours=2) == 2
    first = FalsificationFlag.objects.get(sensor=a)
    assert (first.window_start, first.window_end, first.score, first.evidence) == (
        at(0), at(3600), 0.7, {"std": None, "n": 5})
    assert worker.scan_falsification(ALL, E0 + 3600, hours=2) == 0
    found[:] = [flag("A01", 600, 5400, score=0.9)]  # the same episode, seen longer
    assert worker.scan_falsification(ALL, E0 + 5400, hours=2) == 0
    first.refresh_from_db()
    assert (first.window_start, first.window_end, first.score, first.explanation) == (
        at(0), at(5400), 0.9, "A01 读数 600–5400 不变")
    FalsificationFlag.objects.filter(pk=first.pk).update(status="dismissed")
    found[:] = [flag("A01", 3000, 9000), flag("A01", 9600, 12000)]  # overlaps the decided one; a new one
    assert worker.scan_falsification(ALL, E0 + 12000, hours=4) == 1
    first.refresh_from_db()
    assert (first.status, first.window_end) == ("dismissed", at(5400))
    assert FalsificationFlag.objects.filter(sensor=a).count() == 2
    assert FalsificationFlag.objects.filter(sensor=b, pattern="clipped").count() == 1


def test_area_of_sensor() -> None:
    assert worker._area_of("F1-T1", "F1工作面", "coal_face") == "F1"
    assert worker._area_of("210323A01MN0001", "1201 回风巷", "face_return") == "1201"
    assert worker._area_of("X7", "F2掘进回风", "heading_return") == "F2"
    assert worker._area_of("TR-CH4", "总回风巷", "total_return") == "TR"
    assert worker._area_of("HC", "井下人员", "mine") == "MINE"
