"""Falsification detectors: each on a minimal positive and on an honest confounder that looks alike,
explanations with their numbers, and precision / recall floors on held-out simulated seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minesafe.monitoring import falsification as F
from minesafe.monitoring import simulator as sim

START = 1740758400  # 2025-03-01 00:00 China Standard Time
HOUR, DAY, STEP = 3600, 86400, 10


def _grid(hours: float) -> np.ndarray:
    return START + STEP * np.arange(int(hours * HOUR) // STEP, dtype=np.int64)


def _noisy(rng: np.random.Generator, level: np.ndarray, sigma: float, q: float = 0.01) -> np.ndarray:
    return np.round(np.round((level + sigma * rng.standard_normal(level.shape)) / q) * q, 6)


def _ch4(code: str, group: str = "1301", location: str = "face_return", **kw: float | str) -> F.SensorMeta:
    return F.SensorMeta(code=code, kind="ch4", location=location, group=group, place=f"{code}处",
                        resolution=0.01, **kw)  # type: ignore[arg-type]


def _only(flags: list[F.Flag], pattern: str) -> list[F.Flag]:
    return [f for f in flags if f.pattern == pattern]


# --------------------------------------------------------------------------- flat_line


def _flat_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ts = _grid(12)
    hours = (ts - START) / HOUR
    level = 0.3 + 0.1 * np.sin(hours / 2)
    values = np.stack([_noisy(rng, level * k, 0.008) for k in (1.0, 1.1, 0.9)])
    return ts, values


def test_flat_line_positive_with_numbers() -> None:
    ts, values = _flat_case(np.random.default_rng(1))
    values[0, 4 * 360:8 * 360] = 0.25
    st = F.Streams(tuple(_ch4(c) for c in ("A", "B", "C")), ts, values)
    flags = F.detect_flat_line(st)
    assert [f.sensor_code for f in flags] == ["A"]
    f = flags[0]
    assert abs(f.window_start - (START + 4 * HOUR)) <= 1800 and abs(f.window_end - (START + 8 * HOUR)) <= 1800
    assert "4.0 小时" in f.explanation and "同类传感器中位数" in f.explanation and "0.25%" in f.explanation
    assert f.evidence["roughness"] < 1e-4 and f.evidence["hours"] >= 3.5 and 0 < f.score <= 1
    assert f.evidence["max"] == 0.25


def test_flat_line_negative_quiet_shift_and_fresh_air() -> None:
    rng = np.random.default_rng(2)
    ts = _grid(12)
    quiet = np.full(len(ts), 0.12)
    values = np.stack([_noisy(rng, quiet, 0.006), _noisy(rng, quiet, 0.007),
                       np.maximum(_noisy(rng, np.full(len(ts), 0.003), 0.004), 0.0)])  # fresh air: mostly 0.00
    st = F.Streams((_ch4("A"), _ch4("B"), _ch4("T3", location="face_intake")), ts, values)
    assert F.detect_flat_line(st) == []


def test_flat_line_ignores_what_the_system_marks_as_faulty() -> None:
    ts, values = _flat_case(np.random.default_rng(3))
    values[0, 4 * 360:8 * 360] = 0.25
    status = np.zeros(values.shape, np.int32)
    status[0, 4 * 360:8 * 360] = 128  # 传感器故障: the system says so itself
    st = F.Streams(tuple(_ch4(c) for c in ("A", "B", "C")), ts, values, status)
    assert F.detect_flat_line(st) == []


# --------------------------------------------------------------------------- clipped


def _bump(peak: float, clip: float | None, seed: int) -> F.Streams:
    rng = np.random.default_rng(seed)
    ts = _grid(12)
    hours = (ts - START) / HOUR
    true = 0.35 + (peak - 0.35) * np.exp(-(((hours - 6) / 1.5) ** 2))
    x = _noisy(rng, true, 0.01)
    if clip is not None:
        x = np.minimum(x, clip)
    meta = _ch4("T2", alarm_high=1.0, cut_high=1.0, restore_high=1.0)
    return F.Streams((meta,), ts, x[None, :])


def test_clipped_positive() -> None:
    flags = F.detect_clipped(_bump(1.4, 0.97, seed=4))
    assert len(flags) == 1
    f = flags[0]
    assert f.sensor_code == "T2" and f.evidence["ceiling"] == pytest.approx(0.97)
    assert "0.97%" in f.explanation and "1.00%" in f.explanation and "从未达到报警值" in f.explanation
    assert START + 4 * HOUR < f.window_start < START + 6 * HOUR < f.window_end < START + 8 * HOUR


@pytest.mark.parametrize("peak", [0.93, 1.4])
def test_clipped_negative_smooth_peak_under_or_over_the_alarm(peak: float) -> None:
    assert F.detect_clipped(_bump(peak, None, seed=5)) == []


def test_clipped_wins_over_flat_line_for_the_same_window() -> None:
    rng = np.random.default_rng(6)
    ts = _grid(12)
    hours = (ts - START) / HOUR
    true = 0.35 + 1.0 * np.exp(-(((hours - 6) / 2.0) ** 2))
    meta = [_ch4(c, alarm_high=1.0, cut_high=1.0, restore_high=1.0) for c in ("T1", "T2", "T0")]
    values = np.stack([_noisy(rng, true * k, 0.01) for k in (1.0, 0.95, 1.2)])
    values[1] = np.minimum(values[1], 0.96)
    flags = F.detect_all(F.Streams(tuple(meta), ts, values))
    on_t2 = [f for f in flags if f.sensor_code == "T2"]
    assert [f.pattern for f in on_t2] == ["clipped"]


# --------------------------------------------------------------------------- missing_cut


def _cut_case(feed_drops: bool, calibrating: bool = False, feed_missing: bool = False) -> F.Streams:
    ts = _grid(1)
    ch4 = np.full(len(ts), 0.4)
    ch4[100:112] = 1.62  # two minutes at or above the cut level
    feed = np.ones(len(ts))
    if feed_drops:
        feed[101:140] = 0.0  # opened within 2 s of the first reading at 1.62 %
    if feed_missing:
        feed[95:120] = np.nan
    status = np.zeros((2, len(ts)), np.int32)
    if calibrating:
        status[0, 95:120] = 4
    meta = (_ch4("T1", location="coal_face", alarm_high=1.0, cut_high=1.5, restore_high=1.0, feed="FD"),
            F.SensorMeta("FD", "feed", "coal_face", "1301"))
    return F.Streams(meta, ts, np.stack([ch4, feed]), status)


def test_missing_cut_positive() -> None:
    flags = F.detect_missing_cut(_cut_case(feed_drops=False))
    assert len(flags) == 1
    f = flags[0]
    assert f.sensor_code == "T1" and f.evidence["readings_over"] == 12 and f.evidence["feed_sensor"] == "FD"
    assert "1.62%" in f.explanation and "1.50%" in f.explanation and "2 秒" in f.explanation


@pytest.mark.parametrize("case", [{"feed_drops": True}, {"feed_drops": False, "calibrating": True},
                                  {"feed_drops": False, "feed_missing": True}])
def test_missing_cut_negative_interlock_works_calibration_or_no_feed_data(case: dict[str, bool]) -> None:
    assert F.detect_missing_cut(_cut_case(**case)) == []


# --------------------------------------------------------------------------- replay


def _winds(seed: int) -> tuple[np.ndarray, np.ndarray, tuple[F.SensorMeta, ...]]:
    rng = np.random.default_rng(seed)
    ts = _grid(48)
    values = np.stack([_noisy(rng, np.full(len(ts), v), 0.03) for v in (1.2, 1.5)])
    meta = (F.SensorMeta("WS-A", "wind_speed", "face_return", "1301", resolution=0.01),
            F.SensorMeta("WS-B", "wind_speed", "face_return", "1302", resolution=0.01))
    return ts, values, meta


def test_replay_of_another_sensors_yesterday() -> None:
    ts, values, meta = _winds(7)
    a, b = 34 * 360, 36 * 360  # day 2, 10:00–12:00
    values[1, a:b] = values[0, a - 8640:b - 8640] + 0.3  # yesterday's data of WS-A, shifted to WS-B's level
    flags = F.detect_replay(F.Streams(meta, ts, values))
    assert len(flags) == 1
    f = flags[0]
    assert f.sensor_code == "WS-B" and f.evidence["source"] == "WS-A" and f.evidence["lag_s"] == DAY
    assert f.evidence["offset"] == pytest.approx(0.3)
    assert abs(f.window_start - int(ts[a])) <= 600 and abs(f.window_end - int(ts[b - 1])) <= 600
    assert "1 天前同一时段" in f.explanation and "+0.3" in f.explanation


def test_replay_of_the_same_sensors_yesterday() -> None:
    ts, values, meta = _winds(8)
    a, b = 30 * 360, 33 * 360
    values[0, a:b] = values[0, a - 8640:b - 8640]
    flags = F.detect_replay(F.Streams(meta, ts, values))
    assert [(f.sensor_code, f.evidence["source"], f.evidence["lag_s"]) for f in flags] == [("WS-A", "WS-A", DAY)]


def test_replay_negative_honest_noise_and_flat_stretches() -> None:
    ts, values, meta = _winds(9)
    values[0, 1000:2000] = 1.2  # flat stretches in both sensors are no copies
    values[1, 5000:6000] = 1.2
    assert F.detect_replay(F.Streams(meta, ts, values)) == []


# --------------------------------------------------------------------------- level_shift / gas_airflow


@pytest.fixture(scope="module")
def two_faces() -> sim.MineProfile:
    return sim.coal_mine("检测矿", "high", faces=2, headings=1, maintenance_shift=1)


def _run(profile: sim.MineProfile, events: list[sim.Event], seed: int) -> tuple[sim.SimResult, list[F.Flag]]:
    res = sim.simulate(profile, START, 2 * DAY, STEP, seed, events)
    return res, F.detect_all(res.streams())


def test_level_shift_positive(two_faces: sim.MineProfile) -> None:
    t = START + 18 * HOUR  # production shift
    _res, flags = _run(two_faces, [sim.Event(sim.FALSIFY_SHIFT, t, t + 8 * HOUR, ("1301-T2",), {"factor": 0.45})],
                      seed=31)
    shift = _only(flags, "level_shift")
    assert [f.sensor_code for f in shift] == ["1301-T2"]
    f = shift[0]
    assert t - 1800 <= f.window_start <= t + 1800 and f.window_end > t + 4 * HOUR
    assert f.evidence["factor"] < 0.75 and set(f.evidence["references"]) == {"1301-T1", "1301-T0"}
    assert "应为约" in f.explanation and "%" in f.explanation


def test_level_shift_negative_ventilation_changes_and_calibrations(two_faces: sim.MineProfile) -> None:
    t = START + 18 * HOUR
    events = [sim.Event(sim.VENT_CHANGE, t, t + 10 * HOUR, params={"group": "1301", "factor": 1.4}),
              sim.Event(sim.VENT_CHANGE, t + 20 * HOUR, t + 26 * HOUR, params={"group": "1302", "factor": 0.7}),
              sim.Event(sim.CALIBRATION, t + 2 * HOUR, t + 2 * HOUR + 600, ("1301-T2",)),
              sim.Event(sim.CALIBRATION, t + 12 * HOUR, t + 12 * HOUR + 600, ("1302-T1", "TR-CH4"))]
    _res, flags = _run(two_faces, events, seed=32)
    assert _only(flags, "level_shift") == []


def test_gas_airflow_positive(two_faces: sim.MineProfile) -> None:
    t = START + 17 * HOUR
    ev = [sim.Event(sim.FALSIFY_GAS_AIRFLOW, t, t + 3 * HOUR, params={"group": "1301", "factor": 0.55,
                                                                    "lowered": 0.95})]
    _res, flags = _run(two_faces, ev, seed=33)
    found = _only(flags, "gas_airflow")
    assert [f.sensor_code for f in found] == ["1301-T2"]
    f = found[0]
    assert abs(f.window_start - t) <= 1800 and f.evidence["wind_after"] < 0.7 * f.evidence["wind_before"]
    assert f.evidence["ch4_after"] < f.evidence["ch4_expected"]
    assert "m/s" in f.explanation and "kW" in f.explanation and "涌出量" in f.explanation


def test_gas_airflow_negative_real_airflow_drops_in_production(two_faces: sim.MineProfile) -> None:
    """Twelve honest airflow drops (CH₄ rises as it must) in production shifts, on six seeds: the
    per-area cutting cycles, which mine electricity cannot separate, make the odd one look short of
    gas (about one in twenty on the training seeds), so at most one may be flagged."""
    t = START + 17 * HOUR
    ev = [sim.Event(sim.VENT_CHANGE, t, t + 3 * HOUR, params={"group": "1301", "factor": 0.6}),
          sim.Event(sim.VENT_CHANGE, t + 24 * HOUR, t + 27 * HOUR, params={"group": "1302", "factor": 0.65})]
    flagged = sum(len(_only(_run(two_faces, ev, seed)[1], "gas_airflow")) for seed in range(34, 40))
    assert flagged <= 1


def test_honest_mine_raises_no_flags(two_faces: sim.MineProfile) -> None:
    confounders = sim.random_events(two_faces, START, 2 * DAY, seed=35, falsify=False)
    assert {e.kind for e in confounders} >= {sim.GAS_NEAR_ALARM, sim.GAS_EXCEEDANCE, sim.VENT_CHANGE}
    _res, flags = _run(two_faces, confounders, seed=35)
    assert flags == []


# --------------------------------------------------------------------------- streams and evaluation


def test_streams_from_readings_puts_late_and_duplicate_readings_on_the_grid() -> None:
    metas = (_ch4("A"), _ch4("B"))
    sensor = np.array([0, 1, 0, 0, 1])
    ts = np.array([START + 25, START + 3, START + 5, START + 9, START + 31])  # out of order
    value = np.array([0.5, 0.2, 0.1, 0.15, 0.3])
    st = F.Streams.from_readings(metas, sensor, ts, value, step=10, start=START, end=START + 40)
    assert list(st.ts) == [START, START + 10, START + 20, START + 30]
    np.testing.assert_array_equal(st.values[0], [0.15, np.nan, 0.5, np.nan])  # last reading in a cell wins
    np.testing.assert_array_equal(st.values[1], [0.2, np.nan, np.nan, 0.3])
    assert st.step == 10 and st.index("B") == 1


def test_explanations_are_chinese_with_local_times() -> None:
    f = F.detect_flat_line(F.Streams((_ch4("A"), _ch4("B")), *_flat_with_gap()))[0]
    assert "03-01 04:00" in f.explanation  # China Standard Time
    assert any("\u4e00" <= ch <= "\u9fff" for ch in f.explanation)
    assert not math.isnan(f.score)


def _flat_with_gap() -> tuple[np.ndarray, np.ndarray]:
    ts, values = _flat_case(np.random.default_rng(10))
    values = values[:2]
    values[0, 4 * 360:7 * 360] = 0.3
    return ts, values


# Held-out seeds (the parameters were tuned on seeds 0–19). Measured on them: flat_line, clipped, replay
# and missing_cut 1.00 / 1.00; level_shift precision 0.92, recall 0.96; gas_airflow 1.00 / 0.88. The floors
# sit a little under, so that a detector that regresses fails the test.
HELD_OUT = [1000, 1001, 1002]
FLOORS = {  # pattern: (precision, recall)
    "flat_line": (0.95, 0.95),
    "clipped": (0.95, 0.95),
    "level_shift": (0.85, 0.88),
    "replay": (0.95, 0.95),
    "gas_airflow": (0.9, 0.8),
    "missing_cut": (0.95, 0.95),
}


def test_evaluation_on_held_out_seeds() -> None:
    scores = F.evaluate(HELD_OUT)
    assert set(scores) == set(F.PATTERNS)
    for pattern, (p_floor, r_floor) in FLOORS.items():
        s = scores[pattern]
        assert s.tp + s.fn >= 5, pattern  # enough events to mean something
        assert s.precision >= p_floor and s.recall >= r_floor, (pattern, s)


def test_command_prints_the_table() -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("falsification_eval", "--seeds", "1000", "--days", "1", stdout=out)
    text = out.getvalue()
    assert "seeds 1000-1000 (1 × 5 mines × 1 days)" in text
    for pattern in F.PATTERNS:
        assert any(line.startswith(pattern) for line in text.splitlines()), pattern
    with pytest.raises(CommandError, match="bad --seeds"):
        call_command("falsification_eval", "--seeds", "a-b", stdout=StringIO())
