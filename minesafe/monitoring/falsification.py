"""Detection of falsified monitoring data (安全监控系统造假), pure numpy, one detector per
``FalsificationPattern``; every flag carries a Chinese explanation with the numbers behind it.

Why: seed-002 三 orders mines caught 安全监控系统造假 (and hidden working faces, cheating during
rectification) to be halted for rectification; seed-002 四 orders mines with high gas readings stopped;
seed-004 tasks 25–26 ask regulators to use monitoring and electricity data (用电量监测) to find
violation clues first and to strike at 七假五超三瞒三不两包 (DOMAIN §8). DOMAIN §5 engine notes: treat
status bit 4 (标校) windows apart, and "frequent 标校 flags, or flat-lined values, are fraud signals";
DOMAIN §4.3: methane over-limit power cut within 2 s, no altering or hiding monitoring data
(条例 Art. 26); DOMAIN §4.2: alarm / cut / restore levels per location.

Input is one mine's :class:`Streams` (readings on a regular grid, nan = missing, DOMAIN §5 status
bitmask). Readings with status bits 4 / 8 / 16 / 32 / 64 / 128 (calibrating, over range, outstation
fault, not polled, paused, sensor fault) are left out: a fault the system itself reports is not a
fake. The detectors:

``flat_line``   rolling roughness (mean absolute step, cumulative sums) and spread far below the
                sensor's and its type's typical noise, for at least an hour.
``clipped``     in an hour window the readings pile up at a ceiling just under the alarm level and
                never reach it (mass at the window maximum versus the bins below it).
``level_shift`` robust affine fit of a CH₄ sensor to each neighbour of its working area (or to the
                mine's other CH₄ sensors): a real change of production or ventilation moves all of them,
                a tampered sensor reads a factor under its prediction for hours.
``replay``      hashes of quantised first differences over 10-minute windows; equal hashes across
                sensors or days (verified element-wise) are copies — sensor noise never repeats.
``gas_airflow`` CH₄ ∝ emission / airflow: when a working area's airflow drops while production
                (electricity) goes on, its CH₄ must rise by the same factor; the emission proxy CH₄ ×
                wind speed, regressed on electricity, must not fall.
``missing_cut`` CH₄ at or above the cut level while the linked feed sensor still shows power after
                the 2 s interlock time.

When the same window of a sensor fits several patterns it is reported once, as the most specific
(``_PRECEDENCE``). :func:`evaluate` scores the detectors on the labelled data of
``simulator.random_events`` (:func:`evaluation_dataset`). Parameters (:class:`Params`) were tuned on
training seeds 0–19 only; ``manage.py falsification_eval`` reports held-out seeds 1000–1019.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "DEFAULT_PARAMS",
    "PATTERNS",
    "Flag",
    "Params",
    "PatternScore",
    "SensorMeta",
    "Streams",
    "detect_all",
    "detect_clipped",
    "detect_flat_line",
    "detect_gas_airflow",
    "detect_level_shift",
    "detect_missing_cut",
    "detect_replay",
    "evaluate",
    "evaluation_dataset",
]

NAN = math.nan
PATTERNS = ("flat_line", "clipped", "level_shift", "replay", "gas_airflow", "missing_cut")

# Status bits that make a reading unusable for the detectors (DOMAIN §5 point-status bitmask):
# 4 标校 (calibrating), 8 超量程, 16 分站故障, 32 不巡检, 64 暂停, 128 传感器故障. Bits 1 (报警) and 2 (断电)
# describe the value itself and are kept.
UNUSABLE_STATUS = 4 | 8 | 16 | 32 | 64 | 128
CALIBRATING = 4
_DISCRETE_KINDS = frozenset({"feed", "headcount", "smoke"})
_RELATIVE_KINDS = frozenset({"wind_speed", "electricity"})  # noise scales with the value
_FLOOR_KINDS = frozenset({"ch4", "co"})  # fresh air reads 0 (the bottom of the range) for hours
UNITS = {"ch4": "%", "co": "ppm", "o2": "%", "temperature": "℃", "wind_speed": " m/s", "electricity": " kW",
         "water_level": " m", "phreatic_line": " m", "dry_beach": " m", "displacement": " mm/d", "headcount": " 人"}
_CST = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class SensorMeta:
    """What the detectors know about a measuring point: its type, where it hangs, its thresholds, the
    working area (``group``: the sensors of one face or heading share its airflow and gas emission),
    the feed (馈电) sensor its power cut acts on and its display resolution."""

    code: str
    kind: str
    location: str = "other"
    group: str = ""
    place: str = ""
    alarm_high: float = NAN
    alarm_low: float = NAN
    cut_high: float = NAN
    restore_high: float = NAN
    feed: str = ""
    resolution: float = 0.0  # 0 = infer from the data


@dataclass(frozen=True)
class Streams:
    """One mine's readings on a regular time grid: ``values[i, t]`` is sensor ``i`` at ``ts[t]`` (nan =
    no reading), ``status`` its DOMAIN §5 bitmask (zeros when omitted)."""

    sensors: tuple[SensorMeta, ...]
    ts: np.ndarray
    values: np.ndarray
    status: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.status is None:
            object.__setattr__(self, "status", np.zeros(self.values.shape, dtype=np.int32))
        if self.values.shape != (len(self.sensors), len(self.ts)):
            raise ValueError("values must be (sensors, times)")

    @property
    def step(self) -> int:
        return int(self.ts[1] - self.ts[0]) if len(self.ts) > 1 else 1

    def index(self, code: str) -> int:
        for i, s in enumerate(self.sensors):
            if s.code == code:
                return i
        raise KeyError(code)

    @classmethod
    def from_readings(cls, sensors: Sequence[SensorMeta], sensor: np.ndarray, ts: np.ndarray, value: np.ndarray,
                      status: np.ndarray | None = None, step: int = 10, start: int | None = None,
                      end: int | None = None) -> Streams:
        """Put long-form readings (sensor index, epoch s, value, status) on a grid of ``step`` s; the
        last reading of a sensor inside a grid cell wins, cells without one are nan."""
        sensor, ts, value = np.asarray(sensor, np.int64), np.asarray(ts, np.int64), np.asarray(value, np.float64)
        status = np.zeros(len(ts), np.int32) if status is None else np.asarray(status, np.int32)
        t0 = int(ts.min()) // step * step if start is None else int(start)
        t1 = int(ts.max()) + 1 if end is None else int(end)
        n = max(2, -(-(t1 - t0) // step))
        grid = t0 + step * np.arange(n, dtype=np.int64)
        cell = (ts - t0) // step
        keep = (cell >= 0) & (cell < n)
        order = np.lexsort((ts[keep], cell[keep], sensor[keep]))
        s_k, c_k = sensor[keep][order], cell[keep][order]
        values = np.full((len(sensors), n), np.nan)
        stat = np.zeros((len(sensors), n), np.int32)
        values[s_k, c_k] = value[keep][order]  # later assignments win: the last reading in the cell
        stat[s_k, c_k] = status[keep][order]
        return cls(sensors=tuple(sensors), ts=grid, values=values, status=stat)


@dataclass(frozen=True)
class Flag:
    """One suspicion: sensor, pattern (FalsificationPattern value), window in epoch seconds, a score in
    (0, 1] (higher = stronger), the Chinese explanation and the numbers behind it."""

    sensor_code: str
    pattern: str
    window_start: int
    window_end: int
    score: float
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Params:
    """Detector parameters; the defaults were tuned on training seeds 0–19 (see module docstring)."""

    block_s: int = 600  # aggregation block for the change-point tests
    # flat_line
    flat_window_s: int = 1800
    flat_ratio: float = 0.25  # roughness below this share of the same-type sensors' typical roughness
    flat_spread: float = 1.5  # and standard deviation below this multiple of it
    flat_min_s: int = 3600
    # clipped
    clip_window_s: int = 3600
    clip_band: float = 0.15  # ceiling within this share of the way from the usual level up to the alarm level
    clip_min_top_s: int = 600  # time at the ceiling within a window
    clip_ratio: float = 1.0  # readings at the ceiling / readings in the 3 bins under it
    # level_shift
    shift_min_drop: float = 0.3  # natural log: 0.3 ≈ down to 74 %
    shift_log_offset: float = 0.02  # % CH₄ added before taking logs (tames ratios of near-zero readings)
    shift_min_level: float = 0.1  # predicted CH₄ %; hiding 0.05 % is pointless
    shift_min_abs: float = 0.05  # and the shortfall itself, in % CH₄
    shift_min_s: int = 3600
    shift_pair_mine_share: float = 0.5  # with one neighbour: share of the drop also needed against the mine
    shift_calibration_guard_s: int = 1800
    # replay
    replay_window_s: int = 600
    replay_min_s: int = 1800
    # gas_airflow
    airflow_block_s: int = 300
    airflow_detect_s: int = 1800  # before / after medians that find the airflow drop
    airflow_window_s: int = 7200
    airflow_min_drop: float = 0.2  # natural log of the wind-speed ratio (≈ −18 %)
    airflow_min_residual: float = 0.2  # fall of the emission proxy: CH₄ short of its expected rise (log)
    airflow_max_power_drop: float = 0.15  # production goes on: electricity fell less than this (log)
    # missing_cut
    interlock_s: int = 2  # DOMAIN §4.3: over-limit power cut ≤ 2 s
    missing_cut_min_s: int = 20


DEFAULT_PARAMS = Params()


# --------------------------------------------------------------------------------------- helpers


def _when(ts: int) -> str:
    return dt.datetime.fromtimestamp(int(ts), _CST).strftime("%m-%d %H:%M")


def _name(s: SensorMeta) -> str:
    return f"{s.code}（{s.place}）" if s.place else s.code


def _fmt(v: float, s: SensorMeta) -> str:
    res = s.resolution or 0.01
    digits = max(0, min(4, -math.floor(math.log10(res)) if res < 1 else 0))
    return f"{v:.{digits}f}{UNITS.get(s.kind, '')}"


def _quiet(fn: Callable[..., list[Flag]]) -> Callable[..., list[Flag]]:
    """Silence numpy's warnings about all-nan slices (gaps in the data are normal; results are nan)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> list[Flag]:
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.filterwarnings("ignore", r"(All-NaN slice|Mean of empty slice|Degrees of freedom)",
                                    RuntimeWarning)
            return fn(*args, **kwargs)

    return wrapper


def _num(v: float) -> str:
    """Four significant digits, never in exponent notation (0.0005, 12.35, 2484)."""
    return np.format_float_positional(float(v), precision=4, unique=False, fractional=False, trim="-")


def _usable(st: Streams) -> np.ndarray:
    ok = ~np.isnan(st.values) & ((st.status & UNUSABLE_STATUS) == 0)
    return np.where(ok, st.values, np.nan)


def _resolution(s: SensorMeta, x: np.ndarray) -> float:
    if s.resolution > 0:
        return s.resolution
    d = np.abs(np.diff(x[~np.isnan(x)]))
    d = d[d > 1e-9]
    return float(np.quantile(d, 0.05)) if len(d) else 1e-6


def _runs(mask: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """[start, end) index runs of True, joining runs separated by at most ``max_gap`` False."""
    m = np.concatenate(([False], mask.astype(bool), [False]))
    d = np.diff(m.astype(np.int8))
    starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    out: list[tuple[int, int]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if out and a - out[-1][1] <= max_gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _rolling_sum(x: np.ndarray, w: int) -> np.ndarray:
    """Sums over windows [t, t+w) along the last axis (length n - w + 1)."""
    c = np.concatenate((np.zeros((*x.shape[:-1], 1)), np.cumsum(x, axis=-1)), axis=-1)
    return c[..., w:] - c[..., :-w]


def _blocks(x: np.ndarray, b: int, min_share: float = 0.5) -> np.ndarray:
    """Block means over ``b`` samples along the last axis (nan when less than ``min_share`` valid)."""
    n = x.shape[-1] // b * b
    v = x[..., :n].reshape((*x.shape[:-1], -1, b))
    cnt = (~np.isnan(v)).sum(axis=-1)
    s = np.nansum(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt >= min_share * b, s / np.maximum(cnt, 1), np.nan)


def _two_window(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Median of blocks [b-w, b) and [b, b+w) for every block boundary b (nan near the edges or with
    fewer than half the blocks present)."""
    n = x.shape[-1]
    before = np.full(x.shape, np.nan)
    after = np.full(x.shape, np.nan)
    if n < 2 * w:
        return before, after
    win = sliding_window_view(x, w, axis=-1)  # [..., k, w] = blocks k..k+w-1
    cnt = (~np.isnan(win)).sum(axis=-1)
    med = np.where(cnt * 2 >= w, _nanmedian(win, -1), np.nan)
    before[..., w:] = med[..., : n - w]
    after[..., : n - w + 1] = med
    return before, after


def _local_minima(stat: np.ndarray, limit: float, spacing: int) -> list[int]:
    """Indices where ``stat`` ≤ limit and is the minimum within ±spacing (first one on ties)."""
    s = np.where(np.isnan(stat), np.inf, stat)
    out: list[int] = []
    for a, b in _runs(s <= limit):
        k = a + int(np.argmin(s[a:b]))
        if not out or k - out[-1] > spacing:
            out.append(k)
        elif s[k] < s[out[-1]]:
            out[-1] = k
    return out


# --------------------------------------------------------------------------------------- flat_line


@_quiet
def detect_flat_line(st: Streams, params: Params = DEFAULT_PARAMS) -> list[Flag]:
    """Hours of (near-)constant readings from an analogue sensor (DOMAIN §5 engine notes: flat-lined
    values are a fraud signal). The measure is the roughness of the signal — the mean absolute change
    between consecutive readings over ``flat_window_s`` (cumulative sums), relative to the mean level
    for wind speed and electricity whose noise scales with the value. It reflects sensor noise, which
    is there in quiet maintenance shifts too, rather than process swings. A window is flat when its
    roughness is below ``flat_ratio`` and its standard deviation below ``flat_spread`` times the
    same-type sensors' typical roughness (median over sensors
    of each one's median) or of the sensor's own typical roughness, whichever is lower. Windows resting
    mostly at the bottom of the range (CH₄ / CO ≤ 2 display steps: fresh air) are not evidence."""
    x = _usable(st)
    w = max(3, params.flat_window_s // st.step)
    T = x.shape[1]
    if w + 2 > T:
        return []
    analog = [i for i, s in enumerate(st.sensors) if s.kind not in _DISCRETE_KINDS]
    rough: dict[int, np.ndarray] = {}
    spread: dict[int, np.ndarray] = {}
    typical: dict[int, float] = {}
    for i in analog:
        s = st.sensors[i]
        d = np.abs(np.diff(x[i]))
        ok = ~np.isnan(d)
        n = _rolling_sum(ok.astype(np.float64), w)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = _rolling_sum(np.where(ok, d, 0.0), w) / n
            if s.kind in _RELATIVE_KINDS:
                okx = ~np.isnan(x[i][1:])
                level = _rolling_sum(np.where(okx, np.abs(x[i][1:]), 0.0), w) / np.maximum(
                    _rolling_sum(okx.astype(np.float64), w), 1)
                r = r / np.maximum(level, 1e-9)
        # spread: the rolling standard deviation must be small too — a scaled-down or slowly moving signal
        # can be smooth but still follows the process; a flat line does not
        xo = x[i][1:]
        okx = ~np.isnan(xo)
        nx = _rolling_sum(okx.astype(np.float64), w)
        centred = np.where(okx, xo - (np.nanmean(xo) if okx.any() else 0.0), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.maximum(_rolling_sum(centred**2, w) / nx - (_rolling_sum(centred, w) / nx) ** 2, 0.0)
            sd = np.sqrt(var)
            if s.kind in _RELATIVE_KINDS:
                sd = sd / np.maximum(level, 1e-9)
        spread[i] = sd
        r = np.where(n >= 0.8 * w, r, np.nan)
        if s.kind in _FLOOR_KINDS:
            q = _resolution(s, x[i])
            okx = ~np.isnan(x[i][1:])
            above = _rolling_sum(np.where(okx, x[i][1:] > 2 * q + 1e-9, False).astype(np.float64), w)
            r = np.where(above >= 0.5 * n, r, np.nan)  # mostly at the floor: fresh air, not evidence
        rough[i] = r
        if np.isfinite(r).any():
            typical[i] = float(np.nanmedian(r))
    by_kind: dict[str, list[float]] = {}
    for i, v in typical.items():
        by_kind.setdefault(st.sensors[i].kind, []).append(v)
    flags = []
    for i in analog:
        if i not in typical:
            continue
        s = st.sensors[i]
        kind_ref = float(np.median(by_kind[s.kind]))
        ref = min(kind_ref, typical[i])  # some sensors are quieter than others: judge each by its own noise too
        if ref <= 0:
            continue
        flat_win = (rough[i] < params.flat_ratio * ref) & (spread[i] < params.flat_spread * ref)
        if not flat_win.any():
            continue
        cover = np.zeros(T + 1)
        starts = np.nonzero(flat_win)[0]
        np.add.at(cover, starts, 1)
        np.add.at(cover, starts + w + 1, -1)
        covered = np.cumsum(cover[:-1]) > 0
        limit = params.flat_ratio * ref * (np.abs(np.nanmean(x[i])) if s.kind in _RELATIVE_KINDS else 1.0)
        for a, b in _runs(covered, max_gap=max(1, 300 // st.step)):
            # a window only partly on the flat stretch can pass: trim the run to where the readings
            # themselves stop moving (2-minute roughness under the limit)
            k = max(2, 120 // st.step)
            local = _rolling_sum(np.nan_to_num(np.abs(np.diff(x[i, a:b])), nan=0.0), k) / k if b - a > k + 1 else None
            if local is not None:
                still = np.nonzero(local <= limit)[0]
                if len(still):
                    a, b = a + int(still[0]), a + int(still[-1]) + k + 1
            seg = x[i, a:b]
            d = np.abs(np.diff(seg))
            d = d[~np.isnan(d)]
            vals = seg[~np.isnan(seg)]
            dur = int(st.ts[b - 1] - st.ts[a]) + st.step
            if dur < params.flat_min_s or len(d) < 3:
                continue
            r = float(d.mean())
            if s.kind in _RELATIVE_KINDS:
                r /= max(float(np.abs(vals).mean()), 1e-9)
            share = r / ref
            hours = dur / 3600
            unit = "" if s.kind in _RELATIVE_KINDS else UNITS.get(s.kind, "")
            fmt = (lambda v: f"{v:.2%}") if s.kind in _RELATIVE_KINDS else (lambda v, u=unit: f"{_num(v)}{u}")
            sd = float(vals.std())
            flags.append(Flag(
                s.code, "flat_line", int(st.ts[a]), int(st.ts[b - 1]),
                round(float(min(1.0, 0.5 + hours / 12) * (1 - min(share, 1.0) / 2)), 3),
                f"{_name(s)} 自 {_when(st.ts[a])} 至 {_when(st.ts[b - 1])} 连续 {hours:.1f} 小时读数几乎不变："
                f"相邻读数平均变化 {fmt(r)}，仅为该传感器平时波动 {fmt(typical[i])} 的 {r / typical[i]:.0%}、"
                f"同类传感器中位数 {fmt(kind_ref)} 的 {r / kind_ref:.0%}"
                f"（标准差 {_num(sd)}{UNITS.get(s.kind, '')}，读数在 {_fmt(float(vals.min()), s)}–"
                f"{_fmt(float(vals.max()), s)} 之间）。真实传感器即使在检修班也带有测量噪声，"
                f"长时间“一条直线”是监控数据被固定或替换的典型迹象（也可能是未上报的传感器故障），应现场核查。",
                {"hours": round(hours, 2), "roughness": r, "own_typical_roughness": typical[i],
                 "kind_median_roughness": kind_ref, "ratio": share,
                 "relative": s.kind in _RELATIVE_KINDS, "std": sd, "min": float(vals.min()),
                 "max": float(vals.max()), "n": len(vals),
                 "basis": "DOMAIN §5 engine notes (flat-lined values); seed-002 三 安全监控系统造假"},
            ))
    return flags


# --------------------------------------------------------------------------------------- clipped


@_quiet
def detect_clipped(st: Streams, params: Params = DEFAULT_PARAMS) -> list[Flag]:
    """Readings capped just under the alarm level (上限报警) — or just above a lower alarm level — so the
    alarm and the power cut never come. Windows of ``clip_window_s`` (stepped by ``block_s``) are
    candidates when their maximum stays under the level but within ``clip_band`` of the way up to it
    from the sensor's usual (median) reading. The readings within 1.5 display steps of the window
    maximum are compared with those in the next three steps below: a smooth peak has few readings at
    its very top, a clipped series piles up there (at least ``clip_min_top_s`` of them and
    ``clip_ratio`` times as many as just below)."""
    x = _usable(st)
    w = max(6, params.clip_window_s // st.step)
    hop = max(1, params.block_s // st.step)
    flags = []
    for i, s in enumerate(st.sensors):
        if s.kind in _DISCRETE_KINDS:
            continue
        for side, level in ((1.0, s.alarm_high), (-1.0, s.alarm_low)):
            if math.isnan(level) or x.shape[1] < w:
                continue
            q = _resolution(s, x[i])
            v = side * x[i]
            lim = side * level
            usual = float(np.nanmedian(v)) if (~np.isnan(v)).any() else lim
            if usual >= lim:
                continue
            win = sliding_window_view(v, w)[::hop]
            cnt = (~np.isnan(win)).sum(axis=1)
            with np.errstate(invalid="ignore"):
                top = np.max(np.where(np.isnan(win), -np.inf, win), axis=1)
                band = (lim - usual) * params.clip_band
                cand = (cnt >= w // 2) & (top < lim) & (top >= lim - band)
                at_top = (win >= (top - 1.5 * q)[:, None]).sum(axis=1)
                below = ((win < (top - 1.5 * q)[:, None]) & (win >= (top - 4.5 * q)[:, None])).sum(axis=1)
            hit = (cand & (at_top * st.step >= params.clip_min_top_s)
                   & (at_top >= params.clip_ratio * np.maximum(below, 1)))
            if not hit.any():
                continue
            cover = np.zeros(len(v) + 1)
            starts = np.nonzero(hit)[0] * hop
            np.add.at(cover, starts, 1)
            np.add.at(cover, np.minimum(starts + w, len(v)), -1)
            covered = np.cumsum(cover[:-1]) > 0
            for a, b in _runs(covered):
                seg = v[a:b]
                ceiling = float(np.nanmax(seg))
                at = np.nonzero(seg >= ceiling - 1.5 * q)[0]
                n_at = len(at)
                n_band = int(np.sum((seg < ceiling - 1.5 * q) & (seg >= ceiling - 4.5 * q)))
                lo, hi = a + int(at[0]), a + int(at[-1])
                real_ceiling = side * ceiling
                gap = abs(level - real_ceiling) / abs(level) if level else 0.0
                where = "之下" if side > 0 else "之上"
                flags.append(Flag(
                    s.code, "clipped", int(st.ts[lo]), int(st.ts[hi]),
                    round(float(min(1.0, n_at / max(1, n_at + n_band)) * 0.5 + min(0.5, n_at * st.step / 7200)), 3),
                    f"{_name(s)} 在 {_when(st.ts[lo])}–{_when(st.ts[hi])} 有 {n_at} 个读数"
                    f"（约 {n_at * st.step / 60:.0f} 分钟）紧贴 {_fmt(real_ceiling, s)}，比报警值 {_fmt(level, s)} "
                    f"差 {gap:.0%}，期间从未达到报警值；其下方相邻区间只有 {n_band} 个读数。"
                    f"正常读数的峰值是平滑起伏的，"
                    f"读数在报警值{where}堆成“平顶”，说明超限数值可能被人为削平以躲避报警和断电。",
                    {"ceiling": real_ceiling, "alarm_level": level, "at_ceiling": n_at, "just_below": n_band,
                     "gap_share": gap, "side": "high" if side > 0 else "low",
                     "basis": "DOMAIN §4.2 alarm levels; §4.3 no altering of monitoring data; seed-002 三"},
                ))
    return flags


# --------------------------------------------------------------------------------------- level_shift


def _nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(a, axis=axis)


def _affine_fit(y: np.ndarray, x: np.ndarray) -> tuple[float, float] | None:
    """Theil–Sen fit y ≈ a + b·x on the pairs present (median of pairwise slopes, then median
    intercept): robust to a falsified stretch covering up to about a quarter of the data."""
    ok = ~np.isnan(y) & ~np.isnan(x)
    if ok.sum() < 12:
        return None
    xs, ys = x[ok], y[ok]
    if len(xs) > 400:  # evenly thinned: 400² pairs are plenty
        pick = np.linspace(0, len(xs) - 1, 400).astype(np.int64)
        xs, ys = xs[pick], ys[pick]
    dx = xs[None, :] - xs[:, None]
    dy = ys[None, :] - ys[:, None]
    upper = np.triu(np.abs(dx) > 1e-12, 1)
    if not upper.any():
        return None
    b = float(np.median(dy[upper] / dx[upper]))
    a = float(np.median(y[ok] - b * x[ok]))
    return a, b


@_quiet
def detect_level_shift(st: Streams, params: Params = DEFAULT_PARAMS) -> list[Flag]:
    """A CH₄ sensor reading a factor lower than its neighbours say it should, for a sustained time.

    Readings of one working area move together (CH₄ = emission / airflow at every point of the area,
    times a location factor, plus background). On 10-minute block means each sensor is fitted to each
    neighbour of its area by a robust (Theil–Sen) affine fit c_i ≈ a + b·c_j over the whole span, which
    a falsified stretch does not bend; a sensor alone in its area (total return) is fitted to the mean
    of the mine's other CH₄ sensors (total emission / total airflow). The residual is the log-ratio of
    the reading to its prediction (``shift_log_offset`` added to both), smoothed over an hour: a
    production or ventilation change moves the whole area and leaves it near 0, a tampered sensor
    falls alone. A shift is a run of at least ``shift_min_s`` where

    * the median residual is ≤ −``shift_min_drop`` with ≥ 2/3 of the neighbours agreeing;
    * with a single neighbour (a pair cannot tell which one moved), the residual against the mean of
      the mine's other areas is ≤ −``shift_pair_mine_share`` × ``shift_min_drop`` too;
    * the reading and its residual both fall abruptly at the onset (30-minute medians; the residual
      against the rest of the mine where the neighbours have no data): a frozen reading that its
      neighbours leave behind is a flat line, a slow drift is no tampering;
    * the predicted reading is at least ``shift_min_level`` and the shortfall at least
      ``shift_min_abs`` for half of ``shift_min_s`` (nothing to hide otherwise).

    Blocks with a calibration (标校, status bit 4) are left out, and so is a low stretch that a
    calibration ends within ``shift_calibration_guard_s`` (the drift it corrected)."""
    b = max(1, params.block_s // st.step)
    x = _usable(st)
    m = _blocks(x, b)
    n_blocks = m.shape[1]
    smooth = max(1, 3600 // params.block_s)
    if n_blocks < 4 * smooth:
        return []
    cal = _blocks(((st.status & CALIBRATING) != 0).astype(np.float64), b, 0.0) > 0
    m = np.where(cal, np.nan, m)
    guard = max(1, params.shift_calibration_guard_s // params.block_s)
    eps = params.shift_log_offset
    drop = params.shift_min_drop
    ch4 = [i for i, s in enumerate(st.sensors) if s.kind == "ch4" and s.location != "face_intake"]

    def residual(i: int, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        fit = _affine_fit(m[i], ref)
        if fit is None:
            return None
        pred = np.maximum(fit[0] + fit[1] * ref, 0.0)
        return np.log(np.maximum(m[i], 0.0) + eps) - np.log(pred + eps), pred

    def rolling_median(a: np.ndarray) -> np.ndarray:
        pad = np.concatenate((np.full((*a.shape[:-1], smooth // 2), np.nan), a,
                              np.full((*a.shape[:-1], smooth - 1 - smooth // 2), np.nan)), axis=-1)
        return _nanmedian(sliding_window_view(pad, smooth, axis=-1), -1)

    flags = []
    for i in ch4:
        s = st.sensors[i]
        group = [j for j in ch4 if j != i and s.group and st.sensors[j].group == s.group]
        others = [j for j in ch4 if j != i and st.sensors[j].group != s.group]
        agg = np.nanmean(m[others], axis=0) if others else None
        fits = [r for r in (residual(i, m[j]) for j in (group or [])) if r is not None]
        if not fits and agg is not None:
            r = residual(i, agg)
            fits = [r] if r is not None else []
        if not fits:
            continue
        raw_z = _nanmedian(np.stack([f[0] for f in fits]), 0)
        res = rolling_median(np.stack([f[0] for f in fits]))
        pred = _nanmedian(np.stack([f[1] for f in fits]), 0)
        with np.errstate(invalid="ignore"):
            agree = np.nanmean(np.where(np.isnan(res), np.nan, res <= -drop / 2), axis=0) >= 2 / 3
        z = _nanmedian(res, 0)
        bad = agree & (z <= -drop)
        raw_mine = np.full(n_blocks, np.nan)
        if group and agg is not None:
            # with a single neighbour the pair cannot tell which one moved: the rest of the mine decides
            r = residual(i, agg)
            if r is not None:
                raw_mine = r[0]
                if len(group) == 1:
                    bad &= rolling_median(r[0][None, :])[0] <= -drop * params.shift_pair_mine_share

        def jump(series: np.ndarray, k: int) -> float:
            return float(np.nanmedian(series[k:k + 3]) - np.nanmedian(series[k - 3:k]))

        logm_i = np.log(np.maximum(m[i], 0.0) + eps)
        for a, e in _runs(bad | (np.isnan(z) & (np.arange(n_blocks) > 0)), max_gap=2):
            while a < e and not bad[a]:
                a += 1
            while e > a and not bad[e - 1]:
                e -= 1
            if e <= a:
                continue
            t0, t1 = int(st.ts[a * b]), int(st.ts[min(e * b, len(st.ts)) - 1])
            seen, expected = float(np.nanmedian(m[i, a:e])), float(np.nanmedian(pred[a:e]))
            with np.errstate(invalid="ignore"):
                worth = (pred[a:e] >= params.shift_min_level) & (pred[a:e] - m[i, a:e] >= params.shift_min_abs)
            if t1 - t0 + 1 < params.shift_min_s or worth.sum() * params.block_s < params.shift_min_s / 2:
                continue
            # the reading itself must fall abruptly at the onset (30-minute medians either side); a frozen
            # (flat-lined) reading that its neighbours leave behind is the flat-line pattern, not a shift
            # ... and so must its residual (a slow drift before a calibration is no shift)
            k0, k1 = max(3, a - smooth), min(n_blocks - 3, e)
            onset = [k for k in range(k0, k1 + 1)
                     if np.nanmedian(logm_i[k:k + 3]) - np.nanmedian(logm_i[k - 3:k]) <= -drop / 2
                     and (jump(raw_z, k) if not np.isnan(jump(raw_z, k)) else jump(raw_mine, k)) <= -drop / 2]
            if not onset:
                continue
            # a calibration (标校) corrects drift: a low stretch that a calibration ends was drift
            if cal[i, max(0, e - 1):e + guard].any():
                continue
            t0 = min(t0, int(st.ts[onset[0] * b]))
            factor = float(np.exp(np.nanmedian(z[a:e])))
            refs = group or others
            names = "、".join(st.sensors[j].code for j in refs[:4]) + ("等" if len(refs) > 4 else "")
            where = "同一区域" if group else "全矿其他甲烷传感器"
            flags.append(Flag(
                s.code, "level_shift", t0, t1, round(float(min(1.0, 1 - factor)), 3),
                f"{_name(s)} 在 {_when(t0)}–{_when(t1)}（{(t1 - t0) / 3600:.1f} 小时）读数明显低于按{where} {names} "
                f"推算的应有值：中位数 {_fmt(seen, s)}，应为约 {_fmt(expected, s)}（相对偏低至 {factor:.0%}），"
                f"而此前此后两者一直同步变化。生产或通风变化会让同一区域的传感器一起变化，单个甲烷传感器突然“降档”"
                f"提示其被移位、遮挡或数据被改小。",
                {"factor": factor, "reading_median": seen, "expected_median": expected,
                 "references": [st.sensors[j].code for j in refs],
                 "basis": "seed-002 三 安全监控系统造假; seed-004 task 25"},
            ))
    return flags


# --------------------------------------------------------------------------------------- replay


_HASH_W = np.random.default_rng(20240601).integers(1, 2**63 - 1, 4096, dtype=np.int64).astype(np.uint64) | np.uint64(1)


@_quiet
def detect_replay(st: Streams, params: Params = DEFAULT_PARAMS) -> list[Flag]:
    """Identical or replayed sequences across sensors or days. Readings are quantised to the display
    resolution, differenced (so an offset copy matches too) and hashed over every ``replay_window_s``
    window that carries information (≥ 1/3 non-zero steps and a spread of ≥ 2 steps: flat stretches
    are the flat-line detector's business). Equal hashes between two sensors, or within one sensor at
    different times, are verified element-wise and chained; ``replay_min_s`` of matching data is a
    copy, because sensor noise never repeats. The copy is attributed to the later sequence; for
    copies at the same moment, to the sensor whose data jump at the window edges (the splice)."""
    x = _usable(st)
    L = max(8, params.replay_window_s // st.step)
    S, T = x.shape
    if T < L + 2:
        return []
    quant = np.zeros((S, T), dtype=np.int64)
    valid = ~np.isnan(x)
    rows = []
    for i, s in enumerate(st.sensors):
        if s.kind in _DISCRETE_KINDS or not valid[i].any():
            continue
        q = _resolution(s, x[i])
        quant[i] = np.where(valid[i], np.round(np.nan_to_num(x[i]) / q), 0).astype(np.int64)
        rows.append(i)
    hashes, who, where = [], [], []
    w = _HASH_W[:L]
    for i in rows:
        d = np.diff(quant[i])
        dv = valid[i][1:] & valid[i][:-1]
        win = sliding_window_view(d, L)
        good = _rolling_sum(dv.astype(np.float64), L) >= L
        nz = _rolling_sum((d != 0).astype(np.float64), L)
        spread = win.max(axis=1) - win.min(axis=1)
        info = good & (nz >= L / 3) & (spread >= 2)
        pos = np.nonzero(info)[0]
        if not len(pos):
            continue
        h = win[pos].astype(np.uint64) @ w
        hashes.append(h)
        who.append(np.full(len(pos), i, dtype=np.int64))
        where.append(pos.astype(np.int64))
    if not hashes:
        return []
    h = np.concatenate(hashes)
    s_of = np.concatenate(who)
    p_of = np.concatenate(where)
    order = np.argsort(h, kind="stable")
    h, s_of, p_of = h[order], s_of[order], p_of[order]
    same = np.nonzero(h[1:] == h[:-1])[0]
    if not len(same):
        return []
    pairs: dict[tuple[int, int, int], list[int]] = {}
    # equal-hash groups: pair every member with the previous ones (groups are tiny: ≤ a few copies)
    grp_start = np.concatenate(([0], np.nonzero(h[1:] != h[:-1])[0] + 1))
    grp_end = np.concatenate((grp_start[1:], [len(h)]))
    big = np.nonzero(grp_end - grp_start >= 2)[0]
    for g in big.tolist():
        a0, a1 = int(grp_start[g]), int(grp_end[g])
        members = sorted(zip(p_of[a0:a1].tolist(), s_of[a0:a1].tolist(), strict=True))[:8]
        for u in range(len(members)):
            for v in range(u + 1, len(members)):
                (pa, sa), (pb, sb) = members[u], members[v]
                if sa == sb and pb - pa < L:
                    continue
                if pa == pb and sa > sb:
                    sa, sb = sb, sa
                pairs.setdefault((sa, sb, pb - pa), []).append(pb)
    flags = []
    for (sa, sb, lag), pos_b in pairs.items():
        pos_b = np.unique(np.asarray(pos_b))
        for ra, rb in _runs(np.isin(np.arange(pos_b.min(), pos_b.max() + 1), pos_b), max_gap=L):
            b0 = int(pos_b.min()) + ra
            b1 = int(pos_b.min()) + rb - 1 + L  # last diff index covered
            a0 = b0 - lag
            n = b1 - b0 + 1
            if n * st.step < params.replay_min_s:
                continue
            da = np.diff(quant[sa, a0:a0 + n + 1])
            db = np.diff(quant[sb, b0:b0 + n + 1])
            agree = float(np.mean(da == db))
            if agree < 0.9:
                continue  # hash collision
            target, source, t_pos, s_pos = sb, sa, b0, a0
            if lag == 0:
                def splice(i: int, p: int, n: int = n) -> float:
                    d = np.abs(np.diff(quant[i]))
                    typical = float(np.median(d[d > 0])) if (d > 0).any() else 1.0
                    edges = [abs(int(quant[i, p]) - int(quant[i, p - 1])) if p > 0 else 0,
                             abs(int(quant[i, min(p + n + 1, T - 1)]) - int(quant[i, min(p + n, T - 1)]))]
                    return sum(edges) / typical
                if splice(sa, a0) > splice(sb, b0):
                    target, source = sa, sb
            tgt, src = st.sensors[target], st.sensors[source]
            off = float(np.nanmedian(x[target, t_pos:t_pos + n + 1] - x[source, s_pos:s_pos + n + 1]))
            hours = n * st.step / 3600
            if lag == 0:
                when = "同一时段"
            elif lag * st.step % 86400 == 0:
                when = f"{lag * st.step // 86400} 天前同一时段"
            else:
                when = f"{lag * st.step / 3600:.1f} 小时前"
            how = "数值完全一致" if abs(off) < 1e-9 else f"整体平移 {off:+.4g}{UNITS.get(tgt.kind, '')}"
            src_txt = "自身" if source == target else _name(src)
            flags.append(Flag(
                tgt.code, "replay", int(st.ts[t_pos]), int(st.ts[min(t_pos + n, T - 1)]),
                round(float(min(1.0, 0.5 + hours / 4)), 3),
                f"{_name(tgt)} 在 {_when(st.ts[t_pos])}–{_when(st.ts[min(t_pos + n, T - 1)])} 的 {n + 1} 个读数"
                f"（{hours:.1f} 小时）与{src_txt}{when}（{_when(st.ts[s_pos])} 起）的读数逐点变化完全相同"
                f"（{agree:.0%} 的相邻差值一致，{how}）。真实传感器的噪声不会重复出现，"
                f"这是用其他传感器或历史数据复制冒充实时数据的迹象。",
                {"source": src.code, "source_start": int(st.ts[s_pos]), "lag_s": int(lag * st.step),
                 "offset": off, "samples": int(n + 1), "agreement": agree,
                 "basis": "seed-002 三 安全监控系统造假; DOMAIN §4.3 no altering of monitoring data"},
            ))
    return _dedupe(flags)


def _dedupe(flags: list[Flag]) -> list[Flag]:
    """Keep one flag per sensor and overlapping window (the highest score)."""
    flags = sorted(flags, key=lambda f: (f.sensor_code, f.window_start))
    out: list[Flag] = []
    for f in flags:
        if out and out[-1].sensor_code == f.sensor_code and f.window_start <= out[-1].window_end:
            if f.score > out[-1].score:
                out[-1] = f
            continue
        out.append(f)
    return out


# --------------------------------------------------------------------------------------- gas_airflow


@_quiet
def detect_gas_airflow(st: Streams, params: Params = DEFAULT_PARAMS) -> list[Flag]:
    """CH₄ inconsistent with airflow and production. In a working area CH₄ = emission / airflow, so
    when the area's wind speed drops by a factor while production goes on, CH₄ must rise by the inverse
    factor. On 10-minute block means, a drop of the wind speed by at least ``airflow_min_drop`` (log,
    one-hour medians before / after) starts a low-airflow period that lasts while the wind stays low;
    the period (up to ``airflow_window_s``) is compared with the ``airflow_window_s`` before it (the
    transition block left out). The quantity compared is the emission proxy CH₄ × wind speed of each
    of the area's CH₄ sensors as a log-residual of a robust affine fit to mine electricity (production):
    honest data keep it level through any airflow change. Flagged when production went on (electricity
    fell by less than ``airflow_max_power_drop``, log) and the area's emission proxy fell by at least
    ``airflow_min_residual`` (log, median over the area's sensors), i.e. CH₄ did not rise as it must.
    Without an electricity sensor the plain CH₄ and wind changes are used."""
    b = max(1, params.airflow_block_s // st.step)
    w = max(2, params.airflow_detect_s // params.airflow_block_s)
    span = max(2, params.airflow_window_s // params.airflow_block_s)
    x = _usable(st)
    m = _blocks(x, b)
    nb = m.shape[1]
    if nb < 2 * w + 1:
        return []
    elec = [i for i, s in enumerate(st.sensors) if s.kind == "electricity"]
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(st.sensors):
        if s.group:
            groups.setdefault(s.group, []).append(i)

    def mean(a: np.ndarray) -> float:
        a = a[~np.isnan(a)]
        return float(a.mean()) if len(a) else math.nan

    flags = []
    for g, members in groups.items():
        wind = [i for i in members if st.sensors[i].kind == "wind_speed"]
        ch4 = [i for i in members if st.sensors[i].kind == "ch4" and st.sensors[i].location != "face_intake"]
        if not wind or not ch4 or st.sensors[wind[0]].location == "total_return":
            continue
        v = m[wind[0]]
        lv = np.log(np.maximum(v, 1e-3))
        # emission proxy CH₄ × wind speed (∝ CH₄ × airflow) of each sensor, as a log-residual of its robust
        # affine fit to the mine's electricity (production): ≈ 0 in honest data whatever the airflow
        emission: list[np.ndarray] | None = None
        if elec:
            emission = []
            for i in ch4:
                y = np.maximum(m[i], 0.02) * v
                fit = _affine_fit(y, m[elec[0]])
                if fit is None:
                    emission = None
                    break
                pred = fit[0] + fit[1] * m[elec[0]]
                with np.errstate(invalid="ignore", divide="ignore"):
                    emission.append(np.where((y > 0) & (pred > 0), np.log(y / pred), np.nan))
        vb, va = _two_window(lv[None, :], w)
        for k in _local_minima((va - vb)[0], -params.airflow_min_drop, w):
            pre = float(vb[0, k])
            low = lv <= pre - params.airflow_min_drop / 2
            low[:k] = False
            run = [r for r in _runs(np.where(np.isnan(lv), True, low), max_gap=1) if r[0] <= k < r[1]]
            end = run[0][1] if run else k + w
            after = slice(k + 1, max(k + 1, end - 1))  # the low-airflow period, transitions left out
            before = np.zeros(nb, dtype=bool)  # normal airflow on both sides of it, where present
            before[max(0, k - span):max(0, k - 1)] = True
            before[min(nb, end + 1):min(nb, end + 1 + span)] = True
            if after.stop - after.start < w // 2 or before.sum() < w // 2:
                continue
            v0, v1 = mean(v[before]), mean(v[after])
            dv = math.log(v1 / v0)
            if not dv <= -params.airflow_min_drop:
                continue
            de = math.nan
            e0 = e1 = math.nan
            if elec:
                e0, e1 = mean(m[elec[0], before]), mean(m[elec[0], after])
                de = math.log(e1 / e0) if e0 > 0 and e1 > 0 else math.nan
            if not np.isnan(de) and de < -params.airflow_max_power_drop:
                continue  # production fell too: less gas is no contradiction
            c0 = np.array([mean(m[i, before]) for i in ch4])
            c1 = np.array([mean(m[i, after]) for i in ch4])
            ok = (c0 >= 0.05) & (c1 > 0)  # readings near zero (fresh air, zero drift) say nothing
            if not ok.any():
                continue
            if emission is not None:
                # change of the emission residual: production swings are in the electricity fit already
                resid = float(np.median([mean(emission[j][after]) - mean(emission[j][before])
                                         for j, _ in enumerate(ch4) if ok[j]]))
            else:
                resid = float(np.median(np.log(c1[ok] / c0[ok]) + dv))
            if resid > -params.airflow_min_residual:
                continue
            t0 = int(st.ts[k * b])
            t1 = int(st.ts[min(end * b, len(st.ts)) - 1])
            main = next((j for j, i in enumerate(ch4)
                         if st.sensors[i].location in ("face_return", "heading_return")), 0)
            s, ws = st.sensors[ch4[main]], st.sensors[wind[0]]
            expected = c0[main] * v0 / v1
            power = f"同期全矿用电量 {e0:.0f} → {e1:.0f} kW，生产在继续；" if not np.isnan(de) else ""
            flags.append(Flag(
                s.code, "gas_airflow", t0, t1, round(float(min(1.0, -resid)), 3),
                f"{g} 区域风速（{ws.code}）自 {_when(t0)} 起由 {v0:.2f} m/s 降至 {v1:.2f} m/s（风量减少 "
                f"{1 - v1 / v0:.0%}），持续到 {_when(t1)}；{power}按“瓦斯浓度 = 涌出量 ÷ 风量”，{_name(s)} 应由 "
                f"{c0[main]:.2f}% 升至约 {expected:.2f}%，实际平均读数却为 {c1[main]:.2f}%"
                f"（区域内甲烷传感器中位数比应有值低 {1 - math.exp(resid):.0%}）。风量减少而瓦斯不升，与物理规律矛盾，"
                f"提示甲烷读数被压低或传感器被移到新鲜风流中。",
                {"wind_before": v0, "wind_after": v1, "ch4_before": float(c0[main]), "ch4_after": float(c1[main]),
                 "ch4_expected": float(expected), "residual_log": resid,
                 "power_before": None if np.isnan(e0) else e0, "power_after": None if np.isnan(e1) else e1,
                 "wind_sensor": ws.code, "group": g,
                 "basis": "seed-002 三 安全监控系统造假; seed-004 task 25 用电量监测; DOMAIN §4.1"},
            ))
    return flags


# --------------------------------------------------------------------------------------- missing_cut


@_quiet
def detect_missing_cut(st: Streams, params: Params = DEFAULT_PARAMS) -> list[Flag]:
    """CH₄ at or above the power-cut level while the linked feed (馈电) sensor still shows power after
    the interlock time (DOMAIN §4.3: over-limit power cut ≤ 2 s; §4.2 cut levels). The feed reading at
    the same instant may still show power (the switch opens within 2 s), so the first feed reading at
    least ``interlock_s`` later is checked; at least ``missing_cut_min_s`` of such readings in an
    episode flag it. Calibration windows (status bit 4) are left out."""
    x = _usable(st)
    off = max(1, -(-params.interlock_s // st.step))
    codes = {s.code: i for i, s in enumerate(st.sensors)}
    flags = []
    T = x.shape[1]
    for i, s in enumerate(st.sensors):
        if s.kind != "ch4" or math.isnan(s.cut_high) or s.feed not in codes:
            continue
        f = codes[s.feed]
        feed_later = np.full(T, np.nan)
        feed_later[: T - off] = st.values[f, off:]
        with np.errstate(invalid="ignore"):
            bad = (x[i] >= s.cut_high) & (feed_later >= 0.5)
        for a, bnd in _runs(bad, max_gap=max(1, 300 // st.step)):
            n = int(bad[a:bnd].sum())
            if n * st.step < params.missing_cut_min_s:
                continue
            peak = float(np.nanmax(x[i, a:bnd]))
            fs = st.sensors[f]
            flags.append(Flag(
                s.code, "missing_cut", int(st.ts[a]), int(st.ts[bnd - 1]),
                round(float(min(1.0, 0.5 + n * st.step / 600)), 3),
                f"{_name(s)} 在 {_when(st.ts[a])}–{_when(st.ts[bnd - 1])} 读数最高 {_fmt(peak, s)}，"
                f"有 {n} 个读数（约 {n * st.step} 秒）达到或超过断电值 {_fmt(s.cut_high, s)}；按规定甲烷超限应在 "
                f"{params.interlock_s} 秒内切断电源，但关联馈电传感器 {_name(fs)} 在 {params.interlock_s} 秒后"
                f"仍显示有电。"
                f"该断电没有发生，说明断电装置可能被短接、甩掉或馈电数据被篡改（瓦斯超限作业）。",
                {"peak": peak, "cut_level": s.cut_high, "readings_over": n, "feed_sensor": fs.code,
                 "interlock_s": params.interlock_s,
                 "basis": "DOMAIN §4.2 cut levels, §4.3 power cut ≤ 2 s; seed-002 四 瓦斯超限"},
            ))
    return flags


# --------------------------------------------------------------------------------------- all + evaluation

_DETECTORS = {
    "flat_line": detect_flat_line,
    "clipped": detect_clipped,
    "level_shift": detect_level_shift,
    "replay": detect_replay,
    "gas_airflow": detect_gas_airflow,
    "missing_cut": detect_missing_cut,
}


_PRECEDENCE = ("missing_cut", "replay", "clipped", "level_shift", "flat_line", "gas_airflow")


def detect_all(st: Streams, params: Params = DEFAULT_PARAMS, patterns: Iterable[str] = PATTERNS) -> list[Flag]:
    """Run every detector (or those named) on one mine's streams; flags ordered by time."""
    flags: list[Flag] = []
    for p in patterns:
        flags += _DETECTORS[p](st, params)
    # One window of one sensor is reported once, as the most specific pattern (_PRECEDENCE): a clipped
    # series is flat at its ceiling, copied data stop following their neighbours like a shifted sensor,
    # and a sensor scaled down by a factor loses its noise and looks flat.
    rank = {p: k for k, p in enumerate(_PRECEDENCE)}
    kept: list[Flag] = []
    for f in sorted(flags, key=lambda f: rank[f.pattern]):
        if f.pattern in _PRECEDENCE[1:] and any(
                k.sensor_code == f.sensor_code and rank[k.pattern] < rank[f.pattern]
                and k.window_start <= f.window_end and k.window_end >= f.window_start for k in kept):
            continue
        kept.append(f)
    # a sensor compared with a single neighbour that is itself flagged (flat, copied, clipped) is not to blame
    flags = [f for f in kept if not (
        f.pattern == "level_shift" and len(f.evidence.get("references", [])) == 1 and any(
            k.sensor_code == f.evidence["references"][0] and k.pattern in ("flat_line", "replay", "clipped")
            and k.window_start <= f.window_end and k.window_end >= f.window_start for k in kept))]
    return sorted(flags, key=lambda f: (f.window_start, f.pattern, f.sensor_code))


class PatternScore(NamedTuple):
    """Events found (tp), flags matching no event of the pattern (fp), events missed (fn), precision
    (matching flags / all flags) and recall (events found / all events)."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float


EVAL_START = 1740758400  # 2025-03-01 00:00 China Standard Time
EVAL_DAYS = 3
MATCH_TOLERANCE_S = 1800


def evaluation_dataset(seed: int, days: int = EVAL_DAYS) -> list[Any]:
    """The labelled simulated data set of one seed: a low-gas, a high-gas and an outburst coal mine, a
    halted coal mine (hidden night operation) and a tailings pond, ``days`` days each, with
    :func:`simulator.random_events` injected (list of ``SimResult``)."""
    from . import simulator as sim

    rng = np.random.default_rng([seed, 99])
    start = EVAL_START + int(seed % 200) * 86400
    profiles = [
        sim.coal_mine("低瓦斯矿", "low", faces=2, headings=1, maintenance_shift=int(rng.integers(3)),
                      crew=int(rng.integers(50, 150))),
        sim.coal_mine("高瓦斯矿", "high", faces=2, headings=1, maintenance_shift=int(rng.integers(3)),
                      crew=int(rng.integers(50, 150))),
        sim.coal_mine("突出矿", "outburst", faces=1, headings=2, maintenance_shift=int(rng.integers(3)),
                      crew=int(rng.integers(50, 150))),
        sim.coal_mine("停产整顿矿", "high", faces=1, headings=1, halted=True),
        sim.tailings_pond("尾矿库"),
    ]
    out = []
    for k, prof in enumerate(profiles):
        sub = seed * 10 + k
        events = sim.random_events(prof, start, days * 86400, sub)
        out.append(sim.simulate(prof, start, days * 86400, 10, sub, events))
    return out


def evaluate(seeds: Iterable[int], params: Params = DEFAULT_PARAMS, days: int = EVAL_DAYS,
             details: list[dict[str, Any]] | None = None) -> dict[str, PatternScore]:
    """Precision and recall per pattern on the labelled simulated data sets of ``seeds``. A flag matches
    a labelled falsification of its pattern when it names one of the label's sensors and its window
    overlaps the label's (± 30 min); a flag landing on a falsification of another pattern counts as a
    false positive. ``details`` (if given) receives every flag (with ``on_other_fake``) and label with
    its match, for error analysis."""
    tally = {p: [0, 0, 0, 0, 0] for p in PATTERNS}  # matched flags, all flags, found events, all events, fp
    for seed in seeds:
        for res in evaluation_dataset(seed, days):
            flags = detect_all(res.streams(), params)
            labels = [lb for lb in res.labels if lb.pattern]
            found = [False] * len(labels)
            for f in flags:
                hit = False
                for k, lb in enumerate(labels):
                    if (lb.pattern == f.pattern and f.sensor_code in lb.sensors
                            and f.window_start <= lb.end + MATCH_TOLERANCE_S
                            and f.window_end >= lb.start - MATCH_TOLERANCE_S):
                        found[k] = hit = True
                t = tally[f.pattern]
                t[0] += hit
                t[1] += 1
                t[4] += not hit
                if details is not None:
                    other = not hit and any(
                        f.sensor_code in lb.sensors and f.window_start <= lb.end + MATCH_TOLERANCE_S
                        and f.window_end >= lb.start - MATCH_TOLERANCE_S for lb in labels)
                    details.append({"seed": seed, "mine": res.profile.name, "type": "flag", "flag": f, "hit": hit,
                                    "on_other_fake": other})
            for k, lb in enumerate(labels):
                t = tally[lb.pattern]
                t[2] += found[k]
                t[3] += 1
                if details is not None:
                    details.append({"seed": seed, "mine": res.profile.name, "type": "label", "label": lb,
                                    "hit": found[k]})
    out = {}
    for p, (matched, n_flags, n_found, n_events, fp) in tally.items():
        out[p] = PatternScore(tp=n_found, fp=fp, fn=n_events - n_found,
                              precision=matched / n_flags if n_flags else 1.0,
                              recall=n_found / n_events if n_events else 1.0)
    return out


def with_params(**changes: Any) -> Params:
    """DEFAULT_PARAMS with some values changed (for tuning on training seeds)."""
    return replace(DEFAULT_PARAMS, **changes)
