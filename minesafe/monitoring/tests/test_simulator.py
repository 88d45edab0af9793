"""The monitoring simulator: deterministic per seed, physically linked streams (shifts, CH₄ = emission /
airflow, the methane-power interlock), faults and calibrations marked as the system marks them, and
every injected falsification labelled exactly where it changed the data."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from minesafe.monitoring import simulator as sim

DAY = 86400
START = 1740758400  # 2025-03-01 00:00 China Standard Time
HOUR = 3600


def _at(res: sim.SimResult, code: str) -> np.ndarray:
    return res.values[res.codes.index(code)]


def _window(res: sim.SimResult, a_h: float, b_h: float) -> slice:
    step = int(res.ts[1] - res.ts[0])
    return slice(int(a_h * HOUR) // step, int(b_h * HOUR) // step)


@pytest.fixture(scope="module")
def mine() -> sim.MineProfile:
    return sim.coal_mine("测试矿", "high", faces=1, headings=1, maintenance_shift=1)


def test_same_seed_same_streams_other_seed_other_streams(mine: sim.MineProfile) -> None:
    events = sim.random_events(mine, START, DAY, seed=3)
    a = sim.simulate(mine, START, DAY, 10, seed=3, events=events)
    b = sim.simulate(mine, START, DAY, 10, seed=3, events=events)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.status, b.status)
    assert a.labels == b.labels
    c = sim.simulate(mine, START, DAY, 10, seed=4, events=events)
    assert not np.array_equal(np.nan_to_num(a.values), np.nan_to_num(c.values))
    assert a.values.shape == (len(mine.sensors), DAY // 10)
    assert (np.diff(a.ts) == 10).all() and a.ts[0] == START


def test_shifts_drive_gas_people_and_power(mine: sim.MineProfile) -> None:
    res = sim.simulate(mine, START, 2 * DAY, 10, seed=1)
    local_h = ((res.ts + 8 * HOUR) % DAY) / HOUR
    maintenance = (local_h >= 9) & (local_h < 15)  # 08–16 is the maintenance shift; skip the hand-overs
    production = ((local_h >= 1) & (local_h < 7)) | ((local_h >= 17) & (local_h < 23))
    for code, factor in (("1301-T2", 1.5), ("KW", 1.2), ("HC", 1.2)):
        x = _at(res, code)
        assert np.nanmean(x[production]) > factor * np.nanmean(x[maintenance]), code
    # airflow is the same in both: the ventilation does not follow the shifts
    ws = _at(res, "1301-WS")
    assert abs(np.nanmean(ws[production]) / np.nanmean(ws[maintenance]) - 1) < 0.03
    # CH₄ and electricity rise and fall together over the day (hourly means)
    hourly = lambda x: np.nanmean(x[: len(x) // 360 * 360].reshape(-1, 360), axis=1)  # noqa: E731
    assert np.corrcoef(hourly(_at(res, "1301-T2")), hourly(_at(res, "KW")))[0, 1] > 0.6


def test_ch4_is_emission_over_airflow(mine: sim.MineProfile) -> None:
    """A ventilation change at 10:00 in the maintenance shift (steady emission): wind speed up 40 %,
    CH₄ down by about the same factor, their product (∝ emission) unchanged."""
    t = START + 10 * HOUR
    ev = [sim.Event(sim.VENT_CHANGE, t, t + 4 * HOUR, params={"group": "1301", "factor": 1.4})]
    res = sim.simulate(mine, START, DAY, 10, seed=2, events=ev)
    before, after = _window(res, 9, 9.95), _window(res, 10.1, 11)
    v, c = _at(res, "1301-WS"), _at(res, "1301-T2")
    v_ratio = np.nanmean(v[after]) / np.nanmean(v[before])
    c_ratio = np.nanmean(c[after]) / np.nanmean(c[before])
    assert 1.33 < v_ratio < 1.47
    assert c_ratio < 0.85
    assert 0.85 < v_ratio * c_ratio < 1.15
    assert any(lb.kind == sim.VENT_CHANGE and "1301-T2" in lb.sensors for lb in res.labels)


def _exceedance(mine: sim.MineProfile, kind: str, seed: int) -> tuple[sim.SimResult, np.ndarray, np.ndarray]:
    t = START + 18 * HOUR  # production shift (16–24)
    ev = [sim.Event(kind, t, t + 20 * 60, params={"group": "1301", "peak": 2.0, "rise": 180.0})]
    res = sim.simulate(mine, START, DAY, 10, seed=seed, events=ev)
    i = res.codes.index("1301-T2")
    episode = (res.ts >= t) & (res.ts <= t + HOUR)
    over = episode & (res.values[i] >= 1.0) & ((res.status[i] & 4) == 0)
    return res, over, _at(res, "1301-FD")


def test_interlock_cuts_power_within_one_reading(mine: sim.MineProfile) -> None:
    res, over, feed = _exceedance(mine, sim.GAS_EXCEEDANCE, seed=5)
    k = np.nonzero(over)[0]
    assert len(k) > 10
    later = feed[np.minimum(k + 1, len(feed) - 1)]
    assert np.all((later == 0) | np.isnan(later))  # the switch opened within 2 s: the next feed reading is 0
    label = next(lb for lb in res.labels if lb.kind == sim.GAS_EXCEEDANCE)
    assert "1301-T2" in label.sensors and label.start <= res.ts[k[0]] <= label.end
    assert label.pattern is None  # a real exceedance is not a falsification
    i = res.codes.index("1301-T2")
    assert ((res.status[i][k] & 2) != 0).all()  # the point reports 断电


def test_missing_cut_keeps_the_power_on(mine: sim.MineProfile) -> None:
    res, over, feed = _exceedance(mine, sim.FALSIFY_MISSING_CUT, seed=5)
    k = np.nonzero(over)[0]
    assert len(k) > 10
    later = feed[np.minimum(k + 1, len(feed) - 1)]
    assert np.nanmin(later) == 1.0
    label = next(lb for lb in res.labels if lb.kind == sim.FALSIFY_MISSING_CUT)
    assert label.pattern == "missing_cut" and "1301-FD" in label.sensors and "1301-T2" in label.sensors


def test_calibration_stuck_sensor_and_dropouts_are_marked(mine: sim.MineProfile) -> None:
    t = START + 3 * HOUR
    ev = [sim.Event(sim.CALIBRATION, t, t + 600, ("1301-T1",)),
          sim.Event(sim.SENSOR_STUCK, t, t + 2 * HOUR, ("1301-CO",))]
    res = sim.simulate(mine, START, DAY, 10, seed=6, events=ev)
    i = res.codes.index("1301-T1")
    cal = (res.status[i] & 4) != 0
    assert cal.any() and np.nanmax(res.values[i][cal]) >= 1.0  # span gas at or above the alarm level
    j = res.codes.index("1301-CO")
    stuck = _window(res, 3.05, 4.95)
    assert ((res.status[j][stuck] & 128) != 0).all()
    assert np.nanstd(res.values[j][stuck]) == 0
    assert np.isnan(res.values).any()  # dropouts: readings that never arrived
    assert {lb.kind for lb in res.labels} >= {sim.CALIBRATION, sim.SENSOR_STUCK}


def test_hidden_operation_of_a_halted_mine() -> None:
    halted = sim.coal_mine("停产矿", "high", faces=1, headings=1, halted=True)
    t = START + 22 * HOUR
    res = sim.simulate(halted, START, 2 * DAY, 10, seed=7, events=[sim.Event(sim.HIDDEN_OPERATION, t, t + 5 * HOUR)])
    kw, hc = _at(res, "KW"), _at(res, "HC")
    inside, outside = _window(res, 23, 26.5), _window(res, 30, 46)
    assert np.nanmean(kw[inside]) > res.idle_power > np.nanquantile(kw[outside], 0.99)
    assert np.nanmin(hc[inside]) > 0 and np.nanmax(hc[outside]) == 0
    assert np.nanmax(hc[_window(res, 0, 21)]) == 0
    label = next(lb for lb in res.labels if lb.kind == sim.HIDDEN_OPERATION)
    assert set(label.sensors) == {"KW", "HC"}


@pytest.mark.parametrize("seed", [11, 12])
def test_falsifications_are_labelled_where_they_change_the_data(seed: int) -> None:
    prof = sim.coal_mine("标注矿", "outburst", faces=2, headings=1)
    events = sim.random_events(prof, START, 2 * DAY, seed)
    res = sim.simulate(prof, START, 2 * DAY, 10, seed, events)
    fakes = [lb for lb in res.labels if lb.pattern]
    assert {lb.pattern for lb in fakes} >= {"flat_line", "level_shift", "replay", "missing_cut"}
    changed = ~np.isnan(res.values) & (res.values != res.truth)
    feed_rows = [k for k, s in enumerate(prof.sensors) if s.kind == "feed"]
    changed[feed_rows] = False  # the feed is the interlock's output, not a measurement
    covered = np.zeros_like(changed)
    for lb in fakes:
        lo, hi = np.searchsorted(res.ts, lb.start), np.searchsorted(res.ts, lb.end, side="right")
        for code in lb.sensors:
            covered[res.codes.index(code), lo:hi] = True
    assert changed.any()
    assert not (changed & ~covered).any()


def test_random_events_keep_areas_apart() -> None:
    prof = sim.coal_mine("排程矿", "high", faces=2, headings=1)
    events = sim.random_events(prof, START, 3 * DAY, seed=21)
    kinds = {e.kind for e in events}
    assert kinds >= {sim.FALSIFY_FLAT, sim.FALSIFY_SHIFT, sim.FALSIFY_REPLAY, sim.FALSIFY_CLIP,
                     sim.FALSIFY_MISSING_CUT, sim.FALSIFY_GAS_AIRFLOW, sim.GAS_NEAR_ALARM, sim.VENT_CHANGE}
    assert all(START <= e.start < e.end <= START + 3 * DAY for e in events)
    groups: dict[str, list[tuple[int, int]]] = {}
    for e in events:
        if e.kind in (sim.VENT_CHANGE, sim.FALSIFY_REPLAY):
            continue
        g = e.params.get("group") or prof.spec(e.sensors[0]).group
        groups.setdefault(g, []).append((e.start, e.end))
    for spans in groups.values():
        spans.sort()
        assert all(b[0] - a[1] >= 2 * HOUR for a, b in itertools.pairwise(spans))


def test_long_form_readings_skip_gaps_in_time_order(mine: sim.MineProfile) -> None:
    res = sim.simulate(mine, START, 6 * HOUR, 10, seed=8)
    _s, ts, v, _st = res.readings()
    assert len(v) == int((~np.isnan(res.values)).sum())
    assert not np.isnan(v).any() and (np.diff(ts) >= 0).all()
    code, t0, value, status = next(res.iter_readings())
    assert code in res.codes and t0 == START and not math.isnan(value) and status >= 0


def test_tailings_pond_rain_raises_the_pond() -> None:
    pond = sim.tailings_pond()
    t = START + 6 * HOUR
    rain = sim.Event(sim.RAIN, t, t + 4 * HOUR, params={"rise": 0.6})
    res = sim.simulate(pond, START, DAY, 10, seed=9, events=[rain])
    wl, beach = _at(res, "WL"), _at(res, "DB")
    before, after = _window(res, 3, 5.5), _window(res, 10, 12)
    assert np.nanmean(wl[after]) - np.nanmean(wl[before]) > 0.3
    assert np.nanmean(beach[after]) < np.nanmean(beach[before])


def test_bad_events_are_refused(mine: sim.MineProfile) -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        sim.simulate(mine, START, HOUR, 10, 0, [sim.Event("earthquake", START, START + 60)])
    with pytest.raises(ValueError, match="no sensor"):
        sim.simulate(mine, START, HOUR, 10, 0, [sim.Event(sim.FALSIFY_FLAT, START, START + 60, ("NOPE",))])
    with pytest.raises(ValueError, match="not a face or heading"):
        sim.simulate(mine, START, HOUR, 10, 0, [sim.Event(sim.GAS_EXCEEDANCE, START, START + 60,
                                                          params={"group": "TR"})])
