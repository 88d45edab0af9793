"""Realistic simulated monitoring streams with injectable, labelled events (pure numpy).

A :class:`MineProfile` lists the measuring points of a mine (code, type, location, thresholds, working
area, linked feed sensor); :func:`simulate` turns it into readings on a regular grid for a time span,
deterministically for a seed, and returns them with the labels of everything injected
(:class:`SimResult`). The streams follow the physics a regulator's data would show:

* **Three shifts** (三八制; China Standard Time): two production shifts and one maintenance shift
  (检修班, 08:00–16:00 by default). During production the shearer / roadheader cuts in on-off cycles;
  gas emission of a working area rises with cutting (with a ~15 min lag), headcount follows the crews
  (overlapping at the hand-over) and electricity the cutting load on top of the fans' and pumps' base
  load. Airflow is roughly constant, with turbulence noise.
* **CH₄ = emission / airflow** in every working area (coal face T1 / return T2 / upper corner T0 /
  intake T3, heading T1 / T2, total return): ``c = 100 · E[m³/min] / Q[m³/min] + background``; wind
  speed is ``Q / section``. A change of airflow therefore moves CH₄ the other way, which is what the
  ``gas_airflow`` detector checks.
* **Sensors**: slow zero and span drift reset at each calibration, Gaussian noise, occasional spikes,
  display resolution (0.01 % CH₄, 1 ppm CO, …), faults: dropouts (missing readings), mine-wide
  communication losses, stuck values flagged with status bit 128, calibration windows (标校, status
  bit 4) with zero and span gas — DOMAIN §4.3 (calibration every 15 days), §5 (status bitmask).
* **Interlock** (甲烷断电): a feed (馈电) sensor goes to 0 within 2 s once a linked CH₄ sensor reads at
  or above its cut level and comes back after the reading is below the restore level for a while
  (DOMAIN §4.2 thresholds, §4.3 "methane over-limit power cut ≤ 2 s"). In honest data the interlock
  works; production in the area stops while its power is cut.

Injectable events (:class:`Event`, each producing a :class:`Label` with its window and sensors):
real gas exceedances, the six falsification patterns of ``FalsificationPattern`` (seed-002 三:
安全监控系统造假; seed-004 tasks 25–26), hidden operation of a halted mine (明停暗开), and honest
confounders that look like fraud at first sight — gas rising close to the alarm level, ventilation
changes, calibrations, stuck sensors (see :data:`EVENT_KINDS`). The falsifications act on what the
monitoring system reports (so the interlock follows the faked readings, as with a covered sensor):

* ``falsify_flat`` — a sensor held at its recent value (``near_constant``: with a little jitter far
  under real noise); ``falsify_shift`` — readings multiplied by ``factor`` (0.3–0.62);
* ``falsify_clip`` — a real gas inflow to 1.1–1.6 × the alarm level reported capped just under it
  (``margin`` 1–5 %, ``dither``: wobbling under the cap);
* ``falsify_replay`` — a window replaced by another sensor's readings (same time or earlier, level
  offset to match) or the sensor's own of ``lag`` = a day before;
* ``falsify_gas_airflow`` — an area's airflow really drops by ``factor`` (0.5–0.72) in production
  while all its CH₄ readings are scaled to hide the rise (× ``factor`` × ``lowered``);
* ``falsify_missing_cut`` — a real inflow over the cut level while the feed keeps showing power.

:func:`random_events` draws a mixed, non-overlapping set of them for evaluation and demos. Its threat
model: gas is hidden where there is gas — shifts start in a production shift of a producing mine,
clipping, missing cuts and gas/airflow fakes happen in production; a halted mine gets flat lines and
replays (hiding night work); fresh-air intake CH₄ (which honestly reads ~0.00 for hours) is never the
target of a flat line; a tailings pond gets flat lines and replays of its level and phreatic lines.

Default thresholds of the profiles follow DOMAIN §4.2 (CH₄ alarm / cut / restore by location), §4.1
(wind speed, CO, temperature) and §9.1 (tailings) — simulation defaults, not the rule of record
(that is ``rules.monitoring``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .falsification import CALIBRATING, SensorMeta, Streams

__all__ = [
    "EVENT_KINDS",
    "EVENT_PATTERN",
    "Event",
    "Label",
    "MineProfile",
    "SensorSpec",
    "SimResult",
    "Thresholds",
    "coal_mine",
    "random_events",
    "simulate",
    "tailings_pond",
]

NAN = math.nan
CST = 8 * 3600  # China Standard Time offset: shifts are local

# Event kinds. The falsifications map onto FalsificationPattern values.
GAS_EXCEEDANCE = "gas_exceedance"
FALSIFY_FLAT = "falsify_flat"
FALSIFY_CLIP = "falsify_clip"
FALSIFY_SHIFT = "falsify_shift"
FALSIFY_REPLAY = "falsify_replay"
FALSIFY_GAS_AIRFLOW = "falsify_gas_airflow"
FALSIFY_MISSING_CUT = "falsify_missing_cut"
HIDDEN_OPERATION = "hidden_operation"
GAS_NEAR_ALARM = "gas_near_alarm"  # honest: gas rises close to (not over) the alarm level
VENT_CHANGE = "vent_change"  # honest: airflow of an area changed (CH₄ follows inversely)
CALIBRATION = "calibration"  # honest: 标校 window, status bit 4 (also drawn automatically)
SENSOR_STUCK = "sensor_stuck"  # honest fault: value stuck, status bit 128 (also drawn automatically)
RAIN = "rain"  # honest: tailings pond level rises after rain

EVENT_PATTERN: dict[str, str] = {
    FALSIFY_FLAT: "flat_line",
    FALSIFY_CLIP: "clipped",
    FALSIFY_SHIFT: "level_shift",
    FALSIFY_REPLAY: "replay",
    FALSIFY_GAS_AIRFLOW: "gas_airflow",
    FALSIFY_MISSING_CUT: "missing_cut",
}
EVENT_KINDS: tuple[str, ...] = (
    GAS_EXCEEDANCE, *EVENT_PATTERN, HIDDEN_OPERATION, GAS_NEAR_ALARM, VENT_CHANGE, CALIBRATION, SENSOR_STUCK, RAIN,
)

# kind -> (display resolution, noise sigma low, high); sigma of wind speed and electricity is relative.
_KIND_MODEL: dict[str, tuple[float, float, float]] = {
    "ch4": (0.01, 0.005, 0.012),
    "co": (1.0, 0.6, 0.9),
    "o2": (0.1, 0.06, 0.08),
    "temperature": (0.1, 0.06, 0.09),
    "wind_speed": (0.01, 0.02, 0.035),
    "electricity": (1.0, 0.008, 0.015),
    "water_level": (0.01, 0.006, 0.01),
    "phreatic_line": (0.01, 0.006, 0.01),
    "dry_beach": (0.1, 0.06, 0.09),
    "displacement": (0.01, 0.015, 0.03),
    "smoke": (1.0, 0.0, 0.0),
    "headcount": (1.0, 0.0, 0.0),
    "feed": (1.0, 0.0, 0.0),
}
_RELATIVE_NOISE = frozenset({"wind_speed", "electricity"})
ANALOG_KINDS = frozenset(k for k in _KIND_MODEL if k not in ("smoke", "headcount", "feed"))


@dataclass(frozen=True)
class Thresholds:
    alarm_high: float = NAN
    alarm_low: float = NAN
    cut_high: float = NAN
    restore_high: float = NAN


@dataclass(frozen=True)
class SensorSpec:
    """One measuring point of a profile: (code, kind, location, thresholds) plus the working area it
    belongs to, the feed sensor its power cut acts on, its place name and range."""

    code: str
    kind: str
    location: str
    thresholds: Thresholds = Thresholds()
    group: str = ""
    feed: str = ""
    place: str = ""
    range_low: float = 0.0
    range_high: float = NAN

    @property
    def resolution(self) -> float:
        return _KIND_MODEL[self.kind][0]

    def meta(self) -> SensorMeta:
        t = self.thresholds
        return SensorMeta(code=self.code, kind=self.kind, location=self.location, group=self.group,
                          place=self.place, alarm_high=t.alarm_high, alarm_low=t.alarm_low, cut_high=t.cut_high,
                          restore_high=t.restore_high, feed=self.feed, resolution=self.resolution)


@dataclass(frozen=True)
class MineProfile:
    name: str
    sector: str  # registry sector: coal, metal_underground, metal_open_pit, tailings
    gas_grade: str  # low / high / outburst ("" outside coal)
    sensors: tuple[SensorSpec, ...]
    maintenance_shift: int = 1  # 0: 00–08, 1: 08–16, 2: 16–24 local time
    halted: bool = False  # 停产整顿 / 长期停产: no production, no one underground
    headcount_cap: float = NAN
    crew: int = 90  # people per production shift

    def spec(self, code: str) -> SensorSpec:
        for s in self.sensors:
            if s.code == code:
                return s
        raise KeyError(code)

    def groups(self, kind: str) -> list[str]:
        """Working areas of a kind: "face", "heading", "total", "dam"."""
        return sorted({s.group for s in self.sensors if _group_kind(self, s.group) == kind})


def _group_kind(profile: MineProfile, group: str) -> str:
    locs = {s.location for s in profile.sensors if s.group == group}
    if locs & {"coal_face", "face_return", "upper_corner"}:
        return "face"
    if locs & {"heading_face", "heading_return"}:
        return "heading"
    if "total_return" in locs:
        return "total"
    if "dam" in locs:
        return "dam"
    return "mine"


@dataclass
class Event:
    """An injected episode. ``sensors`` empty → the simulator picks plausible targets (recorded in the
    label). ``params`` are kind-specific, e.g. ``factor`` (shift / airflow drop), ``peak`` (gas level),
    ``level`` (flat value), ``source`` and ``lag`` (replay), ``near_constant`` (flat)."""

    kind: str
    start: int
    end: int
    sensors: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Label:
    kind: str
    start: int
    end: int
    sensors: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def pattern(self) -> str | None:
        """The FalsificationPattern value this label is ground truth for (None for honest events)."""
        return EVENT_PATTERN.get(self.kind)


@dataclass(frozen=True)
class SimResult:
    profile: MineProfile
    ts: np.ndarray  # int64 (T,) epoch seconds
    values: np.ndarray  # float64 (S, T), nan = no reading
    status: np.ndarray  # int32 (S, T), DOMAIN §5 bitmask
    labels: tuple[Label, ...]
    truth: np.ndarray  # float64 (S, T): what the sensor would have read honestly (before falsification)
    idle_power: float  # kW: the base load (fans, pumps) + 15 %; above it a halted mine counts as working

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.profile.sensors)

    def streams(self) -> Streams:
        return Streams(sensors=tuple(s.meta() for s in self.profile.sensors), ts=self.ts, values=self.values,
                       status=self.status)

    def readings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Long form without the missing readings, ordered by time: (sensor index, ts, value, status)."""
        s_idx, t_idx = np.nonzero(~np.isnan(self.values))
        order = np.lexsort((s_idx, t_idx))
        s_idx, t_idx = s_idx[order], t_idx[order]
        return s_idx.astype(np.int64), self.ts[t_idx], self.values[s_idx, t_idx], self.status[s_idx, t_idx]

    def iter_readings(self) -> Iterator[tuple[str, int, float, int]]:
        codes = self.codes
        s, ts, v, st = self.readings()
        for i in range(len(s)):
            yield codes[s[i]], int(ts[i]), float(v[i]), int(st[i])


# --------------------------------------------------------------------------------------- profiles

_CH4_RANGE = {"low": 4.0, "high": 10.0, "outburst": 40.0}  # DOMAIN §4.2 sensor range [U]


def coal_mine(name: str = "demo", gas_grade: str = "high", faces: int = 2, headings: int = 1,
              halted: bool = False, maintenance_shift: int = 1, crew: int = 90,
              headcount_cap: float = NAN) -> MineProfile:
    """A coal mine: per coal face T1 / T2 / T0 (and T3 at high-gas and outburst mines) CH₄ sensors, wind
    speed, CO, temperature and the face's feed sensor; per heading T1 / T2, wind speed and feed; total
    return CH₄ and wind speed; mine headcount and electricity. Thresholds: DOMAIN §4.2 / §4.1."""
    rng_high = _CH4_RANGE.get(gas_grade, 10.0)
    face_t1 = Thresholds(1.0, NAN, 1.5, 1.0)
    return_t2 = Thresholds(1.0, NAN, 1.0, 1.0)
    corner_t0 = Thresholds(1.0, NAN, 1.5, 1.0)  # cut "per mine ≥ 1.5" (DOMAIN §4.2 [U])
    intake_t3 = Thresholds(0.5, NAN, 0.5, 0.5)
    sensors: list[SensorSpec] = []
    for k in range(faces):
        g = f"{1301 + k}"
        fd = f"{g}-FD"
        sensors += [
            SensorSpec(f"{g}-T1", "ch4", "coal_face", face_t1, g, fd, f"{g}工作面", range_high=rng_high),
            SensorSpec(f"{g}-T2", "ch4", "face_return", return_t2, g, fd, f"{g}回风巷", range_high=rng_high),
            SensorSpec(f"{g}-T0", "ch4", "upper_corner", corner_t0, g, fd, f"{g}上隅角", range_high=rng_high),
        ]
        if gas_grade in ("high", "outburst"):
            sensors.append(SensorSpec(f"{g}-T3", "ch4", "face_intake", intake_t3, g, fd, f"{g}进风巷",
                                      range_high=rng_high))
        sensors += [
            SensorSpec(f"{g}-WS", "wind_speed", "face_return", Thresholds(6.0, 0.25), g, "", f"{g}回风巷",
                       range_high=15.0),
            SensorSpec(f"{g}-CO", "co", "face_return", Thresholds(24.0), g, "", f"{g}回风巷", range_high=500.0),
            SensorSpec(f"{g}-TP", "temperature", "coal_face", Thresholds(26.0), g, "", f"{g}工作面",
                       range_high=60.0),
            SensorSpec(fd, "feed", "coal_face", Thresholds(), g, "", f"{g}工作面馈电", range_high=1.0),
        ]
    for k in range(headings):
        g = f"{2101 + k}"
        fd = f"{g}-FD"
        sensors += [
            SensorSpec(f"{g}-T1", "ch4", "heading_face", face_t1, g, fd, f"{g}掘进工作面", range_high=rng_high),
            SensorSpec(f"{g}-T2", "ch4", "heading_return", return_t2, g, fd, f"{g}掘进回风", range_high=rng_high),
            SensorSpec(f"{g}-WS", "wind_speed", "heading_return", Thresholds(4.0, 0.25), g, "", f"{g}掘进回风",
                       range_high=15.0),
            SensorSpec(fd, "feed", "heading_face", Thresholds(), g, "", f"{g}掘进工作面馈电", range_high=1.0),
        ]
    sensors += [
        SensorSpec("TR-CH4", "ch4", "total_return", Thresholds(0.75), "TR", "", "总回风巷", range_high=rng_high),
        SensorSpec("TR-WS", "wind_speed", "total_return", Thresholds(8.0), "TR", "", "总回风巷", range_high=15.0),
        SensorSpec("HC", "headcount", "mine", Thresholds(headcount_cap), "MINE", "", "井下人员", range_high=2000),
        SensorSpec("KW", "electricity", "mine", Thresholds(), "MINE", "", "全矿用电", range_high=20000),
    ]
    return MineProfile(name=name, sector="coal", gas_grade=gas_grade, sensors=tuple(sensors),
                       maintenance_shift=maintenance_shift, halted=halted, headcount_cap=headcount_cap, crew=crew)


def tailings_pond(name: str = "tailings", sections: int = 3) -> MineProfile:
    """A wet tailings pond: pond water level, phreatic-line depth per section, dry-beach length, dam
    displacement rate and the pumps' electricity (GB 39496-2020 §5.5 items, DOMAIN §9.1). Alarm levels
    are illustrative per-design values [U]."""
    sensors = [SensorSpec("WL", "water_level", "dam", Thresholds(alarm_high=101.0), "DAM", "", "库水位",
                          range_low=90.0, range_high=110.0)]
    sensors += [SensorSpec(f"PL{k + 1}", "phreatic_line", "dam", Thresholds(alarm_low=4.0 + 0.5 * k), "DAM", "",
                           f"第{k + 1}断面浸润线埋深", range_high=30.0) for k in range(sections)]
    sensors += [
        SensorSpec("DB", "dry_beach", "dam", Thresholds(alarm_low=70.0), "DAM", "", "干滩长度", range_high=400.0),
        SensorSpec("DS1", "displacement", "dam", Thresholds(alarm_high=10.0), "DAM", "", "坝体位移速率1",
                   range_high=100.0),
        SensorSpec("DS2", "displacement", "dam", Thresholds(alarm_high=10.0), "DAM", "", "坝体位移速率2",
                   range_high=100.0),
        SensorSpec("KW", "electricity", "mine", Thresholds(), "MINE", "", "回水泵站用电", range_high=5000),
    ]
    return MineProfile(name=name, sector="tailings", gas_grade="", sensors=tuple(sensors), crew=0)


# --------------------------------------------------------------------------------------- helpers


def _smooth(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Unit-variance low-passed Gaussian noise (moving sum of white noise over ``width`` samples)."""
    w = max(1, int(width))
    c = np.concatenate(([0.0], np.cumsum(rng.standard_normal(n + w))))
    return (c[w:] - c[:-w])[:n] / math.sqrt(w)


def _lowpass(x: np.ndarray, tau: float) -> np.ndarray:
    """First-order lag with time constant ``tau`` samples (causal exponential kernel)."""
    if tau <= 1:
        return x.copy()
    k = np.exp(-np.arange(int(5 * tau) + 1) / tau)
    k /= k.sum()
    padded = np.concatenate((np.full(len(k), x[0]), x))
    if len(k) <= 64:
        return np.convolve(padded, k)[len(k):len(k) + len(x)]
    n = len(padded) + len(k) - 1
    size = 1 << (n - 1).bit_length()
    full = np.fft.irfft(np.fft.rfft(padded, size) * np.fft.rfft(k, size), size)
    return full[len(k):len(k) + len(x)]


def _segments(rng: np.random.Generator, n: int, step: int, on_s: float, off_s: float,
              lo: float = 0.75, hi: float = 1.0) -> np.ndarray:
    """Alternating on / off periods (exponential durations), on-level uniform in [lo, hi]."""
    m = int(n * step / (on_s + off_s)) * 2 + 8
    dur = np.empty(2 * m)
    dur[0::2] = rng.exponential(on_s, m)
    dur[1::2] = rng.exponential(off_s, m)
    level = np.zeros(2 * m)
    level[0::2] = rng.uniform(lo, hi, m)
    edges = np.cumsum(dur) - rng.uniform(0, on_s + off_s)
    seg = np.searchsorted(edges, np.arange(n) * step, side="right")
    return level[np.minimum(seg, 2 * m - 1)]


def _ramp(n_idx: np.ndarray, a: float, b: float, rise: float) -> np.ndarray:
    """1 between sample a and b with linear ramps of ``rise`` samples, 0 outside."""
    rise = max(rise, 1.0)
    up = np.clip((n_idx - a) / rise, 0, 1)
    down = np.clip((b - n_idx) / rise, 0, 1)
    return np.minimum(up, down)


def _pulse(n_idx: np.ndarray, a: float, b: float, rise: float, decay: float) -> np.ndarray:
    """A gas inflow: rises over ``rise`` samples from a, holds to b, then decays exponentially."""
    up = np.clip((n_idx - a) / max(rise, 1.0), 0, 1)
    after = np.exp(-np.maximum(n_idx - b, 0.0) / max(decay, 1.0))
    return np.where(n_idx < a, 0.0, up * after)


def _last_index(mask: np.ndarray) -> np.ndarray:
    """For every position the index of the latest True at or before it (-1 if none), along the last axis."""
    idx = np.where(mask, np.arange(mask.shape[-1]), -1)
    return np.maximum.accumulate(idx, axis=-1)


# --------------------------------------------------------------------------------------- simulation


class _Sim:
    """One simulation run. Random draws happen in ``__init__`` / ``_prepare_events`` only, so the two
    physics passes (before / after the interlock cut production) see the same noise."""

    def __init__(self, profile: MineProfile, start: int, seconds: int, step: int, seed: int,
                 events: Sequence[Event]) -> None:
        self.p = profile
        self.start, self.step, self.seed = int(start), int(step), int(seed)
        self.n = max(1, int(seconds) // self.step)
        self.ts = self.start + self.step * np.arange(self.n, dtype=np.int64)
        self.idx = np.arange(self.n, dtype=np.float64)
        self.codes = [s.code for s in profile.sensors]
        self.pos = {c: i for i, c in enumerate(self.codes)}
        self.S = len(self.codes)
        self.labels: list[Label] = []
        rng = np.random.default_rng([self.seed, 1])
        hours = ((self.ts + CST) % 86400) / 3600.0
        self.hours = hours
        self.shift = (hours // 8).astype(np.int64)
        in_shift_min = (hours % 8) * 60
        producing = (self.shift != profile.maintenance_shift) & (in_shift_min >= 30) & (in_shift_min < 465)
        self.producing_shift = self.shift != profile.maintenance_shift
        if profile.halted:
            producing &= False
        self.area_names = {k: profile.groups(k) for k in ("face", "heading", "total", "dam")}
        grade = profile.gas_grade or "low"
        e_face = {"low": (0.8, 1.8), "high": (2.5, 5.0), "outburst": (4.0, 8.0)}.get(grade, (0.8, 1.8))
        c_face = {"low": (0.12, 0.3), "high": (0.3, 0.5), "outburst": (0.35, 0.55)}.get(grade, (0.12, 0.3))
        self.area: dict[str, dict[str, Any]] = {}
        for kind in ("face", "heading"):
            for g in self.area_names[kind]:
                face = kind == "face"
                e0 = rng.uniform(*e_face) * (1.0 if face else rng.uniform(0.25, 0.4))
                target = rng.uniform(*c_face) * (1.0 if face else rng.uniform(0.8, 1.0))
                cycles = _segments(rng, self.n, self.step, 2400 if face else 1800, 900 if face else 1200)
                self.area[g] = {
                    "kind": kind, "e0": e0, "q0": 100 * e0 / target,
                    "section": rng.uniform(10, 16) if face else rng.uniform(8, 12),
                    "bg": rng.uniform(0.02, 0.04), "k1": rng.uniform(0.88, 1.05), "k0": rng.uniform(1.15, 1.45),
                    "plan": cycles * producing, "cycles": cycles,
                    "drift": np.exp(0.12 * _smooth(rng, self.n, int(6 * 3600 / self.step))),
                    "turb": 0.015 * _smooth(rng, self.n, max(1, int(120 / self.step))),
                    "local": {c: 0.04 * _smooth(rng, self.n, max(1, int(600 / self.step)))
                              for c in self.codes},
                    "load": rng.uniform(600, 1200) if face else rng.uniform(150, 300),
                    "vent": np.ones(self.n), "extra_e": np.zeros(self.n), "co0": rng.uniform(2, 5),
                    "t0": rng.uniform(20.5, 23.0),
                }
        q_areas = sum(a["q0"] for a in self.area.values()) or 1000.0
        self.q_total = q_areas * rng.uniform(1.6, 2.4)
        self.e_other = rng.uniform(0.2, 0.6) * sum(a["e0"] for a in self.area.values())
        self.tr_section = rng.uniform(14, 20)
        self.tr_turb = 0.01 * _smooth(rng, self.n, max(1, int(300 / self.step)))
        self.base_load = rng.uniform(900, 2500)
        self._idle_power = self.base_load * 1.15
        self.load_wave = 0.03 * _smooth(rng, self.n, int(1800 / self.step))
        self.crew_plan = self._crew(rng, producing)
        self.extra_crew = np.zeros(self.n)
        # tailings pond
        self.wl_base = rng.uniform(98.0, 99.6)
        self.wl_rain = np.zeros(self.n)
        self.wl_daily = 0.03 * np.sin(2 * np.pi * (hours - rng.uniform(0, 24)) / 24)
        self.pl = {c: (rng.uniform(6, 9), rng.uniform(0.6, 1.2)) for c in self.codes}
        self.db0, self.db_k = rng.uniform(110, 160), rng.uniform(30, 60)
        self.pump = _segments(rng, self.n, self.step, 3 * 3600, 2 * 3600, 0.8, 1.0)
        # sensor measurement model
        self.noise = np.empty((self.S, self.n))
        self.sigma = np.zeros(self.S)
        self.spikes = np.zeros((self.S, self.n))
        self.zero_rate = np.zeros(self.S)
        self.cal_age = np.zeros(self.S)  # seconds since the last calibration before the run
        self.span_rate = np.zeros(self.S)
        for i, s in enumerate(profile.sensors):
            r = np.random.default_rng([self.seed, 2, i])
            _q, lo, hi = _KIND_MODEL[s.kind]
            self.sigma[i] = r.uniform(lo, hi)
            self.noise[i] = r.standard_normal(self.n)
            self.cal_age[i] = r.uniform(0, 15 * 86400)
            if s.kind == "ch4":
                k = r.binomial(self.n, 1.5e-4)
                at = r.integers(0, self.n, k)
                self.spikes[i, at] = r.uniform(0.1, 2.0, k)
                self.zero_rate[i] = r.normal(0, 0.003) / 86400  # a few 0.01 % per calibration period
                self.span_rate[i] = r.normal(0, 0.003) / 86400  # a few % per calibration period
            elif s.kind in ANALOG_KINDS:
                self.span_rate[i] = r.normal(0, 0.002) / 86400
        self.missing = np.zeros((self.S, self.n), dtype=bool)
        self.fault = np.zeros((self.S, self.n), dtype=bool)  # stuck, status 128
        self.cal = np.zeros((self.S, self.n), dtype=bool)  # status 4
        self.cal_gas = np.full((self.S, self.n), np.nan)
        self.cal_end = np.zeros((self.S, self.n), dtype=bool)
        self.cal_no_cut = np.zeros((self.S, self.n), dtype=bool)
        self.replaced = np.zeros((self.S, self.n), dtype=bool)  # values replaced by a fake (flat, replay)
        self._faults(np.random.default_rng([self.seed, 4]))
        self.events = self._prepare_events(events)

    # ----- crews, faults, events

    def _crew(self, rng: np.random.Generator, producing: np.ndarray) -> np.ndarray:
        if self.p.halted or self.p.crew <= 0:
            return np.zeros(self.n)
        day0 = (self.start + CST) // 86400 * 86400 - CST
        crew = np.zeros(self.n)
        n_days = int((self.ts[-1] - day0) // 86400) + 2
        for d in range(-1, n_days):
            for sh in range(3):
                t_in = day0 + d * 86400 + sh * 8 * 3600
                size = self.p.crew * (0.7 if sh == self.p.maintenance_shift else 1.0) * rng.uniform(0.85, 1.1)
                a = (t_in - 20 * 60 - self.start) / self.step
                b = (t_in + 8 * 3600 + 40 * 60 - self.start) / self.step
                crew += size * _ramp(self.idx, a, b, 35 * 60 / self.step)
        wobble = rng.integers(-2, 3, self.n // 30 + 2).repeat(30)[: self.n]
        return np.maximum(0, np.round(crew + wobble * (crew > 5)))

    def _faults(self, rng: np.random.Generator) -> None:
        days = self.n * self.step / 86400
        for i, s in enumerate(self.p.sensors):
            for _ in range(rng.poisson(0.6 * days)):  # dropouts: 10 s – 20 min without readings
                a = rng.integers(0, self.n)
                self.missing[i, a:a + max(1, int(rng.exponential(300) / self.step))] = True
            if s.kind in ANALOG_KINDS:
                for _ in range(rng.poisson(0.08 * days)):  # stuck sensor, flagged 128 by the system
                    a = int(rng.integers(1, self.n))
                    b = min(self.n, a + int(rng.uniform(1200, 4 * 3600) / self.step))
                    self.fault[i, a:b] = True
                    self.labels.append(Label(SENSOR_STUCK, int(self.ts[a]), int(self.ts[b - 1]), (s.code,)))
            if s.kind == "ch4":
                for _ in range(rng.poisson(0.25 * days)):
                    self._calibration(i, int(rng.integers(0, self.n)), rng)
        for _ in range(rng.poisson(0.25 * days)):  # mine-wide communication loss
            a = rng.integers(0, self.n)
            self.missing[:, a:a + int(rng.uniform(60, 900) / self.step)] = True

    def _calibration(self, i: int, a: int, rng: np.random.Generator) -> None:
        """标校: zero air for ~3 min, then span gas (a CH₄ standard, often above the cut level)."""
        n_zero, n_span = int(rng.uniform(120, 240) / self.step), int(rng.uniform(180, 420) / self.step)
        b = min(self.n, a + n_zero + n_span + int(60 / self.step))
        if b - a < 3:
            return
        span = float(rng.choice([1.0, 1.5, 2.0]))
        self.cal[i, a:b] = True
        self.cal_gas[i, a:a + n_zero] = 0.0
        self.cal_gas[i, a + n_zero:b] = span
        self.cal_end[i, b - 1] = True
        cut_tested = bool(rng.random() < 0.5)  # the 15-day interlock test cuts power; otherwise it is blocked
        if not cut_tested:
            self.cal_no_cut[i, a:b] = True
        self.labels.append(Label(CALIBRATION, int(self.ts[a]), int(self.ts[b - 1]), (self.codes[i],),
                                 {"span": span, "cut_tested": cut_tested}))

    def _window(self, ev: Event) -> tuple[int, int]:
        a = int(np.clip((ev.start - self.start) // self.step, 0, self.n - 1))
        b = int(np.clip((ev.end - self.start) // self.step, a + 1, self.n))
        return a, b

    def _ch4_of(self, group: str, with_intake: bool = False) -> list[str]:
        return [s.code for s in self.p.sensors if s.group == group and s.kind == "ch4"
                and (with_intake or s.location != "face_intake")]

    def _group_of(self, code: str) -> str:
        return self.p.spec(code).group

    def _area(self, ev: Event, pr: dict[str, Any], rng: np.random.Generator, kinds: tuple[str, ...],
              prefer: str = "") -> str:
        """The working area an event acts on: ``params["group"]``, else its first sensor's, else a random
        one of the kinds given (of ``prefer`` when there is one)."""
        group = pr.get("group") or (self._group_of(ev.sensors[0]) if ev.sensors else "")
        if not group:
            pool = self.area_names.get(prefer, []) or [g for k in kinds for g in self.area_names[k]]
            if not pool:
                raise ValueError(f"{ev.kind}: the profile has no {' or '.join(kinds)} area")
            group = str(rng.choice(pool))
        if group not in self.area:
            raise ValueError(f"{ev.kind}: {group!r} is not a face or heading area of the profile")
        return str(group)

    def _prepare_events(self, events: Sequence[Event]) -> list[dict[str, Any]]:
        prepared = []
        for k, ev in enumerate(events):
            rng = np.random.default_rng([self.seed, 3, k])
            a, b = self._window(ev)
            e: dict[str, Any] = {"ev": ev, "a": a, "b": b, "sensors": list(ev.sensors)}
            pr = dict(ev.params)
            kind = ev.kind
            if kind not in EVENT_KINDS:
                raise ValueError(f"unknown event kind {kind!r}")
            unknown = [c for c in (*ev.sensors, *([pr["source"]] if "source" in pr else [])) if c not in self.pos]
            if unknown:
                raise ValueError(f"{kind}: no sensor {', '.join(unknown)} in the profile")
            if kind in (GAS_EXCEEDANCE, GAS_NEAR_ALARM, FALSIFY_CLIP, FALSIFY_MISSING_CUT):
                e["group"] = self._area(ev, pr, rng, ("face", "heading"))
                default_peak = {GAS_EXCEEDANCE: (1.15, 2.2), GAS_NEAR_ALARM: (0.86, 0.96),
                                FALSIFY_CLIP: (1.1, 1.6), FALSIFY_MISSING_CUT: (1.6, 2.4)}[kind]
                pr.setdefault("peak", float(rng.uniform(*default_peak)))
                pr.setdefault("rise", float(rng.uniform(120, 900)))
                pr.setdefault("decay", float(rng.uniform(300, 900)))
                if kind == FALSIFY_CLIP:
                    pr.setdefault("margin", float(rng.uniform(0.01, 0.05)))
                    pr.setdefault("dither", bool(rng.random() < 0.5))
            elif kind == FALSIFY_FLAT:
                pr.setdefault("near_constant", bool(rng.random() < 0.5))
            elif kind == FALSIFY_SHIFT:
                pr.setdefault("factor", float(rng.uniform(0.3, 0.62)))
            elif kind == FALSIFY_GAS_AIRFLOW:
                e["group"] = self._area(ev, pr, rng, ("face", "heading"), prefer="face")
                pr.setdefault("factor", float(rng.uniform(0.5, 0.72)))
                pr.setdefault("lowered", float(rng.uniform(0.85, 1.0)))
            elif kind == VENT_CHANGE:
                e["group"] = self._area(ev, pr, rng, ("face", "heading"))
                pr.setdefault("factor", float(rng.uniform(0.7, 1.4)))
            elif kind == HIDDEN_OPERATION:
                pr.setdefault("crew", int(rng.integers(15, 50)))
            elif kind == RAIN:
                pr.setdefault("rise", float(rng.uniform(0.2, 0.8)))
            elif kind == CALIBRATION:
                for code in ev.sensors:
                    self._calibration(self.pos[code], a, rng)
            elif kind == SENSOR_STUCK:
                for code in ev.sensors:
                    self.fault[self.pos[code], a:b] = True
                self.labels.append(Label(kind, int(self.ts[a]), int(self.ts[b - 1]), tuple(ev.sensors)))
            e["params"] = pr
            prepared.append(e)
        return prepared

    # ----- physics

    def _true(self, feed_on: dict[str, np.ndarray] | None) -> np.ndarray:
        """True (physical) value of every sensor. ``feed_on``: feed state per area from the previous
        pass; production of an area stops while its power is cut."""
        true = np.full((self.S, self.n), np.nan)
        p = self.p
        prod_total = np.zeros(self.n)
        e_total = np.full(self.n, self.e_other)
        for g, a in self.area.items():
            plan = a["plan"] + a.get("hidden", 0.0)
            if feed_on is not None and g in feed_on:
                plan = plan * feed_on[g]
            prod_total += plan * a["load"]
            gas_prod = _lowpass(plan, 900 / self.step)
            e = a["e0"] * a["drift"] * (0.3 + 0.7 * gas_prod) + a["extra_e"]
            q = a["q0"] * a["vent"] * (1 + a["turb"])
            a["_q"], a["_e"] = q, e
            e_total += e
            c = 100 * e / q
            for s in p.sensors:
                if s.group != g:
                    continue
                i = self.pos[s.code]
                loc = a["local"][s.code]
                if s.kind == "ch4":
                    k = {"coal_face": a["k1"], "upper_corner": a["k0"], "heading_face": a["k1"] * 1.1}.get(
                        s.location, 1.0)
                    if s.location == "face_intake":
                        true[i] = a["bg"] * (1 + loc)
                    else:
                        true[i] = c * k * np.exp(loc) + a["bg"]
                elif s.kind == "wind_speed":
                    true[i] = q / (60 * a["section"])
                elif s.kind == "co":
                    true[i] = a["co0"] + 5 * gas_prod + loc * 10
                elif s.kind == "temperature":
                    true[i] = a["t0"] + 1.8 * gas_prod + 0.3 * np.sin(2 * np.pi * (self.hours - 15) / 24)
        q_tot = self.q_total * (1 + self.tr_turb)
        for s in p.sensors:
            i = self.pos[s.code]
            if s.group == "TR":
                if s.kind == "ch4":
                    true[i] = 100 * e_total / q_tot + 0.02
                elif s.kind == "wind_speed":
                    true[i] = q_tot / (60 * self.tr_section)
            elif s.kind == "headcount":
                true[i] = self.crew_plan + self.extra_crew
            elif s.kind == "electricity":
                if p.sector == "tailings":
                    true[i] = self.base_load * 0.3 * (0.4 + 0.6 * self.pump) * (1 + self.load_wave)
                else:
                    true[i] = (self.base_load + prod_total) * (1 + self.load_wave)
            elif s.kind == "water_level":
                true[i] = self.wl_base + self.wl_rain + self.wl_daily
            elif s.kind == "phreatic_line":
                d0, k = self.pl[s.code]
                true[i] = d0 - k * _lowpass(self.wl_rain + self.wl_daily, 3 * 3600 / self.step)
            elif s.kind == "dry_beach":
                true[i] = self.db0 - self.db_k * (self.wl_rain + self.wl_daily)
            elif s.kind == "displacement":
                true[i] = 0.4 + 0.6 * _lowpass(self.wl_rain, 6 * 3600 / self.step)
        return true

    def _measure(self, true: np.ndarray) -> np.ndarray:
        """What the sensors read: drift since the last calibration, noise, spikes, resolution."""
        cal_done = _last_index(self.cal_end)
        since_cal = self.idx[None, :] * self.step - np.where(cal_done >= 0, cal_done * self.step,
                                                             -self.cal_age[:, None])
        x = np.empty_like(true)
        for i, s in enumerate(self.p.sensors):
            q, _lo, _hi = _KIND_MODEL[s.kind]
            v = true[i]
            if s.kind in ("headcount", "feed", "smoke"):
                x[i] = v
                continue
            v = v * (1 + self.span_rate[i] * since_cal[i]) + self.zero_rate[i] * since_cal[i]
            sig = self.sigma[i] * (np.abs(v) if s.kind in _RELATIVE_NOISE else 1.0)
            v = v + sig * self.noise[i] + self.spikes[i]
            v = np.where(self.cal[i], np.where(np.isnan(self.cal_gas[i]), v, self.cal_gas[i] + sig * self.noise[i]), v)
            lo = s.range_low
            hi = s.range_high if not math.isnan(s.range_high) else np.inf
            v = np.clip(v, lo, hi)
            x[i] = np.round(np.round(v / q) * q, 6)
        return x

    def _apply_faults(self, x: np.ndarray) -> np.ndarray:
        x = x.copy()
        # stuck: hold the value read just before the fault started
        for i in np.nonzero(self.fault.any(axis=1))[0]:
            start = np.nonzero(self.fault[i] & ~np.concatenate(([False], self.fault[i][:-1])))[0]
            seg = np.searchsorted(start, np.arange(self.n), side="right") - 1
            hold = x[i, np.maximum(start[np.maximum(seg, 0)] - 1, 0)]
            x[i] = np.where(self.fault[i], hold, x[i])
        return x

    # ----- events on the physics (before measurement)

    def _physics_events(self) -> None:
        for e in self.events:
            ev, a, b, pr = e["ev"], e["a"], e["b"], e["params"]
            kind = ev.kind
            if kind in (GAS_EXCEEDANCE, GAS_NEAR_ALARM, FALSIFY_CLIP, FALSIFY_MISSING_CUT):
                area = self.area[e["group"]]
                shape = _pulse(self.idx, a, b, pr["rise"] / self.step, pr["decay"] / self.step)
                e["shape"] = shape
                area.setdefault("pulses", []).append((e, shape))
            elif kind == VENT_CHANGE:
                area = self.area[e["group"]]
                area["vent"] *= 1 + (pr["factor"] - 1) * _ramp(self.idx, a, b, 120 / self.step)
                self.labels.append(Label(kind, int(self.ts[a]), int(self.ts[b - 1]),
                                         tuple(s.code for s in self.p.sensors if s.group == e["group"]),
                                         {"factor": pr["factor"]}))
            elif kind == FALSIFY_GAS_AIRFLOW:
                area = self.area[e["group"]]
                e["ramp"] = _ramp(self.idx, a, b, 90 / self.step)
                area["vent"] *= 1 + (pr["factor"] - 1) * e["ramp"]
            elif kind == HIDDEN_OPERATION:
                on = _ramp(self.idx, a, b, 600 / self.step)
                for area in self.area.values():
                    area["hidden"] = area.get("hidden", 0.0) + on * area["cycles"]
                self.extra_crew += np.round(pr["crew"] * on)
                sensors = tuple(s.code for s in self.p.sensors if s.kind in ("electricity", "headcount"))
                self.labels.append(Label(kind, int(self.ts[a]), int(self.ts[b - 1]), sensors, {"crew": pr["crew"]}))
            elif kind == RAIN:
                self.wl_rain += pr["rise"] * _pulse(self.idx, a, b, (b - a) / 2, 24 * 3600 / self.step)
                self.labels.append(Label(kind, int(self.ts[a]), int(self.ts[b - 1]), ("WL",), {"rise": pr["rise"]}))

    def _scale_pulses(self) -> None:
        """Size each gas inflow so the area's most exposed CH₄ sensor reaches ``peak`` on the plateau (in
        units of its alarm level for gas_near_alarm / falsify_clip, in % CH₄ otherwise); a near-alarm
        inflow is sized so that no sensor reaches the alarm level."""
        base = self._true(None)
        for g, area in self.area.items():
            area["extra_e"] = np.zeros(self.n)
            for e, shape in area.get("pulses", []):
                kind, pr = e["ev"].kind, e["params"]
                plateau = shape > 0.99
                if not plateau.any():
                    continue
                amps = []
                for code in self._ch4_of(g):
                    i = self.pos[code]
                    spec = self.p.spec(code)
                    level = pr["peak"] * (spec.thresholds.alarm_high if kind in (GAS_NEAR_ALARM, FALSIFY_CLIP) else 1.0)
                    gain = (base[i] - area["bg"]) / np.maximum(100 * area["_e"] / area["_q"], 1e-9)  # location factor
                    need = (level - base[i]) / np.maximum(gain, 1e-6) * area["_q"] / 100
                    amps.append(float(np.min(need[plateau]) if kind == GAS_NEAR_ALARM else np.median(need[plateau])))
                if amps:  # an area without CH₄ sensors has nothing to size the inflow by
                    area["extra_e"] = area["extra_e"] + max(min(amps), 0.0) * shape

    # ----- falsification (on the reported values)

    def _falsify(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Apply the falsifications to the measured values: (reported values, faked mask, feed sensors
        forced to show power)."""
        x = x.copy()
        faked = np.zeros(x.shape, dtype=bool)
        force_feed: dict[str, np.ndarray] = {}
        for k, e in enumerate(self.events):
            ev, a, b, pr = e["ev"], e["a"], e["b"], e["params"]
            rng = np.random.default_rng([self.seed, 6, k])
            kind = ev.kind
            before = x.copy() if kind in EVENT_PATTERN else x
            if kind == FALSIFY_FLAT:
                code = e["sensors"][0]
                i = self.pos[code]
                q = self.p.spec(code).resolution
                level = pr.get("level", np.nanmedian(x[i, max(0, a - 30):a + 1]) if a > 0 else x[i, 0])
                level = float(np.round(level / q) * q)
                fake = np.full(b - a, level)
                if pr["near_constant"]:  # a little made-up jitter, an order of magnitude under real noise
                    fake = fake + 0.25 * q * rng.standard_normal(b - a)
                x[i, a:b] = np.round(np.round(fake / q) * q, 6)
                faked[i, a:b] = True
                self.replaced[i, a:b] = True
            elif kind == FALSIFY_SHIFT:
                i = self.pos[e["sensors"][0]]
                q = self.p.spec(e["sensors"][0]).resolution
                x[i, a:b] = np.round(np.round(x[i, a:b] * pr["factor"] / q) * q, 6)
                faked[i, a:b] = True
            elif kind == FALSIFY_REPLAY:
                i = self.pos[e["sensors"][0]]
                j = self.pos[pr["source"]]
                lag = int(pr.get("lag", 0)) // self.step
                src = x[j, a - lag:b - lag].copy()
                if pr.get("offset", True) and j != i:
                    src = src + np.round((np.nanmedian(x[i, max(0, a - 60):a]) - np.nanmedian(src[:60]))
                                         / self.p.spec(e["sensors"][0]).resolution) * \
                        self.p.spec(e["sensors"][0]).resolution
                x[i, a:b] = np.round(src, 6)
                faked[i, a:b] = True
                self.replaced[i, a:b] = True
            elif kind == FALSIFY_CLIP:
                episode = np.nonzero(e["shape"] > 0.01)[0]
                lo, hi = int(episode[0]), int(episode[-1]) + 1
                for code in e["sensors"] or self._ch4_of(e["group"]):
                    i = self.pos[code]
                    spec = self.p.spec(code)
                    q = spec.resolution
                    ceiling = np.round(spec.thresholds.alarm_high * (1 - pr["margin"]) / q) * q
                    v = x[i, lo:hi]
                    under = np.full(len(v), ceiling)
                    if pr["dither"]:  # a cleverer fake: wobble just under the ceiling
                        under = under - np.abs(rng.normal(0, 1.2 * q, len(v)))
                    clipped = np.where(v > ceiling, np.round(np.round(under / q) * q, 6), v)
                    faked[i, lo:hi] |= clipped != v
                    x[i, lo:hi] = clipped
            elif kind == FALSIFY_GAS_AIRFLOW:
                r = e["ramp"][a:b]
                for code in e["sensors"] or self._ch4_of(e["group"]):
                    i = self.pos[code]
                    q = self.p.spec(code).resolution
                    scale = 1 + (pr["factor"] * pr["lowered"] - 1) * r
                    x[i, a:b] = np.round(np.round(x[i, a:b] * scale / q) * q, 6)
                    faked[i, a:b] = True
            elif kind == FALSIFY_MISSING_CUT:
                for fd in {self.p.spec(c).feed for c in self._ch4_of(e["group"])} - {""}:
                    force_feed[fd] = force_feed.get(fd, np.zeros(self.n, dtype=bool))
                    force_feed[fd][a:] |= e["shape"][a:] > 0.02
            if kind in EVENT_PATTERN:
                e["faked"] = ~((x == before) | (np.isnan(x) & np.isnan(before)))
                if kind in (FALSIFY_FLAT, FALSIFY_REPLAY):  # a fake equal to the truth by chance is still fake
                    e["faked"][self.pos[e["sensors"][0]], a:b] = True
                if kind == FALSIFY_MISSING_CUT:
                    e["faked"] = np.zeros(x.shape, dtype=bool)
                faked |= e["faked"]
        return x, faked, force_feed

    def _feed(self, x: np.ndarray, force: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Interlock: power cut while a linked CH₄ reading ≥ cut level; restored once every linked reading
        has stayed below its restore level for the restore delay (manual restore, 1–5 min)."""
        out: dict[str, np.ndarray] = {}
        for fs in self.p.sensors:
            if fs.kind != "feed":
                continue
            r = np.random.default_rng([self.seed, 5, self.pos[fs.code], 0])
            linked = [s for s in self.p.sensors if s.feed == fs.code and not math.isnan(s.thresholds.cut_high)]
            trig = np.zeros(self.n, dtype=bool)
            clear = np.ones(self.n, dtype=bool)
            for s in linked:
                i = self.pos[s.code]
                v = np.where(self.cal_no_cut[i] | np.isnan(x[i]), -np.inf, x[i])
                trig |= v >= s.thresholds.cut_high
                clear &= v < s.thresholds.restore_high
            delay = max(1, int(r.uniform(60, 300) / self.step))
            last_trig = _last_index(trig)
            last_not_clear = _last_index(~clear)
            run = np.arange(self.n) - last_not_clear
            restored = _last_index(run >= delay)
            cut = (last_trig >= 0) & (restored < last_trig)
            # the switch opens within 2 s of the reading, so the feed sample at the same time still shows power
            cut_seen = np.concatenate(([False], cut[:-1]))
            if fs.code in force:
                cut_seen &= ~force[fs.code]
            group = fs.group
            maint_off = (~self.producing_shift) & (_segments(r, self.n, self.step, 1800, 5400) > 0)
            if self.p.halted:
                maint_off = np.ones(self.n, dtype=bool) & (self.area[group].get("hidden", np.zeros(self.n)) <= 0)
            out[group] = np.where(cut_seen | maint_off, 0.0, 1.0)
        return out

    # ----- run

    def run(self) -> SimResult:
        self._physics_events()
        self._scale_pulses()
        # two passes: the interlock of the first stops production in the second (the gas of an inflow
        # still comes), and the final feed follows the final readings exactly
        feed_on = None
        for _ in range(2):
            measured = self._apply_faults(self._measure(self._true(feed_on)))
            reported, faked, force = self._falsify(measured)
            feed_on = self._feed(reported, force)
        for fs in self.p.sensors:
            if fs.kind == "feed":
                reported[self.pos[fs.code]] = feed_on[fs.group]
                measured[self.pos[fs.code]] = feed_on[fs.group]
        status = np.zeros((self.S, self.n), dtype=np.int32)
        # a replaced window hides the system's own calibration / fault marks; a transformed one keeps them
        status[self.cal & ~self.replaced] |= CALIBRATING
        status[self.fault & ~self.replaced] |= 128
        for i, s in enumerate(self.p.sensors):
            t = s.thresholds
            with np.errstate(invalid="ignore"):
                if not math.isnan(t.alarm_high):
                    status[i, reported[i] >= t.alarm_high] |= 1
                if not math.isnan(t.alarm_low):
                    status[i, reported[i] < t.alarm_low] |= 1
                if not math.isnan(t.cut_high):
                    status[i, reported[i] >= t.cut_high] |= 2
                if not math.isnan(s.range_high):
                    status[i, (reported[i] >= s.range_high) & ~faked[i]] |= 8
        reported = np.where(self.missing, np.nan, reported)
        self._event_labels(measured)
        return SimResult(profile=self.p, ts=self.ts, values=reported, status=status,
                         labels=tuple(sorted(self.labels, key=lambda lb: (lb.start, lb.kind))), truth=measured,
                         idle_power=float(self._idle_power))

    def _event_labels(self, measured: np.ndarray) -> None:
        """Labels of the injected episodes as they came out: gas episodes where the readings reached the
        level (none if they never did), falsifications where the data were changed."""
        for e in self.events:
            ev, pr = e["ev"], e["params"]
            kind = ev.kind
            if kind in (GAS_EXCEEDANCE, GAS_NEAR_ALARM, FALSIFY_MISSING_CUT):
                codes = self._ch4_of(e["group"])
                level = {GAS_EXCEEDANCE: "alarm_high", GAS_NEAR_ALARM: None, FALSIFY_MISSING_CUT: "cut_high"}[kind]
                hit, lo, hi = [], self.n, -1
                for code in codes:
                    i = self.pos[code]
                    thr = getattr(self.p.spec(code).thresholds, level) if level else 0.8 * self.p.spec(
                        code).thresholds.alarm_high
                    over = np.nonzero((measured[i] >= thr) & (e["shape"] > 0.02))[0]
                    if len(over):
                        hit.append(code)
                        lo, hi = min(lo, over[0]), max(hi, over[-1])
                if hi < 0:
                    continue  # nothing reached the level (e.g. a maintenance-shift inflow): no episode
                if kind == FALSIFY_MISSING_CUT:
                    hit += sorted({self.p.spec(c).feed for c in codes} - {""})
                self.labels.append(Label(kind, int(self.ts[lo]), int(self.ts[hi]), tuple(hit),
                                         {"peak": pr["peak"], "group": e["group"]}))
            elif kind in EVENT_PATTERN:
                codes = [c for c in (e["sensors"] or self._ch4_of(e.get("group", ""))) if e["faked"][self.pos[c]].any()]
                if kind == FALSIFY_REPLAY and pr["source"] != e["sensors"][0]:
                    codes.append(pr["source"])
                if kind == FALSIFY_GAS_AIRFLOW:
                    codes += [s.code for s in self.p.sensors if s.group == e["group"] and s.kind == "wind_speed"]
                own = e["faked"]
                rows = [self.pos[c] for c in codes if own[self.pos[c]].any()]
                if not rows:
                    continue
                any_fake = np.nonzero(own[rows].any(axis=0))[0]
                params = {k: v for k, v in pr.items() if isinstance(v, (int, float, str, bool))}
                self.labels.append(Label(kind, int(self.ts[any_fake[0]]), int(self.ts[any_fake[-1]]), tuple(codes),
                                         params))


def simulate(profile: MineProfile, start: int, seconds: int, step: int = 10, seed: int = 0,
             events: Sequence[Event] = ()) -> SimResult:
    """Simulate ``seconds`` of readings every ``step`` s from ``start`` (epoch seconds) for ``profile``;
    deterministic for a seed. ``events`` are injected; every episode actually produced is labelled."""
    if step < 1 or seconds < 2 * step:
        raise ValueError("need at least two readings")
    return _Sim(profile, start, seconds, step, seed, events).run()


# --------------------------------------------------------------------------------------- random events


def random_events(profile: MineProfile, start: int, seconds: int, seed: int, falsify: bool = True,
                  confounders: bool = True) -> list[Event]:
    """A plausible mix of events for ``profile`` over the span: per day about one of each falsification
    pattern the profile supports (if ``falsify``) and honest confounders (gas close to the alarm level,
    real exceedances, ventilation changes; rain at a tailings pond; hidden operation at a halted mine).
    Events never overlap in time (with a 2-hour margin) within one working area, so each label stays
    unambiguous; falsifications that need production (clipping, gas vs airflow, missing cut) are
    placed in production shifts of producing mines."""
    rng = np.random.default_rng([seed, 7])
    end = start + seconds
    hour = 3600
    prof = profile
    busy: dict[str, list[tuple[int, int]]] = {}
    out: list[Event] = []
    faces, areas = prof.groups("face"), prof.groups("face") + prof.groups("heading")
    analog = [s for s in prof.sensors if s.kind in ANALOG_KINDS]
    ch4 = [s for s in prof.sensors if s.kind == "ch4" and s.location != "face_intake"]
    # fresh-air CH₄ (intake) reads ~0.00 for hours honestly: flattening it is pointless and undetectable
    flat_targets = [s for s in analog if s.location != "face_intake"]
    producing = prof.sector == "coal" and not prof.halted

    def in_production(t: int, dur: int) -> bool:
        local = ((t + CST) % 86400) / 3600
        return int(local // 8) != prof.maintenance_shift and local % 8 >= 0.8 and local % 8 + dur / 3600 < 7.6

    def place(kind: str, choices: list[tuple[tuple[str, ...], dict[str, Any]]], dur_range: tuple[float, float],
              production: bool | str = False, earliest: int = hour) -> None:
        """Put one event of ``kind`` on a random choice and time; ``production``: True = wholly inside a
        production shift, "start" = starting in one."""
        for _ in range(60):
            if not choices:
                return
            sensors, params = choices[int(rng.integers(len(choices)))]
            dur = int(rng.uniform(*dur_range))
            lag = int(params.get("lag", 0))
            lo = start + max(earliest, lag + hour)
            if lo >= end - dur - hour // 2:
                continue
            t = int(rng.integers(lo, end - dur - hour // 2))
            if production and not in_production(t, dur if production != "start" else 0):
                continue
            group = params.get("group") or prof.spec(sensors[0]).group
            spans = [(group, t, t + dur)]
            if "source" in params:
                spans.append((prof.spec(params["source"]).group, t - lag, t - lag + dur))
            if kind == VENT_CHANGE:  # only the two steps matter
                spans = [(group, t - hour, t + hour), (group, t + dur - hour, t + dur + hour)]
            if all(b + 2 * hour <= x or a - 2 * hour >= y for key, a, b in spans for x, y in busy.get(key, [])):
                for key, a, b in spans:
                    busy.setdefault(key, []).append((a, b))
                out.append(Event(kind, t, t + dur, sensors, dict(params)))
                return

    def by_group(groups: list[str]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
        return [((), {"group": g}) for g in groups]

    def replays(targets: list[SensorSpec], same_time_kinds: frozenset[str]) -> list[tuple[tuple[str, ...], dict]]:
        pairs: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        for s in targets:
            if seconds > 30 * hour:
                pairs.append(((s.code,), {"source": s.code, "lag": 86400}))  # yesterday's data again
            for o in analog:
                if o.kind == s.kind and o.code != s.code and s.kind in same_time_kinds:
                    pairs.append(((s.code,), {"source": o.code, "lag": int(rng.choice([0, 6 * hour, 86400]))}))
        return [p for p in pairs if p[1]["lag"] < seconds - 8 * hour]

    for _ in range(max(1, round(seconds / 86400))):
        if prof.sector == "coal":
            if falsify:
                place(FALSIFY_FLAT, [((s.code,), {}) for s in flat_targets], (2 * hour, 10 * hour))
                if producing:  # the gas to hide comes with production; a halted mine has little
                    place(FALSIFY_SHIFT, [((s.code,), {}) for s in ch4], (4 * hour, 20 * hour), production="start")
                place(FALSIFY_REPLAY, replays(analog, frozenset({"ch4", "wind_speed", "co", "temperature"})),
                      (1 * hour, 6 * hour))
                if producing:
                    place(FALSIFY_CLIP, by_group(areas), (1 * hour, 4 * hour), production=True)
                    place(FALSIFY_MISSING_CUT, by_group(areas), (10 * 60, 40 * 60), production=True)
                    place(FALSIFY_GAS_AIRFLOW, by_group(faces), (1.5 * hour, 5 * hour), production=True)
            if confounders and producing:
                place(GAS_NEAR_ALARM, by_group(areas), (1 * hour, 4 * hour), production=True)
                place(GAS_EXCEEDANCE, by_group(areas), (10 * 60, 40 * 60), production=True)
                place(VENT_CHANGE, by_group(areas), (6 * hour, 30 * hour))
                place(VENT_CHANGE, by_group(areas), (1 * hour, 6 * hour), production=True)
        elif prof.sector == "tailings":
            if falsify:
                place(FALSIFY_FLAT, [((s.code,), {}) for s in flat_targets], (2 * hour, 10 * hour))
                pl = [s for s in analog if s.kind in ("phreatic_line", "water_level")]
                place(FALSIFY_REPLAY, replays(pl, frozenset({"phreatic_line"})), (1 * hour, 6 * hour))
            if confounders:
                place(RAIN, [(("WL",), {"group": "DAM"})], (2 * hour, 6 * hour))
    if prof.halted and confounders:
        day0 = (start + CST) // 86400 * 86400 - CST
        for d in range(math.ceil(seconds / 86400)):
            a = day0 + d * 86400 + int(rng.uniform(21, 23) * hour)
            if rng.random() < 0.6 and start < a and a + 7 * hour < end:
                out.append(Event(HIDDEN_OPERATION, a, a + int(rng.uniform(4, 7) * hour)))
    return sorted(out, key=lambda e: e.start)
