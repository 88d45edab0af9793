"""The alarm engine: pure numpy, vectorised over a batch of readings, no Django.

Issue #6 (seeds 004 tasks 18, 25–26; 002 §3–4): threshold alarms with duration and repeat
conditions, 瓦斯超限作业 (gas at the power-cut level while the feed sensor still shows power),
超定员 (headcount above the mine's 定员), suspected 明停暗开 (electricity or people while the mine is
ordered halted), and stale sensors / mine-wide communication loss evaluated on a clock.

The engine keeps no Django objects: the worker loads a shard's sensors and mines into a
:class:`SensorTable` and a :class:`MineTable` (row index = "sensor index" / "mine index"), keeps one
:class:`EngineState` per shard (rebuildable from the database: last reading per sensor, open
alarms), feeds batches of readings in arrival order to :func:`evaluate`, calls
:func:`check_clock` on a timer, and turns the returned :class:`Events` (columnar open/close
transitions) into ``Alarm`` rows. :mod:`minesafe.monitoring.naive` is the same semantics as a
per-reading Python loop: the correctness oracle of the tests and the baseline of the benchmark.

Semantics (both implementations; times are integer epoch seconds):

Readings.
  A batch is ordered by (sensor, ts); readings of one sensor with the same ts keep the first in
  arrival order (the database stores it once). A reading whose ts is not after the sensor's last
  evaluated ts (``state.last_ts``) is late: it is stored by ingestion but moves no state and raises
  no event. A NaN value is not a measurement and is ignored. Readings of one sensor inside a batch
  are evaluated in time order whatever their arrival order; across batches, per-sensor order is
  arrival order (late data is dropped), and cross-sensor conditions (gas_work, mine-level kinds)
  are evaluated as readings become available, so a stream split into time-ordered batches gives
  the same events as one batch.
high / low (per sensor; DOMAIN §4.1, §4.2, §9; CDDY 上限/下限报警门限, §5).
  The condition is ``value >= alarm_high`` (high) or ``value < alarm_low`` (low: the lower level is
  the minimum allowed, e.g. O₂ ≥ 20 % at faces, wind ≥ 0.25 m/s). A run is a sequence of
  consecutive readings meeting it; its start time is the first reading's ts (carried across
  batches in ``state.high_since`` / ``low_since``). The alarm opens at the first reading of a run
  with ``ts - run_start >= min_duration`` (0 = at the first reading), or at a run's first reading
  when, counting it, at least ``repeat_count`` runs started within ``repeat_window`` seconds
  (start times in ``[ts - repeat_window, ts]``; the rule is off when either is 0). It closes at
  the first reading not meeting the condition. NaN thresholds switch the kind off.
power_cut (per sensor; DOMAIN §4.2 断电/复电浓度).
  Hysteresis without duration: opens at ``value >= cut_high``, closes at ``value < restore``
  where restore is ``restore_high``, or ``cut_high`` when unset, and never above ``cut_high``.
  Open events carry cut_high as the threshold, close events the restore level.
gas_work (瓦斯超限作业; DOMAIN §4.2, §4.3: power must be cut at the cut level).
  For a CH4 sensor with a feed sensor and a cut level: merge the readings of both in time order;
  after all readings at one timestamp the condition is ``gas >= cut_high and feed > 0.5``, using
  each sensor's latest value (from the state before the batch when it has none yet). The alarm
  opens when the condition has held ``GAS_WORK_GRACE_S`` seconds on those timestamps, so a feed
  status still "on" in the polling cycle of the gas rise — the cut is due within 2 s and a remote
  cut within two polling cycles (GB 50581-2010, DOMAIN §4.3) — is not work under gas. It closes
  when the gas falls below the cut level or the feed shows no power. Events are on the CH4 sensor,
  value = its concentration at that moment, threshold = cut_high.
over_headcount (超定员) and hidden_operation (明停暗开) — mine level, ``sensor = -1``.
  Over the mine's headcount and electricity sensors merged in time order, after all readings at
  one timestamp: over_headcount while some headcount sensor's latest value is ``> headcount_cap``
  (a mine normally has one: the personnel-positioning total); hidden_operation while the mine is
  halted (``Mine.status`` rectification / suspended) and some electricity sensor's latest value is
  ``> idle_power`` (NaN = 0) or some headcount sensor's latest value is ``> 0``. No duration.
  Only those sensors' readings evaluate the condition, so a change of cap or halt status takes
  effect at the mine's next headcount/electricity reading. An open event's value is the last
  reading at that timestamp of a sensor in the alarming state (else the last reading at that
  timestamp); a close event's, the last reading at that timestamp. Threshold: the cap; for
  hidden_operation idle_power (electricity) or 0 (headcount).
stale / comm_loss (clock; DOMAIN §4.3 networking rules).
  :func:`check_clock` at ``now``: a sensor is stale when ``now - last_ts > stale_after`` (a sensor
  never heard from counts from ``state.created``). When every sensor of a mine is stale, the mine
  gets one comm_loss alarm and no new per-sensor stale alarm opens for it (inhibition); stale
  alarms already open stay open. comm_loss closes when any of the mine's sensors reports (the
  earliest accepted reading of the batch) or on the clock when the mine is no longer all stale;
  a stale alarm closes at the sensor's first accepted reading (or on the clock if its condition
  no longer holds, e.g. a longer stale_after). Clock events have ts = now and a NaN value; stale
  events carry stale_after as the threshold.

Events come back in canonical order: (ts, mine, sensor, kind); each (sensor or mine, kind) has at
most one transition per timestamp. :func:`evaluate` and :func:`check_clock` update the state in
place and return it. Tables are treated as immutable: build new ones when sensors or thresholds
change (derived arrays are cached by table identity).

Performance (bench/monitoring_engine.py): no Python loop per reading or per sensor. A batch is
grouped by blocks of sensor indices with a one-pass 16-bit radix sort (stable, so each sensor's
rows keep their arrival order — the only order the rules use), which makes the per-sensor arrays
almost sequential to read and write. Each row is then screened against its sensor's band
(``EngineState`` keeps one per sensor, float32, rounded outwards): a sensor all of whose rows lie
inside — no condition run or open alarm, values strictly between its low level and its high / cut
level, for headcount and electricity the same indicator class as its last value, no gas sensor at
the cut level on its feed, mine not in communication loss — only gets its last reading recorded.
The rest (typically well under 1 % of rows) goes through the sorted, run-based path below, which
works on segments (np.lexsort, np.maximum.accumulate on run starts, cumulative sums).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

import numpy as np

__all__ = [
    "ALARM_CODES",
    "ALARM_NAMES",
    "GAS_WORK_GRACE_S",
    "KIND_CODES",
    "KIND_NAMES",
    "NEVER",
    "SEVERITY",
    "EngineState",
    "Events",
    "MineTable",
    "SensorTable",
    "check_clock",
    "evaluate",
]

KIND_NAMES: tuple[str, ...] = (
    "ch4", "co", "o2", "wind_speed", "temperature", "smoke", "feed", "headcount", "electricity",
    "water_level", "phreatic_line", "dry_beach", "displacement",
)
KIND_CODES: dict[str, int] = {name: code for code, name in enumerate(KIND_NAMES)}
ALARM_NAMES: tuple[str, ...] = (
    "high", "low", "power_cut", "gas_work", "over_headcount", "hidden_operation", "stale", "comm_loss",
)
ALARM_CODES: dict[str, int] = {name: code for code, name in enumerate(ALARM_NAMES)}
SEVERITY: dict[str, int] = {
    "high": 2, "low": 2, "power_cut": 3, "gas_work": 3, "over_headcount": 2, "hidden_operation": 3,
    "stale": 1, "comm_loss": 2,
}
#: Seconds the gas_work condition must hold (on reading timestamps) before the alarm opens: two
#: polling cycles of GB 50581-2010 (≤ 30 s), the limit for a remote power cut (DOMAIN §4.3).
GAS_WORK_GRACE_S = 60
#: "Never": last_ts of a sensor not heard from, and the run start of a condition that does not hold.
NEVER = -(1 << 62)
FEED_ON = 0.5

HIGH, LOW, POWER_CUT, GAS_WORK = 0, 1, 2, 3
OVER_HEADCOUNT, HIDDEN_OPERATION, STALE, COMM_LOSS = 4, 5, 6, 7
CH4, FEED, HEADCOUNT, ELECTRICITY = KIND_CODES["ch4"], KIND_CODES["feed"], KIND_CODES["headcount"], \
    KIND_CODES["electricity"]


@dataclass(frozen=True, eq=False)
class SensorTable:
    """One row per active sensor of a shard; the row index is the "sensor index"."""

    ids: np.ndarray  # int64 Sensor.pk
    mine: np.ndarray  # int64 row index into MineTable
    kind: np.ndarray  # int16 KIND_CODES
    alarm_high: np.ndarray  # float64, nan = unset
    alarm_low: np.ndarray
    cut_high: np.ndarray
    restore_high: np.ndarray
    min_duration: np.ndarray  # int64 seconds the condition must hold (0 = at once)
    repeat_count: np.ndarray  # int64; 0 = off
    repeat_window: np.ndarray  # int64 seconds; 0 = off
    feed: np.ndarray  # int64 sensor index of the linked feed sensor, -1 none
    stale_after: np.ndarray  # int64 seconds

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class MineTable:
    ids: np.ndarray  # int64 Mine.pk
    headcount_cap: np.ndarray  # float64, nan = none
    halted: np.ndarray  # bool: status rectification / suspended
    idle_power: np.ndarray  # float64: electricity above this is "in use" (nan = 0)

    def __len__(self) -> int:
        return len(self.ids)


def _bools(n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool)


def _nevers(n: int) -> np.ndarray:
    return np.full(n, NEVER, dtype=np.int64)


@dataclass(eq=False)
class EngineState:
    """Everything the engine remembers between batches; rebuildable from the database (last
    reading per sensor, open alarms). ``*_since`` is the start of the current run of the condition
    (NEVER = it did not hold at the last reading); ``*_starts`` the most recent run start times
    (newest last, NEVER = none) for the repeat rule. ``busy`` and the screening band are derived:
    after changing the arrays by hand, call :meth:`refresh`."""

    created: int
    last_ts: np.ndarray  # int64, NEVER = never reported
    last_value: np.ndarray  # float64, nan = never reported
    high_since: np.ndarray
    low_since: np.ndarray
    gas_since: np.ndarray
    high_open: np.ndarray
    low_open: np.ndarray
    cut_open: np.ndarray
    gas_open: np.ndarray
    stale_open: np.ndarray
    high_starts: np.ndarray  # int64 (n_sensors, width)
    low_starts: np.ndarray
    over_open: np.ndarray  # per mine
    hidden_open: np.ndarray
    comm_open: np.ndarray
    last_data: np.ndarray  # int64 per mine: latest accepted reading ts, NEVER = none
    busy: np.ndarray = field(init=False, repr=False)
    _screen: tuple | None = field(init=False, repr=False, default=None)  # (_Prep, band)

    def __post_init__(self) -> None:
        self.refresh()

    @classmethod
    def empty(cls, n_sensors: int, n_mines: int, *, created: int | None = None) -> EngineState:
        """A state with nothing heard yet; never-heard sensors go stale ``stale_after`` seconds
        after ``created`` (default: now)."""
        n, m = n_sensors, n_mines
        return cls(
            created=int(time.time()) if created is None else int(created),
            last_ts=_nevers(n), last_value=np.full(n, np.nan), high_since=_nevers(n), low_since=_nevers(n),
            gas_since=_nevers(n), high_open=_bools(n), low_open=_bools(n), cut_open=_bools(n),
            gas_open=_bools(n), stale_open=_bools(n), high_starts=np.empty((n, 0), np.int64),
            low_starts=np.empty((n, 0), np.int64), over_open=_bools(m), hidden_open=_bools(m),
            comm_open=_bools(m), last_data=_nevers(m),
        )

    def refresh(self, index: np.ndarray | None = None) -> None:
        """Recompute the derived flags for ``index`` (sensor indices), or for everything: ``busy``
        (a condition run in progress or an alarm open: the sensor's readings take the full path)
        and the screening band (rebuilt at the next batch when ``index`` is None)."""
        if index is None:
            self._screen = None
            index = slice(None)
            self.busy = np.zeros(len(self.last_ts), dtype=bool)
        self.busy[index] = (
            (self.high_since[index] != NEVER) | (self.low_since[index] != NEVER) | (self.gas_since[index] != NEVER)
            | self.high_open[index] | self.low_open[index] | self.cut_open[index] | self.gas_open[index]
            | self.stale_open[index]
        )
        if self._screen is not None and not isinstance(index, slice):
            _rescreen(self, np.asarray(index, np.int64))

    def copy(self) -> EngineState:
        return EngineState(**{f.name: (getattr(self, f.name).copy() if f.name != "created" else self.created)
                              for f in fields(self) if f.init})


@dataclass(frozen=True, eq=False)
class Events:
    """Columnar alarm transitions, in canonical order (ts, mine, sensor, kind)."""

    kind: np.ndarray  # int16 ALARM_CODES
    sensor: np.ndarray  # int64 sensor index, -1 for mine-level kinds
    mine: np.ndarray  # int64 mine index
    opened: np.ndarray  # bool: True open, False close
    ts: np.ndarray  # int64 epoch seconds
    value: np.ndarray  # float64: the reading that caused it, nan for clock events
    threshold: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def empty(cls) -> Events:
        return cls(np.empty(0, np.int16), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool),
                   np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))

    @classmethod
    def build(cls, parts: list[tuple]) -> Events:
        """Concatenate ``(kind, sensor, mine, opened, ts, value, threshold)`` column tuples (scalars
        broadcast) and sort them canonically."""
        sized = [(p, max((len(x) for x in p if np.ndim(x) == 1), default=1)) for p in parts]
        sized = [(p, n) for p, n in sized if n]
        if not sized:
            return cls.empty()
        cols = []
        for i, dtype in enumerate((np.int16, np.int64, np.int64, bool, np.int64, np.float64, np.float64)):
            cols.append(np.concatenate([np.full(n, p[i], dtype) if np.ndim(p[i]) == 0 else np.asarray(p[i], dtype)
                                        for p, n in sized]))
        return cls(*cols).sorted()

    def sorted(self) -> Events:
        """The events in canonical order: ts, mine, sensor, kind."""
        order = np.lexsort((self.kind, self.sensor, self.mine, self.ts))
        return Events(*(getattr(self, f.name)[order] for f in fields(self)))

    def rows(self) -> list[tuple[str, int, int, bool, int, float, float]]:
        """(kind name, sensor, mine, opened, ts, value, threshold) per event, for tests and logs."""
        return [(ALARM_NAMES[k], s, m, o, t, v, h) for k, s, m, o, t, v, h in zip(
            self.kind.tolist(), self.sensor.tolist(), self.mine.tolist(), self.opened.tolist(),
            self.ts.tolist(), self.value.tolist(), self.threshold.tolist(), strict=True)]


# --- derived table arrays, cached by table identity ------------------------------------------


class _Prep:
    """Arrays derived from a (SensorTable, MineTable) pair once."""

    def __init__(self, s: SensorTable, m: MineTable) -> None:
        n = len(s.ids)
        self.n, self.n_mines = n, len(m.ids)
        self.block_shift = max(0, (n - 1).bit_length() - 16)  # sensor blocks numbered in 16 bits
        self.mine = np.asarray(s.mine, np.int64)
        self.kind = np.asarray(s.kind, np.int16)
        ah, al = np.asarray(s.alarm_high, np.float64), np.asarray(s.alarm_low, np.float64)
        cut, rh = np.asarray(s.cut_high, np.float64), np.asarray(s.restore_high, np.float64)
        self.alarm_high, self.alarm_low, self.cut = ah, al, cut
        self.restore = np.where(np.isnan(rh), cut, np.fmin(rh, cut))  # nan where cut is nan
        # Screening band: a value in [lo, hi) meets no per-sensor condition.
        self.hi = np.fmin(np.where(np.isnan(ah), np.inf, ah), np.where(np.isnan(cut), np.inf, cut))
        self.lo = np.where(np.isnan(al), -np.inf, al)
        self.min_duration = np.asarray(s.min_duration, np.int64)
        self.repeat_count = np.asarray(s.repeat_count, np.int64)
        self.repeat_window = np.asarray(s.repeat_window, np.int64)
        self.rep_on = (self.repeat_count > 0) & (self.repeat_window > 0)
        self.width = int(self.repeat_count[self.rep_on].max()) - 1 if self.rep_on.any() else 0
        self.stale_after = np.asarray(s.stale_after, np.int64)
        feed = np.asarray(s.feed, np.int64)
        self.feed = feed
        self.is_gas = (self.kind == CH4) & (feed >= 0) & (feed != np.arange(n)) & ~np.isnan(cut)
        gas_idx = np.flatnonzero(self.is_gas)
        self.gas_idx, self.gas_cut, self.gas_feed = gas_idx, cut[gas_idx], feed[gas_idx]
        order = np.argsort(feed[gas_idx], kind="stable")
        self.feed_gas = gas_idx[order]  # gas sensors grouped by their feed (CSR)
        deg = np.bincount(feed[gas_idx], minlength=n) if len(gas_idx) else np.zeros(n, np.int64)
        self.feed_ptr = np.concatenate(([0], np.cumsum(deg)))
        self.is_hc = self.kind == HEADCOUNT
        self.is_elec = self.kind == ELECTRICITY
        self.is_ml = self.is_hc | self.is_elec
        self.ml_idx = np.flatnonzero(self.is_ml)
        self.cap = np.asarray(m.headcount_cap, np.float64)
        self.halted = np.asarray(m.halted, bool)
        idle = np.asarray(m.idle_power, np.float64)
        self.idle = np.where(np.isnan(idle), 0.0, idle)
        self.mine_has_sensors = np.bincount(self.mine, minlength=self.n_mines) > 0
        # Mine-level indicator classes of a headcount / electricity value: <= b1, (b1, b2], > b2
        # (headcount: 0 and the cap; electricity: idle_power only).
        ml_mine = self.mine[self.ml_idx]
        cap_inf = np.where(np.isnan(self.cap), np.inf, self.cap)[ml_mine]
        hc = self.is_hc[self.ml_idx]
        self.ml_b1 = np.where(hc, np.minimum(0.0, cap_inf), -np.inf)
        self.ml_b2 = np.where(hc, np.maximum(0.0, cap_inf), self.idle[ml_mine])
        self.ml_pos = np.full(n, -1, np.int64)
        self.ml_pos[self.ml_idx] = np.arange(len(self.ml_idx))
        self.ml_by_mine = self.ml_idx[np.argsort(ml_mine, kind="stable")]
        self.ml_ptr = np.concatenate(([0], np.cumsum(np.bincount(ml_mine, minlength=self.n_mines))))


_CACHE: list[tuple[SensorTable, MineTable, _Prep]] = []


def _prepare(sensors: SensorTable, mines: MineTable) -> _Prep:
    for s, m, p in _CACHE:
        if s is sensors and m is mines:
            return p
    p = _Prep(sensors, mines)
    _CACHE.insert(0, (sensors, mines, p))
    del _CACHE[4:]
    return p


def _band(p: _Prep, state: EngineState, idx: np.ndarray) -> np.ndarray:
    """Screening band ``[lo, hi)`` of sensors ``idx`` as float32 pairs (rounded outwards of the
    quiet range, so screening only errs towards the full path): a value inside changes nothing but
    the sensor's last reading. From the alarm / cut levels; for headcount and electricity sensors
    the indicator class of the last value; ``lo = inf`` (every reading goes the full path) for busy
    sensors, gas sensors at the cut level and the feeds of those, and the headcount / electricity
    sensors of a mine whose mine-level alarm flags do not match its sensors' last values (the mine
    table changed: cap, idle power or halt status)."""
    lo, hi = p.lo[idx], p.hi[idx]
    busy = state.busy[idx] | (p.is_gas[idx] & (state.last_value[idx] >= p.cut[idx]))
    ml = np.flatnonzero(p.is_ml[idx])
    if len(ml):
        j = p.ml_pos[idx[ml]]
        x = state.last_value[idx[ml]]
        b1, b2 = p.ml_b1[j], p.ml_b2[j]
        top, mid = x > b2, x > b1  # NaN (never heard) is in the bottom class, like its indicators
        up, low = np.nextafter(b2, np.inf), np.nextafter(b1, np.inf)
        lo[ml] = np.maximum(lo[ml], np.where(top, up, np.where(mid, low, -np.inf)))
        hi[ml] = np.minimum(hi[ml], np.where(top, np.inf, np.where(mid, up, low)))
        mines = _unique(p.mine[idx[ml]])
        n_over, n_act = _mine_counts(p, state, mines)
        mismatch = np.zeros(p.n_mines, dtype=bool)
        mismatch[mines] = ((n_over > 0) != state.over_open[mines]) | (
            (p.halted[mines] & (n_act > 0)) != state.hidden_open[mines])
        busy[ml] |= mismatch[p.mine[idx[ml]]]
    deg = p.feed_ptr[idx + 1] - p.feed_ptr[idx]
    feeds = np.flatnonzero(deg > 0)
    if len(feeds):
        g = p.feed_gas[_ranges(p.feed_ptr[idx[feeds]], deg[feeds])]
        at_cut = (state.busy[g] | (state.last_value[g] >= p.cut[g])).astype(np.int64)
        busy[feeds] |= np.add.reduceat(at_cut, np.cumsum(deg[feeds]) - deg[feeds]) > 0
    lo[busy] = np.inf
    with np.errstate(over="ignore"):
        lo32, hi32 = lo.astype(np.float32), hi.astype(np.float32)
    lo32 = np.where(lo32 < lo, np.nextafter(lo32, np.float32(np.inf)), lo32)
    hi32 = np.where(hi32 > hi, np.nextafter(hi32, np.float32(-np.inf)), hi32)
    return np.stack((lo32, hi32), axis=1)


def _mine_counts(p: _Prep, state: EngineState, mines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per mine of ``mines`` (distinct): how many headcount sensors' last values are over the cap,
    and how many headcount / electricity sensors' last values show activity."""
    size = p.ml_ptr[mines + 1] - p.ml_ptr[mines]
    members = p.ml_by_mine[_ranges(p.ml_ptr[mines], size)]
    over, active = _indicators(p, members, p.mine[members], state.last_value[members])
    cum_over = np.concatenate(([0], np.cumsum(over)))
    cum_act = np.concatenate(([0], np.cumsum(active)))
    end = np.cumsum(size)
    return cum_over[end] - cum_over[end - size], cum_act[end] - cum_act[end - size]


def _screen(p: _Prep, state: EngineState) -> np.ndarray:
    """The state's screening band for these tables (built on first use, kept up to date by
    :meth:`EngineState.refresh`)."""
    if state._screen is None or state._screen[0] is not p:
        state._screen = (p, _band(p, state, np.arange(p.n)))
    return state._screen[1]


def _rescreen(state: EngineState, idx: np.ndarray) -> None:
    """Update the screening band of sensors ``idx`` (and of the feeds of gas sensors among them)."""
    p, band = state._screen
    gas = idx[p.is_gas[idx]]
    if len(gas):
        idx = _unique(np.concatenate((idx, p.feed[gas])))
    band[idx] = _band(p, state, idx)


def _ensure_width(state: EngineState, width: int) -> None:
    for name in ("high_starts", "low_starts"):
        arr = getattr(state, name)
        if arr.shape[1] < width:
            pad = np.full((arr.shape[0], width - arr.shape[1]), NEVER, np.int64)
            setattr(state, name, np.concatenate((pad, arr), axis=1))


# --- vectorised building blocks --------------------------------------------------------------


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a plain sort: faster here than ``np.unique``'s hash table)."""
    a = np.sort(a)
    if len(a) > 1:
        a = a[np.concatenate(([True], a[1:] != a[:-1]))]
    return a


def _edges(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) flags of the runs of equal consecutive values of ``key``."""
    n = len(key)
    first = np.ones(n, dtype=bool)
    last = np.ones(n, dtype=bool)
    if n > 1:
        np.not_equal(key[1:], key[:-1], out=first[1:])
        last[:-1] = first[1:]
    return first, last


def _prev(x: np.ndarray, first: np.ndarray, init: np.ndarray) -> np.ndarray:
    """x shifted by one inside each segment; ``init`` (per element) at segment starts."""
    out = np.empty_like(x)
    out[1:] = x[:-1]
    out[first] = init[first]
    return out


def _seg_start(first: np.ndarray) -> np.ndarray:
    idx = np.arange(len(first))
    return np.maximum.accumulate(np.where(first, idx, 0))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each pair."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total)


def _runs(first: np.ndarray, cond: np.ndarray, t: np.ndarray, since0: np.ndarray, open0: np.ndarray,
          dur: np.ndarray, start_hit: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Duration alarm over segments (one per state key), elements in time order.

    ``since0`` / ``open0`` / ``dur`` are per element (the key's carried run start, open flag and
    duration). ``start_hit`` marks run starts that open at once (repeat rule). Returns
    (open-after-element, run start per element, new-run-start flags)."""
    idx = np.arange(len(cond))
    prev_c = _prev(cond, first, since0 != NEVER)
    start = cond & ~prev_c
    begin = np.maximum.accumulate(np.where(start | first, idx, 0))
    t0 = np.where(start[begin], t[begin], since0)
    qual = cond & (t - t0 >= dur)
    if start_hit is not None:
        qual |= cond & start_hit[begin]
    is_open = cond & (qual | (first[begin] & open0))
    return is_open, np.where(cond, t0, NEVER), start


def _transitions(first: np.ndarray, is_open: np.ndarray, open0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    prev_o = _prev(is_open, first, open0)
    return np.flatnonzero(is_open & ~prev_o), np.flatnonzero(~is_open & prev_o)


def _segment_any(flag: np.ndarray, segid: np.ndarray, n_seg: int) -> np.ndarray:
    return np.bincount(segid[flag], minlength=n_seg) > 0


def _repeat_hits(p: _Prep, starts: np.ndarray, ss: np.ndarray, tt: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """Repeat rule at new run starts (positions ``starts`` into ss/tt, sensors with the rule on):
    hit when the (repeat_count - 1)-th previous start is within repeat_window. Updates ``hist``."""
    rs, rt = ss[starts], tt[starts]
    w = hist.shape[1]
    us = _unique(rs)
    h = hist[us].ravel()
    valid = h != NEVER
    cs = np.concatenate((np.repeat(us, w)[valid], rs))
    ct = np.concatenate((h[valid], rt))
    isb = np.concatenate((np.zeros(int(valid.sum()), bool), np.ones(len(rs), bool)))
    order = np.lexsort((ct, cs))
    cs, ct, isb = cs[order], ct[order], isb[order]
    pos = np.flatnonzero(isb)
    q = pos - (p.repeat_count[rs] - 1)
    qc = np.maximum(q, 0)
    hit = (q >= 0) & (cs[qc] == rs) & (ct[qc] >= rt - p.repeat_window[rs])
    _, glast = _edges(cs)
    last_pos = np.flatnonzero(glast)
    gid = np.cumsum(np.concatenate(([0], glast[:-1].astype(np.int64))))
    rank = last_pos[gid] - np.arange(len(cs))
    keep = rank < w
    hist[us] = NEVER
    hist[cs[keep], w - 1 - rank[keep]] = ct[keep]
    return hit


# --- evaluate --------------------------------------------------------------------------------


def evaluate(sensors: SensorTable, mines: MineTable, state: EngineState, sensor: np.ndarray, ts: np.ndarray,
             value: np.ndarray) -> tuple[EngineState, Events]:
    """Evaluate one batch of readings (any order; sensor indices, epoch seconds, values).

    Updates ``state`` in place and returns it with the alarm transitions (see the module docstring
    for the rules)."""
    p = _prepare(sensors, mines)
    sensor = np.asarray(sensor, dtype=np.int64).ravel()
    ts = np.asarray(ts, dtype=np.int64).ravel()
    value = np.asarray(value, dtype=np.float64).ravel()
    if not len(sensor) == len(ts) == len(value):
        raise ValueError("sensor, ts and value must have the same length")
    _ensure_width(state, p.width)
    if len(sensor) == 0:
        return state, Events.empty()
    nan = np.isnan(value)
    if nan.any():
        keep = ~nan
        sensor, ts, value = sensor[keep], ts[keep], value[keep]

    # Rows grouped by blocks of sensor indices (a one-pass radix sort, stable: a sensor's rows keep
    # their arrival order, which is all the rules look at) so the per-sensor arrays are read and
    # written almost sequentially.
    order = np.argsort((sensor >> p.block_shift).astype(np.uint16), kind="stable")
    sensor, ts, value = np.take(sensor, order), np.take(ts, order), np.take(value, order)
    # Screening: rows outside their sensor's band, then whole sensors.
    band = np.take(_screen(p, state), sensor, axis=0)
    hot = (value < band[:, 0]) | (value >= band[:, 1])
    if state.comm_open.any():
        hot |= state.comm_open[p.mine[sensor]]
    hs = sensor[hot]
    hot_sensor = np.zeros(p.n, dtype=bool)
    hot_sensor[hs] = True
    gas = hs[p.is_gas[hs]]
    if len(gas):  # a gas sensor's feed comes along (the reverse is in the band)
        hs = np.concatenate((hs, p.feed[gas]))
        hot_sensor[p.feed[gas]] = True
    ml = hs[p.is_ml[hs]]
    if len(ml):  # a mine with a hot headcount / electricity sensor has all of them evaluated
        m = _unique(p.mine[ml])
        hot_sensor[p.ml_by_mine[_ranges(p.ml_ptr[m], p.ml_ptr[m + 1] - p.ml_ptr[m])]] = True
    parts: list[tuple] = []
    rows = np.flatnonzero(hot_sensor[sensor])
    if len(rows):
        _full_path(p, state, sensor[rows], ts[rows], value[rows], parts)
    _record_last(p, state, sensor, ts, value)  # a no-op for the sensors of the full path
    return state, Events.build(parts)


def _record_last(p: _Prep, state: EngineState, s: np.ndarray, t: np.ndarray, v: np.ndarray) -> None:
    """Last reading per sensor where newer: the latest ts, the first arrival among equal ts.

    Written with plain scatters, then read back: a sensor whose rows differ and did not all land
    (several rows for one sensor; numpy leaves the winner of repeated indices open) is fixed up
    from its sorted rows. Rows identical in ts and value need no fix: any winner is right."""
    if p.block_shift == 0 and len(s) > 1:  # rows sorted by sensor (in arrival order within)
        same = s[1:] == s[:-1]
        if same.any():  # a sensor whose rows arrived in time order: only its last row matters
            keep = np.ones(len(s), dtype=bool)
            keep[:-1] = ~same
            disordered = same & (t[1:] <= t[:-1])
            if disordered.any():
                seen = np.zeros(p.n, dtype=bool)
                seen[s[1:][disordered]] = True
                keep |= seen[s]
            keep = np.flatnonzero(keep)
            s, t, v = s[keep], t[keep], v[keep]
    upd = t > state.last_ts[s]
    if not upd.all():
        keep = np.flatnonzero(upd)
        s, t, v = s[keep], t[keep], v[keep]
    if not len(s):
        return
    state.last_ts[s] = t
    state.last_value[s] = v
    lost = (state.last_ts[s] != t) | (state.last_value[s] != v)
    if lost.any():
        seen = np.zeros(p.n, dtype=bool)
        seen[s[lost]] = True
        rows = np.flatnonzero(seen[s])
        rs, rt = s[rows], t[rows]
        latest = np.full(p.n, NEVER, np.int64)
        np.maximum.at(latest, rs, rt)
        at_latest = rows[rt == latest[rs]]
        first = np.full(p.n, len(s), np.int64)
        np.minimum.at(first, s[at_latest], at_latest)
        win = first[s[at_latest]]
        state.last_ts[s[win]] = t[win]
        state.last_value[s[win]] = v[win]
    np.maximum.at(state.last_data, p.mine[s], t)


def _full_path(p: _Prep, state: EngineState, sensor: np.ndarray, ts: np.ndarray, value: np.ndarray,
               parts: list[tuple]) -> None:
    order = np.lexsort((ts, sensor))
    ss, tt, vv = sensor[order], ts[order], value[order]
    acc = tt > state.last_ts[ss]
    if len(ss) > 1:
        acc[1:] &= (ss[1:] != ss[:-1]) | (tt[1:] != tt[:-1])
    if not acc.all():
        ss, tt, vv = ss[acc], tt[acc], vv[acc]
    if not len(ss):
        return
    first, last = _edges(ss)
    segid = np.cumsum(first) - 1
    n_seg = int(segid[-1]) + 1
    mine = p.mine[ss]

    # Stale alarms close at the sensor's first accepted reading.
    fi = np.flatnonzero(first)
    stale = fi[state.stale_open[ss[fi]]]
    if len(stale):
        back = ss[stale]
        parts.append((STALE, back, mine[stale], False, tt[stale], vv[stale], p.stale_after[back].astype(np.float64)))
        state.stale_open[back] = False
    # comm_loss closes at the mine's earliest accepted reading.
    if state.comm_open.any():
        rows = np.flatnonzero(state.comm_open[mine])
        if len(rows):
            o = rows[np.lexsort((ss[rows], tt[rows], mine[rows]))]
            mf, _ = _edges(mine[o])
            r = o[mf]
            parts.append((COMM_LOSS, -1, mine[r], False, tt[r], vv[r], np.nan))
            state.comm_open[mine[r]] = False

    _level(p, state, ss, tt, vv, first, last, segid, n_seg, high=True, parts=parts)
    _level(p, state, ss, tt, vv, first, last, segid, n_seg, high=False, parts=parts)
    _power_cut(p, state, ss, tt, vv, first, last, segid, n_seg, parts)
    gas_keys = _gas_work(p, state, ss, tt, vv, first, segid, n_seg, parts)
    _mine_level(p, state, ss, tt, vv, first, parts)

    li = np.flatnonzero(last)
    ls = ss[li]
    state.last_ts[ls] = tt[li]
    state.last_value[ls] = vv[li]
    np.maximum.at(state.last_data, mine[li], tt[li])
    state.refresh(ls)
    if gas_keys is not None:
        state.refresh(gas_keys)


def _level(p: _Prep, state: EngineState, ss, tt, vv, first, last, segid, n_seg, *, high: bool,
           parts: list[tuple]) -> None:
    thr_all = p.alarm_high if high else p.alarm_low
    since_all = state.high_since if high else state.low_since
    open_all = state.high_open if high else state.low_open
    thr = thr_all[ss]
    cond = vv >= thr if high else vv < thr
    inv_seg = _segment_any(cond, segid, n_seg)
    fs = ss[first]
    inv_seg |= (since_all[fs] != NEVER) | open_all[fs]
    if not inv_seg.any():
        return
    e = np.flatnonzero(inv_seg[segid])
    s, t, v, c, fst, lst, th = ss[e], tt[e], vv[e], cond[e], first[e], last[e], thr[e]
    since0, open0 = since_all[s], open_all[s]
    hits = None
    # New run starts of sensors with the repeat rule: the run-start flags are recomputed in _runs;
    # the same definition here (a reading meeting the condition after one that did not).
    prev_c = _prev(c, fst, since0 != NEVER)
    starts = np.flatnonzero(c & ~prev_c & p.rep_on[s])
    if len(starts):
        hits = np.zeros(len(e), dtype=bool)
        hits[starts] = _repeat_hits(p, starts, s, t, state.high_starts if high else state.low_starts)
    is_open, run_t0, _ = _runs(fst, c, t, since0, open0, p.min_duration[s], hits)
    opened, closed = _transitions(fst, is_open, open0)
    code = HIGH if high else LOW
    for rows, flag in ((opened, True), (closed, False)):
        if len(rows):
            parts.append((code, s[rows], p.mine[s[rows]], flag, t[rows], v[rows], th[rows]))
    li = np.flatnonzero(lst)
    since_all[s[li]] = run_t0[li]
    open_all[s[li]] = is_open[li]


def _power_cut(p: _Prep, state: EngineState, ss, tt, vv, first, last, segid, n_seg, parts: list[tuple]) -> None:
    on = vv >= p.cut[ss]
    inv_seg = _segment_any(on, segid, n_seg) | state.cut_open[ss[first]]
    if not inv_seg.any():
        return
    e = np.flatnonzero(inv_seg[segid])
    s, t, v, fst, lst = ss[e], tt[e], vv[e], first[e], last[e]
    on_e = on[e]
    restore = p.restore[s]
    mark = on_e | (v < restore)
    idx = np.arange(len(e))
    lm = np.maximum.accumulate(np.where(mark, idx, -1))
    seg0 = _seg_start(fst)
    open0 = state.cut_open[s]
    is_open = np.where(lm >= seg0, on_e[lm], open0)
    opened, closed = _transitions(fst, is_open, open0)
    if len(opened):
        parts.append((POWER_CUT, s[opened], p.mine[s[opened]], True, t[opened], v[opened], p.cut[s[opened]]))
    if len(closed):
        parts.append((POWER_CUT, s[closed], p.mine[s[closed]], False, t[closed], v[closed], restore[closed]))
    li = np.flatnonzero(lst)
    state.cut_open[s[li]] = is_open[li]


def _gas_work(p: _Prep, state: EngineState, ss, tt, vv, first, segid, n_seg, parts: list[tuple]) -> np.ndarray | None:
    fi = np.flatnonzero(first)
    fs = ss[fi]
    gas_here = fs[p.is_gas[fs]]
    feeds_here = fs[p.feed_ptr[fs + 1] > p.feed_ptr[fs]]
    if not len(gas_here) and not len(feeds_here):
        return None
    deg = p.feed_ptr[feeds_here + 1] - p.feed_ptr[feeds_here]
    cand = _unique(np.concatenate((gas_here, p.feed_gas[_ranges(p.feed_ptr[feeds_here], deg)])))
    inv = (state.gas_since[cand] != NEVER) | state.gas_open[cand] | (state.last_value[cand] >= p.cut[cand])
    gas_rows = np.flatnonzero(p.is_gas[ss])
    over = gas_rows[vv[gas_rows] >= p.cut[ss[gas_rows]]]
    if len(over):
        reached = np.zeros(p.n, dtype=bool)
        reached[ss[over]] = True
        inv |= reached[cand]
    g = cand[inv]
    if not len(g):
        return None
    f = p.feed[g]
    ga, gb = np.searchsorted(ss, g, "left"), np.searchsorted(ss, g, "right")
    fa, fb = np.searchsorted(ss, f, "left"), np.searchsorted(ss, f, "right")
    n_pair = len(g)
    starts = np.stack((ga, fa), axis=1).ravel()
    lens = np.stack((gb - ga, fb - fa), axis=1).ravel()
    rows = _ranges(starts, lens)
    pair = np.repeat(np.repeat(np.arange(n_pair), 2), lens)
    src = np.repeat(np.tile(np.array([0, 1], np.int8), n_pair), lens)
    t = tt[rows]
    order = np.lexsort((src, t, pair))
    rows, pair, src, t = rows[order], pair[order], src[order], t[order]
    v = vv[rows]
    pfirst, _ = _edges(pair)
    seg0 = _seg_start(pfirst)
    idx = np.arange(len(rows))
    lg = np.maximum.accumulate(np.where(src == 0, idx, -1))
    lf = np.maximum.accumulate(np.where(src == 1, idx, -1))
    gasv = np.where(lg >= seg0, v[lg], state.last_value[g][pair])
    feedv = np.where(lf >= seg0, v[lf], state.last_value[f][pair])
    gend = np.ones(len(rows), dtype=bool)
    gend[:-1] = (pair[1:] != pair[:-1]) | (t[1:] != t[:-1])
    gi = np.flatnonzero(gend)
    gp = pair[gi]
    key = g[gp]
    gt = t[gi]
    gfirst, glast = _edges(gp)
    cut = p.cut[key]
    cond = (gasv[gi] >= cut) & (feedv[gi] > FEED_ON)
    since0, open0 = state.gas_since[key], state.gas_open[key]
    is_open, run_t0, _ = _runs(gfirst, cond, gt, since0, open0, np.full(len(gi), GAS_WORK_GRACE_S, np.int64))
    opened, closed = _transitions(gfirst, is_open, open0)
    for r, flag in ((opened, True), (closed, False)):
        if len(r):
            parts.append((GAS_WORK, key[r], p.mine[key[r]], flag, gt[r], gasv[gi][r], cut[r]))
    li = np.flatnonzero(glast)
    state.gas_since[key[li]] = run_t0[li]
    state.gas_open[key[li]] = is_open[li]
    return g


def _indicators(p: _Prep, s: np.ndarray, m: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(over the cap, active) per (sensor, value) of headcount / electricity sensors."""
    hc = p.is_hc[s]
    over = hc & (x > p.cap[m])
    active = (hc & (x > 0)) | (p.is_elec[s] & (x > p.idle[m]))
    return over, active


def _mine_level(p: _Prep, state: EngineState, ss, tt, vv, first, parts: list[tuple]) -> None:
    rows = np.flatnonzero(p.is_ml[ss])
    if not len(rows):
        return
    s, t, v, fst = ss[rows], tt[rows], vv[rows], first[rows]
    m = p.mine[s]
    over, active = _indicators(p, s, m, v)
    prev_v = _prev(v, fst, state.last_value[s])
    over0, active0 = _indicators(p, s, m, prev_v)
    d_over = over.astype(np.int64) - over0
    d_act = active.astype(np.int64) - active0
    # Counts per mine before the batch, from its headcount / electricity sensors' last values.
    mines = _unique(m)
    base_over = np.zeros(p.n_mines, np.int64)
    base_act = np.zeros(p.n_mines, np.int64)
    base_over[mines], base_act[mines] = _mine_counts(p, state, mines)
    order = np.lexsort((s, t, m))
    s, t, v, m = s[order], t[order], v[order], m[order]
    over, active, d_over, d_act = over[order], active[order], d_over[order], d_act[order]
    mfirst, _ = _edges(m)
    seg0 = _seg_start(mfirst)
    c_over = np.cumsum(d_over)
    c_over = base_over[m] + c_over - (c_over - d_over)[seg0]
    c_act = np.cumsum(d_act)
    c_act = base_act[m] + c_act - (c_act - d_act)[seg0]
    gend = np.ones(len(s), dtype=bool)
    gend[:-1] = (m[1:] != m[:-1]) | (t[1:] != t[:-1])
    gi = np.flatnonzero(gend)
    gm = m[gi]
    gstart = np.concatenate(([0], gi[:-1] + 1))
    gfirst, glast = _edges(gm)
    li = np.flatnonzero(glast)
    for code, cond, ind, open_all in (
        (OVER_HEADCOUNT, c_over[gi] > 0, over, state.over_open),
        (HIDDEN_OPERATION, p.halted[gm] & (c_act[gi] > 0), active, state.hidden_open),
    ):
        open0 = open_all[gm]
        opened, closed = _transitions(gfirst, cond, open0)
        if len(opened):
            pos = np.flatnonzero(ind)
            j = np.searchsorted(pos, gi[opened], "right") - 1
            cand = pos[np.maximum(j, 0)] if len(pos) else gi[opened]
            pick = np.where((j >= 0) & (cand >= gstart[opened]), cand, gi[opened])
            parts.append((code, -1, m[pick], True, t[pick], v[pick], _ml_threshold(p, code, s[pick], m[pick])))
        if len(closed):
            r = gi[closed]
            parts.append((code, -1, m[r], False, t[r], v[r], _ml_threshold(p, code, s[r], m[r])))
        open_all[gm[li]] = cond[li]


def _ml_threshold(p: _Prep, code: int, s: np.ndarray, m: np.ndarray) -> np.ndarray:
    if code == OVER_HEADCOUNT:
        return p.cap[m]
    return np.where(p.is_elec[s], p.idle[m], 0.0)


# --- clock -----------------------------------------------------------------------------------


def check_clock(sensors: SensorTable, mines: MineTable, state: EngineState, now: int) -> tuple[EngineState, Events]:
    """Stale sensors and mine-wide communication loss at ``now`` (epoch seconds).

    A sensor is stale when ``now - last_ts > stale_after`` (never heard: counted from
    ``state.created``). A mine all of whose sensors are stale gets one comm_loss alarm, which
    inhibits (does not open) the per-sensor stale alarms of that mine; those already open stay.
    Updates ``state`` in place."""
    p = _prepare(sensors, mines)
    _ensure_width(state, p.width)
    now = int(now)
    ref = np.where(state.last_ts == NEVER, state.created, state.last_ts)
    stale = now - ref > p.stale_after
    fresh = np.bincount(p.mine, weights=~stale, minlength=p.n_mines)
    all_stale = p.mine_has_sensors & (fresh == 0)
    parts: list[tuple] = []
    for rows, flag in ((np.flatnonzero(all_stale & ~state.comm_open), True),
                       (np.flatnonzero(~all_stale & state.comm_open), False)):
        if len(rows):
            parts.append((COMM_LOSS, -1, rows, flag, now, np.nan, np.nan))
            state.comm_open[rows] = flag
    opening = np.flatnonzero(stale & ~state.stale_open & ~all_stale[p.mine])
    closing = np.flatnonzero(~stale & state.stale_open)
    for rows, flag in ((opening, True), (closing, False)):
        if len(rows):
            parts.append((STALE, rows, p.mine[rows], flag, now, np.nan, p.stale_after[rows].astype(np.float64)))
            state.stale_open[rows] = flag
            state.refresh(rows)
    return state, Events.build(parts)
