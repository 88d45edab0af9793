"""The alarm rules of :mod:`minesafe.monitoring.engine` written as the obvious per-reading Python loop.

Same semantics, same inputs, same :class:`~minesafe.monitoring.engine.Events` out (canonical
order); the state is plain Python lists (:class:`NaiveState`). It is the correctness oracle of the
engine's tests and the baseline of ``bench/monitoring_engine.py``. Nothing here is vectorised:
sensor and mine tables are converted to lists once per table, readings are sorted in Python and
walked one by one; cross-sensor conditions (gas_work, mine-level kinds) walk the merged per-pair
or per-mine series afterwards. See the engine's module docstring for the rules and their sources.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .engine import (
    ALARM_CODES,
    FEED_ON,
    GAS_WORK_GRACE_S,
    KIND_CODES,
    NEVER,
    EngineState,
    Events,
    MineTable,
    SensorTable,
)

__all__ = ["NaiveState", "check_clock_naive", "evaluate_naive"]

HIGH, LOW, POWER_CUT, GAS_WORK = (ALARM_CODES[k] for k in ("high", "low", "power_cut", "gas_work"))
OVER, HIDDEN, STALE, COMM = (ALARM_CODES[k] for k in ("over_headcount", "hidden_operation", "stale", "comm_loss"))


@dataclass(eq=False)
class NaiveState:
    """The engine's state as Python lists; ``*_starts`` keep the run starts inside the repeat window."""

    created: int
    last_ts: list[int]
    last_value: list[float]
    high_since: list[int]
    low_since: list[int]
    gas_since: list[int]
    high_open: list[bool]
    low_open: list[bool]
    cut_open: list[bool]
    gas_open: list[bool]
    stale_open: list[bool]
    high_starts: list[list[int]]
    low_starts: list[list[int]]
    over_open: list[bool]
    hidden_open: list[bool]
    comm_open: list[bool]
    last_data: list[int]

    @classmethod
    def empty(cls, n_sensors: int, n_mines: int, *, created: int | None = None) -> NaiveState:
        n, m = n_sensors, n_mines
        return cls(
            created=int(time.time()) if created is None else int(created),
            last_ts=[NEVER] * n, last_value=[math.nan] * n, high_since=[NEVER] * n, low_since=[NEVER] * n,
            gas_since=[NEVER] * n, high_open=[False] * n, low_open=[False] * n, cut_open=[False] * n,
            gas_open=[False] * n, stale_open=[False] * n, high_starts=[[] for _ in range(n)],
            low_starts=[[] for _ in range(n)], over_open=[False] * m, hidden_open=[False] * m,
            comm_open=[False] * m, last_data=[NEVER] * m,
        )

    def to_engine(self) -> EngineState:
        """The equivalent engine state (without the repeat-rule start history), for comparisons."""
        state = EngineState.empty(len(self.last_ts), len(self.over_open), created=self.created)
        for name in ("last_ts", "last_value", "high_since", "low_since", "gas_since", "high_open", "low_open",
                     "cut_open", "gas_open", "stale_open", "over_open", "hidden_open", "comm_open", "last_data"):
            target = getattr(state, name)
            target[:] = np.asarray(getattr(self, name), dtype=target.dtype)
        state.refresh()
        return state


class _Tables:
    def __init__(self, s: SensorTable, m: MineTable) -> None:
        self.mine = s.mine.tolist()
        self.kind = s.kind.tolist()
        self.alarm_high = s.alarm_high.tolist()
        self.alarm_low = s.alarm_low.tolist()
        self.cut = s.cut_high.tolist()
        self.restore = [c if math.isnan(r) else min(r, c) for r, c in zip(s.restore_high.tolist(), self.cut,
                                                                          strict=True)]
        self.min_duration = s.min_duration.tolist()
        self.repeat_count = s.repeat_count.tolist()
        self.repeat_window = s.repeat_window.tolist()
        self.feed = s.feed.tolist()
        self.stale_after = s.stale_after.tolist()
        ch4, hc, elec = KIND_CODES["ch4"], KIND_CODES["headcount"], KIND_CODES["electricity"]
        self.is_gas = [k == ch4 and f >= 0 and f != i and not math.isnan(c)
                       for i, (k, f, c) in enumerate(zip(self.kind, self.feed, self.cut, strict=True))]
        self.gas_of_feed: dict[int, list[int]] = {}
        for i, gas in enumerate(self.is_gas):
            if gas:
                self.gas_of_feed.setdefault(self.feed[i], []).append(i)
        self.is_hc = [k == hc for k in self.kind]
        self.is_elec = [k == elec for k in self.kind]
        self.mine_level: dict[int, list[int]] = {}
        self.mine_sensors: dict[int, list[int]] = {}
        for i, mine in enumerate(self.mine):
            self.mine_sensors.setdefault(mine, []).append(i)
            if self.is_hc[i] or self.is_elec[i]:
                self.mine_level.setdefault(mine, []).append(i)
        self.cap = m.headcount_cap.tolist()
        self.halted = m.halted.tolist()
        self.idle = [0.0 if math.isnan(x) else x for x in m.idle_power.tolist()]
        self.n_mines = len(self.cap)


_CACHE: list[tuple[SensorTable, MineTable, _Tables]] = []


def _tables(sensors: SensorTable, mines: MineTable) -> _Tables:
    for s, m, t in _CACHE:
        if s is sensors and m is mines:
            return t
    t = _Tables(sensors, mines)
    _CACHE.insert(0, (sensors, mines, t))
    del _CACHE[4:]
    return t


def _events(rows: list[tuple]) -> Events:
    rows.sort(key=lambda r: (r[4], r[2], r[1], r[0]))
    if not rows:
        return Events.empty()
    cols = list(zip(*rows, strict=True))
    return Events(np.array(cols[0], np.int16), np.array(cols[1], np.int64), np.array(cols[2], np.int64),
                  np.array(cols[3], bool), np.array(cols[4], np.int64), np.array(cols[5], np.float64),
                  np.array(cols[6], np.float64))


def _level_step(tb: _Tables, code: int, since: list[int], is_open: list[bool], starts: list[list[int]],
                s: int, t: int, v: float, cond: bool, threshold: float, out: list[tuple]) -> None:
    if cond:
        hit = False
        if since[s] == NEVER:
            since[s] = t
            if tb.repeat_count[s] > 0 and tb.repeat_window[s] > 0:
                recent = [x for x in starts[s] if x >= t - tb.repeat_window[s]]
                recent.append(t)
                starts[s] = recent
                hit = len(recent) >= tb.repeat_count[s]
        if not is_open[s] and (t - since[s] >= tb.min_duration[s] or hit):
            is_open[s] = True
            out.append((code, s, tb.mine[s], True, t, v, threshold))
    else:
        since[s] = NEVER
        if is_open[s]:
            is_open[s] = False
            out.append((code, s, tb.mine[s], False, t, v, threshold))


def evaluate_naive(sensors: SensorTable, mines: MineTable, state: NaiveState, sensor: np.ndarray, ts: np.ndarray,
                   value: np.ndarray) -> tuple[NaiveState, Events]:
    """The engine's :func:`~minesafe.monitoring.engine.evaluate`, one reading at a time."""
    tb = _tables(sensors, mines)
    st = state
    out: list[tuple] = []
    before: dict[int, float] = {}  # last value before this batch, of sensors with accepted readings
    series: dict[int, list[tuple[int, float]]] = {}  # gas and feed sensors' accepted readings
    gas_touched: set[int] = set()
    mine_rows: dict[int, list[tuple[int, int, float]]] = {}
    comm_first: dict[int, tuple[int, int, float]] = {}
    rows = sorted(zip(np.asarray(sensor).tolist(), np.asarray(ts).tolist(), range(len(sensor)),
                      np.asarray(value, dtype=np.float64).tolist(), strict=True))
    for s, t, _, v in rows:
        if v != v or t <= st.last_ts[s]:  # NaN, late, or the same timestamp again
            continue
        m = tb.mine[s]
        if s not in before:
            before[s] = st.last_value[s]
            if st.stale_open[s]:
                st.stale_open[s] = False
                out.append((STALE, s, m, False, t, v, float(tb.stale_after[s])))
            if st.comm_open[m] and (m not in comm_first or (t, s) < comm_first[m][:2]):
                comm_first[m] = (t, s, v)
        st.last_ts[s] = t
        st.last_value[s] = v
        if t > st.last_data[m]:
            st.last_data[m] = t
        ah, al = tb.alarm_high[s], tb.alarm_low[s]
        _level_step(tb, HIGH, st.high_since, st.high_open, st.high_starts, s, t, v, v >= ah, ah, out)
        _level_step(tb, LOW, st.low_since, st.low_open, st.low_starts, s, t, v, v < al, al, out)
        if st.cut_open[s]:
            if v < tb.restore[s]:
                st.cut_open[s] = False
                out.append((POWER_CUT, s, m, False, t, v, tb.restore[s]))
        elif v >= tb.cut[s]:
            st.cut_open[s] = True
            out.append((POWER_CUT, s, m, True, t, v, tb.cut[s]))
        if tb.is_gas[s] or s in tb.gas_of_feed:
            series.setdefault(s, []).append((t, v))
            if tb.is_gas[s]:
                gas_touched.add(s)
            gas_touched.update(tb.gas_of_feed.get(s, ()))
        if tb.is_hc[s] or tb.is_elec[s]:
            mine_rows.setdefault(m, []).append((t, s, v))
    for m, (t, _, v) in comm_first.items():
        st.comm_open[m] = False
        out.append((COMM, -1, m, False, t, v, math.nan))
    for g in sorted(gas_touched):
        _gas_pair(tb, st, g, series, before, out)
    for m in sorted(mine_rows):
        _mine(tb, st, m, mine_rows[m], before, out)
    return st, _events(out)


def _gas_pair(tb: _Tables, st: NaiveState, g: int, series: dict, before: dict, out: list[tuple]) -> None:
    f = tb.feed[g]
    merged = sorted([(t, 0, v) for t, v in series.get(g, ())] + [(t, 1, v) for t, v in series.get(f, ())])
    gas = before.get(g, st.last_value[g])
    feed = before.get(f, st.last_value[f])
    cut = tb.cut[g]
    i = 0
    while i < len(merged):
        t = merged[i][0]
        while i < len(merged) and merged[i][0] == t:
            if merged[i][1] == 0:
                gas = merged[i][2]
            else:
                feed = merged[i][2]
            i += 1
        if gas >= cut and feed > FEED_ON:
            if st.gas_since[g] == NEVER:
                st.gas_since[g] = t
            if not st.gas_open[g] and t - st.gas_since[g] >= GAS_WORK_GRACE_S:
                st.gas_open[g] = True
                out.append((GAS_WORK, g, tb.mine[g], True, t, gas, cut))
        else:
            st.gas_since[g] = NEVER
            if st.gas_open[g]:
                st.gas_open[g] = False
                out.append((GAS_WORK, g, tb.mine[g], False, t, gas, cut))


def _mine(tb: _Tables, st: NaiveState, m: int, rows: list[tuple[int, int, float]], before: dict,
          out: list[tuple]) -> None:
    cap, idle, halted = tb.cap[m], tb.idle[m], tb.halted[m]
    latest = {x: before.get(x, st.last_value[x]) for x in tb.mine_level[m]}

    def over(x: int, v: float) -> bool:
        return tb.is_hc[x] and v > cap

    def active(x: int, v: float) -> bool:
        return (tb.is_hc[x] and v > 0) or (tb.is_elec[x] and v > idle)

    rows.sort()
    i = 0
    while i < len(rows):
        t = rows[i][0]
        group = []
        while i < len(rows) and rows[i][0] == t:
            group.append(rows[i])
            latest[rows[i][1]] = rows[i][2]
            i += 1
        for code, ind, cond, is_open in (
            (OVER, over, any(over(x, v) for x, v in latest.items()), st.over_open),
            (HIDDEN, active, halted and any(active(x, v) for x, v in latest.items()), st.hidden_open),
        ):
            if cond == is_open[m]:
                continue
            is_open[m] = cond
            _, s, v = group[-1]
            if cond:
                for _, x, y in reversed(group):
                    if ind(x, y):
                        s, v = x, y
                        break
            threshold = cap if code == OVER else (idle if tb.is_elec[s] else 0.0)
            out.append((code, -1, m, cond, t, v, threshold))


def check_clock_naive(sensors: SensorTable, mines: MineTable, state: NaiveState, now: int) -> tuple[NaiveState,
                                                                                                    Events]:
    """The engine's :func:`~minesafe.monitoring.engine.check_clock`, one sensor at a time."""
    tb = _tables(sensors, mines)
    st = state
    now = int(now)
    out: list[tuple] = []
    stale = []
    for s in range(len(tb.mine)):
        ref = st.created if st.last_ts[s] == NEVER else st.last_ts[s]
        stale.append(now - ref > tb.stale_after[s])
    all_stale = [False] * tb.n_mines
    for m, members in tb.mine_sensors.items():
        all_stale[m] = all(stale[s] for s in members)
    for m in range(tb.n_mines):
        if all_stale[m] != st.comm_open[m]:
            st.comm_open[m] = all_stale[m]
            out.append((COMM, -1, m, all_stale[m], now, math.nan, math.nan))
    for s in range(len(tb.mine)):
        if stale[s] and not st.stale_open[s] and not all_stale[tb.mine[s]]:
            st.stale_open[s] = True
            out.append((STALE, s, tb.mine[s], True, now, math.nan, float(tb.stale_after[s])))
        elif not stale[s] and st.stale_open[s]:
            st.stale_open[s] = False
            out.append((STALE, s, tb.mine[s], False, now, math.nan, float(tb.stale_after[s])))
    return st, _events(out)
