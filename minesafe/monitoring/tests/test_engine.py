"""The alarm engine (minesafe.monitoring.engine) against hand-worked scenarios and against the naive
per-reading implementation (minesafe.monitoring.naive) on random streams.

Issue #6: threshold alarms with duration and repeat conditions, power-cut hysteresis (DOMAIN §4.2),
瓦斯超限作业 (gas at the cut level while the feed shows power), 超定员, suspected 明停暗开, stale
sensors on a clock with mine-wide communication loss inhibiting per-sensor stale alarms. Every
scenario runs through both implementations and checks they agree before checking the expected
events. No database.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from minesafe.monitoring import engine as E
from minesafe.monitoring.engine import GAS_WORK_GRACE_S, NEVER, EngineState, Events, MineTable, SensorTable
from minesafe.monitoring.naive import NaiveState, check_clock_naive, evaluate_naive

nan = math.nan
STATE_FIELDS = ("last_ts", "last_value", "high_since", "low_since", "gas_since", "high_open", "low_open", "cut_open",
                "gas_open", "stale_open", "over_open", "hidden_open", "comm_open", "last_data")


def sensor_table(*rows: dict) -> SensorTable:
    """Sensors from dicts: kind (name), mine, alarm_high, alarm_low, cut, restore, dur, rep, win, feed, stale."""
    def col(key: str, default: object, dtype: type) -> np.ndarray:
        return np.array([r.get(key, default) for r in rows], dtype=dtype)

    return SensorTable(
        ids=np.arange(len(rows), dtype=np.int64) + 1000, mine=col("mine", 0, np.int64),
        kind=np.array([E.KIND_CODES[r.get("kind", "ch4")] for r in rows], np.int16),
        alarm_high=col("alarm_high", nan, np.float64), alarm_low=col("alarm_low", nan, np.float64),
        cut_high=col("cut", nan, np.float64), restore_high=col("restore", nan, np.float64),
        min_duration=col("dur", 0, np.int64), repeat_count=col("rep", 0, np.int64),
        repeat_window=col("win", 0, np.int64), feed=col("feed", -1, np.int64), stale_after=col("stale", 120, np.int64),
    )


def mine_table(*rows: dict) -> MineTable:
    rows = rows or ({},)
    return MineTable(ids=np.arange(len(rows), dtype=np.int64) + 1,
                     headcount_cap=np.array([r.get("cap", nan) for r in rows], np.float64),
                     halted=np.array([r.get("halted", False) for r in rows], bool),
                     idle_power=np.array([r.get("idle", nan) for r in rows], np.float64))


def same(a: Events, b: Events) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(getattr(a, f), getattr(b, f), equal_nan=f in ("value", "threshold"))
        for f in ("kind", "sensor", "mine", "opened", "ts", "value", "threshold"))


class Pair:
    """The engine and the naive oracle side by side; every call checks they agree (events and state)."""

    def __init__(self, sensors: SensorTable, mines: MineTable, *, created: int = 0) -> None:
        self.sensors, self.mines = sensors, mines
        self.state = EngineState.empty(len(sensors), len(mines), created=created)
        self.naive = NaiveState.empty(len(sensors), len(mines), created=created)

    def feed(self, readings: list[tuple[int, int, float]]) -> list[tuple]:
        sensor = np.array([r[0] for r in readings], np.int64)
        ts = np.array([r[1] for r in readings], np.int64)
        value = np.array([r[2] for r in readings], np.float64)
        return self.arrays(sensor, ts, value)

    def arrays(self, sensor: np.ndarray, ts: np.ndarray, value: np.ndarray) -> list[tuple]:
        self.state, ev = E.evaluate(self.sensors, self.mines, self.state, sensor, ts, value)
        self.naive, nv = evaluate_naive(self.sensors, self.mines, self.naive, sensor, ts, value)
        return self._check(ev, nv)

    def clock(self, now: int) -> list[tuple]:
        self.state, ev = E.check_clock(self.sensors, self.mines, self.state, now)
        self.naive, nv = check_clock_naive(self.sensors, self.mines, self.naive, now)
        return self._check(ev, nv)

    def _check(self, ev: Events, nv: Events) -> list[tuple]:
        assert same(ev.sorted(), nv.sorted()), (ev.rows(), nv.rows())
        assert same(ev, ev.sorted())  # already canonical
        ne = self.naive.to_engine()
        for name in STATE_FIELDS:
            assert np.array_equal(getattr(ne, name), getattr(self.state, name), equal_nan=True), name
        return [(k, s, o, t, None if math.isnan(v) else v) for k, s, _, o, t, v, _ in ev.rows()]


# --- codes ------------------------------------------------------------------------------------


def test_codes_match_the_model_choices() -> None:
    from minesafe.monitoring.choices import AlarmKind, SensorKind

    assert set(E.KIND_CODES) == set(SensorKind.values)
    assert set(E.ALARM_CODES) == set(AlarmKind.values) == set(E.SEVERITY)
    assert E.SEVERITY == {"high": 2, "low": 2, "power_cut": 3, "gas_work": 3, "over_headcount": 2,
                          "hidden_operation": 3, "stale": 1, "comm_loss": 2}


# --- per-sensor thresholds ----------------------------------------------------------------------


def test_high_opens_at_the_level_and_closes_below_it() -> None:
    pair = Pair(sensor_table({"kind": "co", "alarm_high": 24.0}), mine_table())
    assert pair.feed([(0, 0, 10.0), (0, 30, 23.99)]) == []
    assert pair.feed([(0, 60, 24.0), (0, 90, 30.0)]) == [("high", 0, True, 60, 24.0)]
    assert pair.feed([(0, 120, 23.9)]) == [("high", 0, False, 120, 23.9)]
    ev = E.evaluate(pair.sensors, pair.mines, pair.state, np.array([0]), np.array([150]), np.array([25.0]))[1]
    assert (ev.threshold.tolist(), ev.mine.tolist(), E.SEVERITY[E.ALARM_NAMES[ev.kind[0]]]) == ([24.0], [0], 2)


def test_min_duration_is_measured_on_reading_timestamps_and_carried_across_batches() -> None:
    pair = Pair(sensor_table({"kind": "co", "alarm_high": 24.0, "dur": 60}), mine_table())
    # A run 0..30 broken at 45 never reaches 60 s; the next run starts at 50.
    assert pair.feed([(0, 0, 30.0), (0, 30, 30.0), (0, 45, 1.0), (0, 50, 30.0)]) == []
    assert pair.state.high_since[0] == 50
    assert pair.feed([(0, 80, 30.0)]) == []
    assert pair.feed([(0, 109, 31.0)]) == []
    assert pair.feed([(0, 110, 32.0), (0, 140, 33.0)]) == [("high", 0, True, 110, 32.0)]
    assert pair.feed([(0, 170, 2.0)]) == [("high", 0, False, 170, 2.0)]
    assert pair.state.high_since[0] == NEVER


def test_repeat_rule_counts_run_starts_within_the_window() -> None:
    # 3 exceedances within 100 s open it at the third start, even though none lasts 1000 s.
    pair = Pair(sensor_table({"kind": "ch4", "alarm_high": 1.0, "dur": 1000, "rep": 3, "win": 100}), mine_table())
    assert pair.feed([(0, 0, 1.2), (0, 10, 0.5), (0, 40, 1.1)]) == []
    assert pair.feed([(0, 50, 0.4)]) == []  # history carried into the next batch
    assert pair.feed([(0, 100, 1.3), (0, 110, 1.4)]) == [("high", 0, True, 100, 1.3)]
    assert pair.feed([(0, 120, 0.2)]) == [("high", 0, False, 120, 0.2)]
    # The window is inclusive: starts at 300, 350 and 400 (400 - 300 = 100 s).
    assert pair.feed([(0, 300, 1.1), (0, 310, 0.1), (0, 350, 1.1), (0, 360, 0.1)]) == []
    assert pair.feed([(0, 400, 1.1)]) == [("high", 0, True, 400, 1.1)]
    # Starts at 0, 60, 120 (window [20, 120] holds two) do not open it.
    other = Pair(sensor_table({"kind": "ch4", "alarm_high": 1.0, "dur": 1000, "rep": 3, "win": 100}), mine_table())
    assert other.feed([(0, 0, 1.2), (0, 10, 0.5), (0, 60, 1.1), (0, 70, 0.5), (0, 120, 1.1)]) == []


def test_low_opens_below_the_minimum_and_closes_at_it() -> None:
    pair = Pair(sensor_table({"kind": "o2", "alarm_low": 20.0}), mine_table())
    assert pair.feed([(0, 0, 20.0), (0, 30, 19.9)]) == [("low", 0, True, 30, 19.9)]
    assert pair.feed([(0, 60, 19.0), (0, 90, 20.0)]) == [("low", 0, False, 90, 20.0)]


def test_power_cut_hysteresis() -> None:
    pair = Pair(sensor_table({"kind": "ch4", "cut": 1.5, "restore": 1.0},
                             {"kind": "ch4", "cut": 1.0},  # restore unset → the cut level
                             {"kind": "ch4", "cut": 1.0, "restore": 2.0}),  # restore above cut → clamped
                mine_table())
    events = pair.feed([(0, 0, 1.5), (0, 30, 1.2), (0, 60, 1.0), (0, 90, 0.99),
                        (1, 0, 1.0), (1, 30, 0.999),
                        (2, 0, 1.5), (2, 30, 1.2), (2, 60, 0.9)])
    assert events == [("power_cut", 0, True, 0, 1.5), ("power_cut", 1, True, 0, 1.0), ("power_cut", 2, True, 0, 1.5),
                      ("power_cut", 1, False, 30, 0.999), ("power_cut", 2, False, 60, 0.9),
                      ("power_cut", 0, False, 90, 0.99)]
    ev = E.evaluate(pair.sensors, pair.mines, pair.state, np.array([0, 0]), np.array([120, 150]),
                    np.array([1.6, 0.5]))[1]
    assert ev.threshold.tolist() == [1.5, 1.0]  # open: the cut level; close: the restore level


def test_late_duplicate_nan_and_out_of_order_readings() -> None:
    pair = Pair(sensor_table({"kind": "co", "alarm_high": 24.0}), mine_table())
    # Inside a batch readings are taken in time order; the same timestamp twice keeps the first.
    assert pair.feed([(0, 60, 5.0), (0, 30, 30.0), (0, 30, 1.0), (0, 45, nan)]) == [
        ("high", 0, True, 30, 30.0), ("high", 0, False, 60, 5.0)]
    assert (pair.state.last_ts[0], pair.state.last_value[0]) == (60, 5.0)
    # Older than the last evaluated reading: stored by ingestion, ignored here.
    assert pair.feed([(0, 50, 99.0), (0, 60, 99.0)]) == []
    assert (pair.state.last_ts[0], pair.state.last_value[0]) == (60, 5.0)


# --- gas work -----------------------------------------------------------------------------------


GAS = {"kind": "ch4", "alarm_high": 1.0, "cut": 1.5, "restore": 1.0, "feed": 1}
FEED = {"kind": "feed"}


def test_gas_work_opens_after_the_grace_while_the_feed_shows_power() -> None:
    pair = Pair(sensor_table(GAS, FEED), mine_table())
    g = GAS_WORK_GRACE_S
    events = pair.feed([(1, 0, 1.0), (0, 0, 0.3), (0, 30, 1.6), (1, 30, 1.0), (0, 30 + g, 1.7)])
    assert ("gas_work", 0, True, 30 + g, 1.7) in events
    assert pair.state.gas_open[0]
    # The feed goes off in the next batch: closed at that reading, value = the gas concentration then.
    assert ("gas_work", 0, False, 40 + g, 1.7) in pair.feed([(1, 40 + g, 0.0)])


def test_gas_work_not_raised_when_power_is_cut_within_the_grace() -> None:
    pair = Pair(sensor_table(GAS, FEED), mine_table())
    # Gas over the cut level while the feed still shows power in the same poll; cut by the next.
    events = pair.feed([(0, 0, 0.4), (1, 0, 1.0), (0, 30, 1.8), (1, 30, 1.0), (0, 60, 1.9), (1, 60, 0.0),
                        (0, 90, 1.2), (1, 90, 0.0)])
    assert [e for e in events if e[0] == "gas_work"] == []
    assert [e[:3] for e in events if e[0] == "power_cut"] == [("power_cut", 0, True)]


def test_gas_work_with_feed_and_gas_changing_in_one_batch() -> None:
    """The feed comes back on while gas is still over the cut level (both series merged by time)."""
    pair = Pair(sensor_table(GAS, FEED, GAS | {"feed": 1}), mine_table())
    g = GAS_WORK_GRACE_S
    readings = [(0, 0, 1.6), (2, 0, 0.2), (1, 0, 0.0),  # powered off: fine
                (1, 100, 1.0),  # power back with gas at 1.6 — the condition starts at 100
                (0, 130, 1.6), (2, 130, 0.3),
                (0, 100 + g, 1.55), (2, 100 + g, 0.3),  # held for the grace → open on sensor 0 only
                (0, 200 + g, 0.8),  # gas below the cut level → closed
                (1, 300 + g, 0.0)]
    events = pair.feed(readings)
    assert [e for e in events if e[0] == "gas_work"] == [("gas_work", 0, True, 100 + g, 1.55),
                                                         ("gas_work", 0, False, 200 + g, 0.8)]
    # Same readings in reverse arrival order, in one batch: the same events.
    again = Pair(sensor_table(GAS, FEED, GAS | {"feed": 1}), mine_table())
    assert again.feed(readings[::-1]) == events


def test_gas_work_uses_the_feed_state_from_earlier_batches() -> None:
    pair = Pair(sensor_table(GAS, FEED), mine_table())
    g = GAS_WORK_GRACE_S
    assert pair.feed([(1, 0, 1.0)]) == []
    assert pair.feed([(0, 10, 1.5)]) == [("high", 0, True, 10, 1.5), ("power_cut", 0, True, 10, 1.5)]
    assert pair.state.gas_since[0] == 10
    assert ("gas_work", 0, True, 10 + g, 2.0) in pair.feed([(0, 10 + g, 2.0)])


# --- mine level ---------------------------------------------------------------------------------


def test_over_headcount() -> None:
    pair = Pair(sensor_table({"kind": "headcount"}, {"kind": "headcount", "mine": 1}),
                mine_table({"cap": 100}, {}))  # mine 1 has no cap
    events = pair.feed([(0, 0, 90), (0, 30, 100), (0, 60, 101), (1, 60, 5000), (0, 90, 120), (0, 120, 100)])
    assert events == [("over_headcount", -1, True, 60, 101.0), ("over_headcount", -1, False, 120, 100.0)]
    ev = E.evaluate(pair.sensors, pair.mines, pair.state, np.array([0]), np.array([150]), np.array([130.0]))[1]
    assert (ev.sensor.tolist(), ev.mine.tolist(), ev.threshold.tolist()) == ([-1], [0], [100.0])


def test_hidden_operation_in_a_halted_mine() -> None:
    sensors = sensor_table({"kind": "electricity"}, {"kind": "headcount"},
                           {"kind": "electricity", "mine": 1}, {"kind": "electricity", "mine": 2})
    mines = mine_table({"halted": True, "idle": 50.0}, {"halted": False}, {"halted": True})
    pair = Pair(sensors, mines)
    events = pair.feed([(0, 0, 40.0), (1, 0, 0.0), (2, 0, 900.0), (3, 0, 0.0),
                        (0, 30, 60.0),  # above idle: activity
                        (0, 60, 45.0), (1, 60, 3.0),  # power down but people underground: still active
                        (1, 90, 0.0),  # nobody: closed
                        (3, 90, 0.5)])  # idle unset = 0: any use counts
    assert events == [("hidden_operation", -1, True, 30, 60.0), ("hidden_operation", -1, False, 90, 0.0),
                      ("hidden_operation", -1, True, 90, 0.5)]
    assert [pair.state.hidden_open[m] for m in range(3)] == [False, False, True]
    ev = E.evaluate(sensors, mines, pair.state.copy(), np.array([1]), np.array([120]), np.array([2.0]))[1]
    assert ev.threshold.tolist() == [0.0]  # a headcount reading: threshold 0


def test_hidden_operation_closes_when_the_mine_is_no_longer_halted() -> None:
    sensors = sensor_table({"kind": "electricity"})
    pair = Pair(sensors, mine_table({"halted": True}))
    assert pair.feed([(0, 0, 500.0)]) == [("hidden_operation", -1, True, 0, 500.0)]
    assert pair.feed([(0, 30, 600.0)]) == []
    pair.mines = mine_table({"halted": False})  # production resumed: takes effect at the next reading
    assert pair.feed([(0, 60, 700.0)]) == [("hidden_operation", -1, False, 60, 700.0)]
    pair.mines = mine_table({"halted": True})
    assert pair.feed([(0, 90, 700.0)]) == [("hidden_operation", -1, True, 90, 700.0)]


# --- clock --------------------------------------------------------------------------------------


def test_stale_sensor_and_data_return() -> None:
    pair = Pair(sensor_table({"kind": "co", "stale": 60}, {"kind": "co", "stale": 60}, {"kind": "co", "stale": 600}),
                mine_table(), created=1000)
    pair.feed([(0, 1000, 1.0), (1, 1000, 1.0), (2, 1000, 1.0)])
    assert pair.clock(1060) == []  # not more than stale_after
    pair.feed([(1, 1050, 1.0)])
    assert pair.clock(1061) == [("stale", 0, True, 1061, None)]
    assert pair.state.stale_open.tolist() == [True, False, False]
    assert pair.clock(1070) == []  # one alarm per episode
    assert pair.feed([(0, 1075, 2.0)]) == [("stale", 0, False, 1075, 2.0)]


def test_never_heard_sensors_count_from_state_creation() -> None:
    pair = Pair(sensor_table({"kind": "co", "stale": 60}, {"kind": "co", "stale": 60}), mine_table(), created=5000)
    pair.feed([(0, 5050, 1.0)])
    assert pair.clock(5060) == []
    assert pair.clock(5061) == [("stale", 1, True, 5061, None)]


def test_comm_loss_inhibits_stale_alarms_and_closes_on_data() -> None:
    sensors = sensor_table({"kind": "co", "stale": 60}, {"kind": "co", "stale": 120},
                           {"kind": "co", "stale": 60, "mine": 1})
    pair = Pair(sensors, mine_table({}, {}), created=0)
    pair.feed([(0, 0, 1.0), (1, 0, 1.0), (2, 0, 1.0)])
    # Sensor 0 stale (mine 0 still hears sensor 1); mine 1 entirely stale: comm_loss, no stale alarm.
    assert pair.clock(61) == [("stale", 0, True, 61, None), ("comm_loss", -1, True, 61, None)]
    assert pair.state.comm_open.tolist() == [False, True] and not pair.state.stale_open[2]
    # Now mine 0 is all stale: comm_loss; sensor 1 gets no stale alarm, sensor 0's stays open.
    assert pair.clock(121) == [("comm_loss", -1, True, 121, None)]
    assert pair.state.stale_open.tolist() == [True, False, False]
    assert pair.clock(200) == []
    ev = E.check_clock(sensors, pair.mines, pair.state.copy(), 61)[1]  # back in time: mine 0 no longer all stale
    assert [(E.ALARM_NAMES[k], m, o) for k, m, o in zip(ev.kind, ev.mine.tolist(), ev.opened.tolist(), strict=True)
            ] == [("comm_loss", 0, False)] and np.isnan(ev.threshold).all()
    # Data returns from sensor 1 (out of order in the batch): comm_loss closes at its earliest reading.
    assert pair.feed([(1, 150, 1.0), (1, 140, 2.0)]) == [("comm_loss", -1, False, 140, 2.0)]
    assert pair.clock(160) == []  # sensor 0 already has its stale alarm; mine 1 still lost
    assert pair.feed([(0, 170, 1.0)]) == [("stale", 0, False, 170, 1.0)]
    assert pair.feed([(2, 171, 1.0)]) == [("comm_loss", -1, False, 171, 1.0)]
    # 231: sensor 0 silent 61 s (> 60) while sensor 1 is fresh (81 s ≤ 120): a per-sensor alarm.
    assert pair.clock(231) == [("stale", 0, True, 231, None)]


# --- batches ------------------------------------------------------------------------------------


def random_tables(rng: np.random.Generator, *, sparse: bool = False) -> tuple[SensorTable, MineTable]:
    """Small random sensor and mine tables; levels on a 0.5 grid so readings hit them exactly."""
    grid = np.arange(0, 4.01, 0.5)
    n_mines = int(rng.integers(1, 6))
    n = int(rng.integers(4, 40))
    names = ("ch4", "ch4", "ch4", "feed", "feed", "headcount", "electricity", "o2", "co")
    kind = np.array([E.KIND_CODES[k] for k in rng.choice(names, n)], np.int16)

    def level(p_unset: float) -> np.ndarray:
        x = rng.choice(grid, n) + (2.0 if sparse else 0.0)
        x[rng.random(n) < p_unset] = nan
        return x

    feeds = np.flatnonzero(kind == E.KIND_CODES["feed"])
    feed = np.full(n, -1, np.int64)
    for i in range(n):
        r = rng.random()
        if r < 0.6 and len(feeds):
            feed[i] = rng.choice(feeds)
        elif r < 0.7:
            feed[i] = rng.integers(0, n)  # odd links too: to itself, to a gas or headcount sensor
    sensors = SensorTable(
        ids=np.arange(n, dtype=np.int64), mine=rng.integers(0, n_mines, n).astype(np.int64), kind=kind,
        alarm_high=level(0.3), alarm_low=level(0.6) - (4.0 if sparse else 0.0), cut_high=level(0.4),
        restore_high=level(0.5), min_duration=rng.choice([0, 0, 5, 20], n), repeat_count=rng.choice([0, 1, 2, 3], n),
        repeat_window=rng.choice([0, 10, 50], n), feed=feed, stale_after=rng.choice([10, 30, 100], n))
    cap = rng.choice(grid * 2, n_mines)
    cap[rng.random(n_mines) < 0.3] = nan
    idle = rng.choice(grid, n_mines)
    idle[rng.random(n_mines) < 0.4] = nan
    mines = MineTable(ids=np.arange(n_mines, dtype=np.int64), headcount_cap=cap, halted=rng.random(n_mines) < 0.5,
                      idle_power=idle)
    return sensors, mines


def random_stream(rng: np.random.Generator, sensors: SensorTable, n: int, *, span: int = 400,
                  jitter: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = np.arange(0, 4.01, 0.5)
    sensor = rng.integers(0, len(sensors.ids), n)
    ts = np.sort(rng.integers(0, span, n))
    if jitter:  # some readings arrive late, some twice
        ts = ts + rng.integers(-8, 3, n) * (rng.random(n) < 0.2)
    value = rng.choice(grid, n)
    kind = sensors.kind[sensor]
    value = np.where(kind == E.KIND_CODES["feed"], rng.integers(0, 2, n).astype(float), value)
    value = np.where(kind == E.KIND_CODES["headcount"], rng.integers(0, 8, n).astype(float), value)
    value[rng.random(n) < 0.01] = nan
    return sensor.astype(np.int64), ts.astype(np.int64), value


@pytest.mark.parametrize("seed", range(40))
def test_engine_equals_naive_on_random_streams(seed: int) -> None:
    """Random sensor tables, random streams (late, duplicate, NaN readings) in random batch sizes,
    the clock in between, and now and then new tables (changed levels, caps, halt status): the
    engine's events and state equal the per-reading loop's, every step."""
    rng = np.random.default_rng(seed)
    sensors, mines = random_tables(rng, sparse=seed % 3 == 2)
    pair = Pair(sensors, mines)
    sensor, ts, value = random_stream(rng, sensors, int(rng.integers(50, 1500)))
    i = 0
    while i < len(sensor):
        k = int(rng.integers(1, 120))
        pair.arrays(sensor[i:i + k], ts[i:i + k], value[i:i + k])
        i += k
        if rng.random() < 0.3:
            pair.clock(int(ts[min(i, len(ts) - 1)] + rng.integers(0, 120)))
        if rng.random() < 0.05:  # thresholds or mine status edited: new tables, same state
            other_s, other_m = random_tables(np.random.default_rng(seed + 1000 + i))
            if len(other_s.ids) >= len(sensors.ids) and len(other_m.ids) >= len(mines.ids):
                n, m = len(sensors.ids), len(mines.ids)
                pair.sensors = SensorTable(**{
                    f: getattr(other_s, f)[:n] if f in ("alarm_high", "alarm_low", "cut_high", "restore_high",
                                                        "min_duration") else getattr(sensors, f)
                    for f in ("ids", "mine", "kind", "alarm_high", "alarm_low", "cut_high", "restore_high",
                              "min_duration", "repeat_count", "repeat_window", "feed", "stale_after")})
                pair.mines = MineTable(ids=mines.ids, headcount_cap=other_m.headcount_cap[:m],
                                       halted=other_m.halted[:m], idle_power=other_m.idle_power[:m])


@pytest.mark.parametrize("seed", range(6))
def test_many_readings_per_sensor_in_one_batch(seed: int) -> None:
    """A few sensors, thousands of readings per batch (the path for repeated sensors)."""
    rng = np.random.default_rng(100 + seed)
    sensors, mines = random_tables(rng, sparse=bool(seed % 2))
    pair = Pair(sensors, mines)
    sensor, ts, value = random_stream(rng, sensors, 6000, span=3000)
    for i in range(0, 6000, 2000):
        pair.arrays(sensor[i:i + 2000], ts[i:i + 2000], value[i:i + 2000])


@pytest.mark.parametrize("seed", range(3))
def test_large_sensor_table(seed: int) -> None:
    """More than 65,536 sensors: rows are grouped by blocks of sensors rather than sorted by sensor,
    and the last-reading bookkeeping meets repeated sensors in any order."""
    rng = np.random.default_rng(300 + seed)
    small, mines = random_tables(rng, sparse=bool(seed % 2))
    n = 70_000
    spread = np.sort(rng.choice(n, len(small.ids), replace=False))  # the small table's sensors, spread out
    full = {f: np.zeros(n, getattr(small, f).dtype) for f in ("ids", "mine", "kind", "min_duration",
                                                             "repeat_count", "repeat_window", "feed", "stale_after")}
    full |= {f: np.full(n, nan) for f in ("alarm_high", "alarm_low", "cut_high", "restore_high")}
    full["feed"][:] = -1
    full["kind"][:] = E.KIND_CODES["temperature"]
    full["stale_after"][:] = 10**9
    for f, column in full.items():
        column[spread] = getattr(small, f)
    full["feed"][spread] = np.where(small.feed >= 0, spread[np.maximum(small.feed, 0)], -1)
    full["ids"] = np.arange(n, dtype=np.int64)
    sensors = SensorTable(**full)
    pair = Pair(sensors, mines)
    sensor, ts, value = random_stream(rng, small, 4000, span=600)
    sensor = spread[sensor]
    for i in range(0, 4000, 1000):
        pair.arrays(sensor[i:i + 1000], ts[i:i + 1000], value[i:i + 1000])
        pair.clock(int(ts[min(i + 999, 3999)]) + 30)


@pytest.mark.parametrize("seed", range(10))
def test_time_ordered_stream_gives_the_same_events_in_any_batches(seed: int) -> None:
    """Split between timestamps, a time-ordered stream gives the events of one batch: durations,
    repeat histories, gas grace and mine-level states carry across batches."""
    rng = np.random.default_rng(200 + seed)
    sensors, mines = random_tables(rng)
    sensor, ts, value = random_stream(rng, sensors, 800, jitter=False)
    whole = Pair(sensors, mines)
    expected = whole.arrays(sensor, ts, value)
    assert expected  # the stream raises alarms
    cuts = np.flatnonzero(np.diff(ts)) + 1
    bounds = np.unique(np.concatenate(([0], rng.choice(cuts, size=min(12, len(cuts)), replace=False), [len(ts)])))
    split = Pair(sensors, mines)
    got = []
    for a, b in itertools.pairwise(bounds):
        got += split.arrays(sensor[a:b], ts[a:b], value[a:b])
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    for name in STATE_FIELDS:
        assert np.array_equal(getattr(whole.state, name), getattr(split.state, name), equal_nan=True), name


def test_state_edited_by_hand_then_refreshed() -> None:
    """The worker rebuilds a state from the database (open alarms, last readings) and calls refresh()."""
    sensors = sensor_table({"kind": "co", "alarm_high": 24.0}, {"kind": "co", "alarm_high": 24.0})
    mines = mine_table()
    state = EngineState.empty(2, 1, created=0)
    E.evaluate(sensors, mines, state, np.array([0, 1]), np.array([0, 0]), np.array([1.0, 1.0]))
    state.high_open[1] = True
    state.high_since[1] = 0
    state.refresh()
    _, ev = E.evaluate(sensors, mines, state, np.array([0, 1]), np.array([30, 30]), np.array([2.0, 3.0]))
    assert ev.rows() == [("high", 1, 0, False, 30, 3.0, 24.0)]


def test_empty_batch_and_argument_checks() -> None:
    sensors, mines = sensor_table({"kind": "co"}), mine_table()
    state = EngineState.empty(1, 1)
    state2, ev = E.evaluate(sensors, mines, state, np.array([], np.int64), np.array([], np.int64), np.array([]))
    assert state2 is state and len(ev) == 0
    with pytest.raises(ValueError, match="same length"):
        E.evaluate(sensors, mines, state, np.array([0]), np.array([1, 2]), np.array([1.0]))
