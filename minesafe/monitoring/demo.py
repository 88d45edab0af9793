"""Demo monitoring on top of the registry demo (``manage.py demo_monitoring``), and the per-mine
simulation plans the live feed (``manage.py simulate``, :mod:`minesafe.monitoring.live`) shares.

Every mine that is not closed gets the measuring points its sector networks to the regulator
(issue #6; seeds 004 tasks 18, 25–26; DOMAIN §4.1, §4.2, §9):

- coal mines: per coal face CH₄ at T1 / T2 / T0 (and T3 at high-gas and outburst mines), wind speed,
  CO, temperature, O₂ in the intake and the face's feed (馈电) sensor linked to its CH₄ sensors; per
  heading T1 / T2, wind speed and feed; total-return CH₄ and wind speed; underground headcount
  (personnel positioning) and mine electricity;
- metal / non-metal underground mines: per stope return wind speed, CO and O₂; total-return wind
  speed; headcount; electricity;
- open pits: slope displacement at two or three points, headcount, electricity;
- tailings ponds: pond water level, phreatic-line depth at three sections, dry-beach length and dam
  displacement at two points.

Ranges, units and thresholds are the rule's defaults (``rules.monitoring.default_thresholds`` via
``sensors.defaults_for``); the rows are bulk-inserted with one audit entry for the build, as
``people.demo`` does. Each mine of the demo enterprise gets one data gateway through
``sensors.create_gateway`` (the token is not shown: a new one can be made on the gateway page).

History: 24 hours of simulated readings (``simulator.simulate``) for the demo county's mines and for
two producing coal mines (the demo county has none; the neighbour county's come first), stored
through ``ingest.store`` in half-hour slices, each followed by the engine worker (``worker.run_once``
with the slice's end as its clock), then the falsification scan over the day. Injected episodes:

- a gas exceedance at a coal face during production, with the interlock cutting the face's power
  (high and power-cut alarms, no 瓦斯超限作业);
- 瓦斯超限作业 at a heading: gas over the cut level while its feed sensor keeps showing power (a
  gas_work alarm and a ``missing_cut`` falsification flag);
- the total-return CH₄ sensor flat-lined for four hours (a ``flat_line`` flag);
- a halted mine (停产整顿 / 长期停产) with people underground and production load at night
  (明停暗开: a hidden_operation alarm).

Electricity of halted mines: a halted mine keeps its fans and pumps on the standby (保安) circuit; its
networked meter is the production feeder, reading a few kW of lighting and monitoring unless
production equipment runs, so the engine's ``MONITORING_IDLE_POWER`` (5 kW) means "production load".
Sensor kinds the simulator does not model at a position (O₂; anything off its working areas) get a
stationary stream with the kind's level, noise and display resolution.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import secrets
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from minesafe.accounts.models import User
from minesafe.core import audit
from minesafe.monitoring import ingest, partitions, worker
from minesafe.monitoring import simulator as sim
from minesafe.monitoring.models import Alarm, FalsificationFlag, Gateway, Sensor
from minesafe.monitoring.sensors import GATEWAY_TOKEN_PREFIX, create_gateway, defaults_for
from minesafe.registry.demo import COUNTY_CODE, DEMO_ENTERPRISE, OTHER_COUNTY_CODE
from minesafe.registry.models import Mine

__all__ = [
    "HISTORY_HOURS",
    "MinePlan",
    "Point",
    "build_monitoring_demo",
    "create_run_gateways",
    "layout",
    "monitoring_demo_blocker",
    "plan_for",
    "plans_for",
    "revoke_run_gateways",
    "simulate_plan",
    "stream_seed",
]

HISTORY_HOURS = 24
COAL_STEP = 10  # s: coal-mine polling (GB 50581 ≤ 30 s); the falsification detectors are tuned on 10 s
OTHER_STEP = 60  # s: non-coal online monitoring
SLICE_S = 1800  # history stored and evaluated in half-hour slices
CATCH_UP_S = 900  # simulated past the build's start, so history reaches "now" when the build ends
NON_COAL_STALE_S = 300  # no data after five missed polls of the slower non-coal systems
KW_PER_PERSON = 50.0  # open pits: electric shovels, crushers and conveyors follow the crews on site
STANDBY_KW = 2.0  # halted mines: lighting and monitoring on the production feeder
HALTED = tuple(worker.HALTED_STATUSES)


# --------------------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Point:
    """One measuring point of the demo layout (``feed``: the code of its linked feed sensor)."""

    code: str
    kind: str
    location: str
    place: str
    feed: str = ""


def layout(mine: Mine) -> list[Point]:
    """The measuring points a mine of this sector networks (see the module docstring)."""
    cap = mine.headcount_cap or 0
    if mine.sector == "coal":
        profile = sim.coal_mine(mine.name, mine.gas_grade or "low", faces=2 if cap >= 150 else 1,
                                headings=2 if cap >= 400 else 1)
        points = [Point(s.code, s.kind, s.location, s.place, s.feed) for s in profile.sensors]
        for group in profile.groups("face"):  # O₂ in the face's intake (DOMAIN §4.1: ≥ 20 %)
            points.append(Point(f"{group}-O2", "o2", "face_intake", f"{group}进风巷"))
        return points
    if mine.sector == "metal_underground":
        points = []
        for k in range(1, 3 if cap >= 60 else 2):
            place = f"{k}号采场回风巷"
            points += [Point(f"S{k}-WS", "wind_speed", "panel_return", place),
                       Point(f"S{k}-CO", "co", "panel_return", place),
                       Point(f"S{k}-O2", "o2", "panel_return", place)]
        return [*points, Point("TR-WS", "wind_speed", "total_return", "总回风巷"),
                Point("HC", "headcount", "mine", "井下人员"), Point("KW", "electricity", "mine", "全矿用电")]
    if mine.sector == "metal_open_pit":
        slopes = [Point(f"SL{k}", "displacement", "slope", f"{k}号边坡监测点") for k in range(1, 4 if cap >= 60 else 3)]
        return [*slopes, Point("HC", "headcount", "mine", "采场作业人员"),
                Point("KW", "electricity", "mine", "全矿用电")]
    if mine.sector == "tailings":
        return [Point("WL", "water_level", "dam", "库水位"),
                *(Point(f"PL{k}", "phreatic_line", "dam", f"第{k}断面浸润线埋深") for k in (1, 2, 3)),
                Point("DB", "dry_beach", "dam", "干滩长度"),
                Point("DS1", "displacement", "dam", "坝体位移监测点1"),
                Point("DS2", "displacement", "dam", "坝体位移监测点2")]
    return []


def _sensor_rows(mine: Mine) -> list[Sensor]:
    """Unsaved Sensor rows for the mine's layout with the rule's range, unit and thresholds."""
    rows = []
    for point in layout(mine):
        default = defaults_for(mine, point.kind, point.location)
        rows.append(Sensor(
            mine=mine, code=point.code, kind=point.kind, location=point.location, place=point.place,
            unit=default.unit, range_low=default.range_low, range_high=default.range_high,
            alarm_high=default.alarm_high, alarm_low=default.alarm_low, cut_high=default.cut_high,
            restore_high=default.restore_high, thresholds_overridden=False,
            stale_after_s=120 if mine.sector == "coal" else NON_COAL_STALE_S))
        rows[-1]._feed_code = point.feed  # type: ignore[attr-defined]
    return rows


def _create_sensors(mines: Sequence[Mine]) -> int:
    """Bulk-insert the layouts of ``mines`` and link the feed sensors; returns the number created."""
    rows = [row for mine in mines for row in _sensor_rows(mine)]
    Sensor.objects.bulk_create(rows, batch_size=1000)
    if connection.vendor != "postgresql" or any(r.pk is None for r in rows):  # pks back from SQLite ≥ 3.35 too
        pks = {(m, c): pk for m, c, pk in Sensor.objects.filter(mine__in=mines).values_list("mine_id", "code", "pk")}
        for row in rows:
            row.pk = pks[(row.mine_id, row.code)]
    by_code = {(row.mine_id, row.code): row for row in rows}
    linked = []
    for row in rows:
        feed = getattr(row, "_feed_code", "")
        if feed:
            row.feed_sensor_id = by_code[(row.mine_id, feed)].pk
            linked.append(row)
    Sensor.objects.bulk_update(linked, ["feed_sensor"], batch_size=1000)
    return len(rows)


# --------------------------------------------------------------------------------------- simulation plans


@dataclass
class MinePlan:
    """How to simulate one mine's stored sensors: the simulator profile (one spec per sensor, in the
    order of ``sensor_ids``), and the mine facts the post-processing needs."""

    mine_id: int
    name: str
    sector: str
    halted: bool
    profile: sim.MineProfile
    sensor_ids: np.ndarray  # int64, per profile sensor
    county: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.profile.sensors)


def _group(code: str, location: str) -> str:
    """The working area of a point: the code's prefix before its last "-" ("1301-T1" → "1301",
    "TR-CH4" → "TR"), else by location (whole mine, dam, slope, total return)."""
    if location == "total_return":
        return "TR"
    if "-" in code.strip("-"):
        return code.rsplit("-", 1)[0]
    return {"dam": "DAM", "slope": "SLOPE"}.get(location, "MINE")


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def plan_for(mine: Mine, sensors: Iterable[Sensor]) -> MinePlan | None:
    """The simulation plan of a mine's active sensors (None without any). Outside coal, a stope
    return (panel_return) is simulated like a coal-face return so its airflow, CO and the production
    load follow the shifts."""
    sensors = sorted((s for s in sensors if s.active), key=lambda s: s.pk)
    if not sensors:
        return None
    codes = {s.pk: s.code for s in sensors}
    specs = []
    for s in sensors:
        location = s.location
        if mine.sector != "coal" and location == "panel_return":
            location = "face_return"
        thresholds = sim.Thresholds(_nan(s.alarm_high), _nan(s.alarm_low), _nan(s.cut_high), _nan(s.restore_high))
        specs.append(sim.SensorSpec(
            s.code, s.kind, location, thresholds, _group(s.code, s.location), codes.get(s.feed_sensor_id, ""),
            s.place, range_low=s.range_low if s.range_low is not None else (0.0 if s.kind != "temperature" else -20.0),
            range_high=_nan(s.range_high)))
    cap = float(mine.headcount_cap) if mine.headcount_cap else math.nan
    default_crew = {"coal": 90, "metal_underground": 40, "metal_open_pit": 25}.get(mine.sector, 0)
    crew = round(0.38 * cap) if not math.isnan(cap) else default_crew
    if mine.status == "construction":
        crew = crew // 2
    grade = mine.gas_grade or ("high" if mine.sector == "metal_underground" else "low")
    profile = sim.MineProfile(name=mine.name, sector=mine.sector, gas_grade=grade, sensors=tuple(specs),
                              maintenance_shift=mine.pk % 3, halted=mine.status in HALTED, headcount_cap=cap,
                              crew=crew if any(s.kind == "headcount" for s in sensors) else 0)
    return MinePlan(mine.pk, mine.name, mine.sector, mine.status in HALTED, profile,
                    np.array([s.pk for s in sensors], np.int64), mine.county_id)


def plans_for(mines: Iterable[Mine]) -> list[MinePlan]:
    """Plans of the mines (in the given order), loading their active sensors in one query."""
    mines = list(mines)
    by_mine: dict[int, list[Sensor]] = {}
    for s in Sensor.objects.filter(mine__in=[m.pk for m in mines], active=True).order_by("pk"):
        by_mine.setdefault(s.mine_id, []).append(s)
    plans = [plan_for(m, by_mine.get(m.pk, [])) for m in mines]
    return [p for p in plans if p is not None]


# kind → (level, noise sigma, display resolution) of a stationary stream for what the simulator leaves empty
_STATIONARY = {
    "o2": (20.8, 0.07, 0.1), "co": (3.0, 0.7, 1.0), "wind_speed": (1.5, 0.03, 0.01), "temperature": (21.5, 0.08, 0.1),
    "ch4": (0.04, 0.008, 0.01), "smoke": (0.0, 0.0, 1.0), "feed": (1.0, 0.0, 1.0), "headcount": (0.0, 0.0, 1.0),
    "electricity": (800.0, 8.0, 1.0), "water_level": (99.0, 0.008, 0.01), "phreatic_line": (8.0, 0.008, 0.01),
    "dry_beach": (130.0, 0.08, 0.1), "displacement": (0.4, 0.02, 0.01),
}


def _stationary(kind: str, n: int, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    level, sigma, q = _STATIONARY.get(kind, (0.0, 0.0, 1.0))
    level *= rng.uniform(0.97, 1.03)
    slow = np.convolve(rng.standard_normal(n + 59), np.ones(60) / math.sqrt(60), "valid")[:n]
    daily = 0.002 * level * np.sin(2 * np.pi * (((ts + 8 * 3600) % 86400) / 3600 - 15) / 24)
    return np.round(np.round((level + daily + sigma * rng.standard_normal(n) + 0.5 * sigma * slow) / q) * q, 6)


def simulate_plan(plan: MinePlan, start: int, seconds: int, step: int, seed: int,
                  events: Sequence[sim.Event] = ()) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                                                             sim.SimResult]:
    """Simulate a plan: (sensor pk, epoch ts, value, status) ordered by time, and the simulator's
    result (labels of the injected events). Rows the simulator leaves wholly empty get a stationary
    stream (missing where the mine's communication was lost); open-pit electricity follows the people
    on site; a halted mine's production feeder reads the load above the standby circuit."""
    res = sim.simulate(plan.profile, start, seconds, step, seed, events)
    values = res.values.copy()
    status = res.status
    kinds = [s.kind for s in plan.profile.sensors]
    empty = np.isnan(values).all(axis=1)
    if empty.any():
        rng = np.random.default_rng([seed, 11])
        modelled = values[~empty]
        lost = np.isnan(modelled).all(axis=0) if len(modelled) else np.zeros(values.shape[1], bool)
        for i in np.flatnonzero(empty):
            values[i] = np.where(lost, np.nan, _stationary(kinds[i], values.shape[1], res.ts, rng))
    kw = [i for i, k in enumerate(kinds) if k == "electricity"]
    hc = [i for i, k in enumerate(kinds) if k == "headcount"]
    for i in kw:
        if plan.sector == "metal_open_pit" and hc:
            values[i] = values[i] + KW_PER_PERSON * np.nan_to_num(values[hc[0]])
        if plan.halted:
            rng = np.random.default_rng([seed, 12, i])
            standby = np.maximum(0.5, STANDBY_KW + 0.6 * rng.standard_normal(values.shape[1]))
            values[i] = np.round(standby + np.maximum(0.0, values[i] - res.idle_power))
    s_idx, t_idx = np.nonzero(~np.isnan(values))
    order = np.lexsort((s_idx, t_idx))
    s_idx, t_idx = s_idx[order], t_idx[order]
    return (plan.sensor_ids[s_idx], res.ts[t_idx], values[s_idx, t_idx], status[s_idx, t_idx]), res


# --------------------------------------------------------------------------------------- run gateways


def create_run_gateways(mine_ids: Iterable[int], name: str) -> dict[int, str]:
    """A fresh data gateway per mine for one simulator run (system actor, one audit entry); returns
    mine id → token. The tokens follow ``sensors.create_gateway`` (random, ``gw_`` prefix, only the
    SHA-256 stored); :func:`revoke_run_gateways` retires them at the end of the run."""
    tokens: dict[int, str] = {}
    rows = []
    for mine_id in mine_ids:
        raw = GATEWAY_TOKEN_PREFIX + secrets.token_urlsafe(32)
        tokens[mine_id] = raw
        rows.append(Gateway(mine_id=mine_id, name=name[:100], token_hash=hashlib.sha256(raw.encode()).hexdigest(),
                            prefix=raw[:12]))
    with transaction.atomic():
        Gateway.objects.bulk_create(rows, batch_size=1000)
        audit.record(actor=None, action="monitoring.gateway.create", object_type="monitoring.gateway",
                     object_repr=name[:255], after={"mines": len(rows), "name": name}, message="simulator run")
    return tokens


def revoke_run_gateways(name: str) -> int:
    """Retire the gateways a simulator run created (by their name); audited as one entry."""
    with transaction.atomic():
        revoked = Gateway.objects.filter(name=name[:100], active=True).update(active=False, updated_at=timezone.now())
        if revoked:
            audit.record(actor=None, action="monitoring.gateway.revoke", object_type="monitoring.gateway",
                         object_repr=name[:255], before={"active": True}, after={"active": False, "gateways": revoked},
                         message="simulator run ended")
    return revoked


# --------------------------------------------------------------------------------------- the demo build


def monitoring_demo_blocker() -> str:
    """Why the demo cannot be built into this database ("" = it can)."""
    count = Sensor.objects.count()
    if count:
        return f"{count} sensors already exist"
    if not Mine.objects.exclude(status="closed").exists():
        return "the registry demo is missing (run `manage.py demo` first)"
    return ""


@dataclass
class _Choice:
    history: list[Mine]
    coal: Mine | None  # the gas episodes
    halted: Mine | None  # the night-time hidden operation
    steps: dict[int, int] = field(default_factory=dict)


def _choose(mines: list[Mine]) -> _Choice:
    """The mines with history: the demo county's and two producing coal mines (the neighbour
    county's first); where the gas episodes and the hidden operation go."""
    county = [m for m in mines if m.county_id == COUNTY_CODE]
    coal = sorted((m for m in mines if m.sector == "coal" and m.status == "production"),
                  key=lambda m: (m.county_id != OTHER_COUNTY_CODE, m.pk))[:2]
    history = county + [m for m in coal if m not in county]
    underground = ("coal", "metal_underground")
    halted = sorted((m for m in history if m.status in HALTED),
                    key=lambda m: (m.enterprise.name != DEMO_ENTERPRISE, m.sector not in underground,
                                   m.status != "rectification", m.pk))
    choice = _Choice(history=history, coal=coal[0] if coal else None, halted=halted[0] if halted else None)
    choice.steps = {m.pk: COAL_STEP if m == choice.coal else OTHER_STEP for m in history}
    return choice


def _in_production(profile: sim.MineProfile, t: int, duration: int) -> bool:
    """Wholly inside a production shift (三八制, local time), away from the shift's first and last minutes."""
    local = ((t + 8 * 3600) % 86400) / 3600
    return (int(local // 8) != profile.maintenance_shift and local % 8 >= 1.0
            and local % 8 + duration / 3600 < 7.5)


def _production_slot(profile: sim.MineProfile, lo: int, hi: int, duration: int) -> int:
    for t in range(lo, hi, 600):
        if _in_production(profile, t, duration):
            return t
    return lo


def _episodes(choice: _Choice, plans: dict[int, MinePlan], start: int, end: int) -> dict[int, list[sim.Event]]:
    """The injected events per mine (see the module docstring)."""
    events: dict[int, list[sim.Event]] = {}
    hour = 3600
    if choice.coal is not None and choice.coal.pk in plans:
        profile = plans[choice.coal.pk].profile
        faces, headings = profile.groups("face"), profile.groups("heading")
        t1 = _production_slot(profile, start + 3 * hour, start + 11 * hour, 1200)
        t2 = _production_slot(profile, start + 14 * hour, end - 2 * hour, 1500)
        cheat = headings[0] if headings else faces[-1]
        coal_events = [
            sim.Event(sim.GAS_EXCEEDANCE, t1, t1 + 1200, params={"group": faces[0], "peak": 1.9, "rise": 180.0,
                                                                 "decay": 400.0}),
            sim.Event(sim.FALSIFY_MISSING_CUT, t2, t2 + 1500, params={"group": cheat, "peak": 1.8, "rise": 240.0,
                                                                      "decay": 400.0}),
        ]
        if any(s.code == "TR-CH4" for s in profile.sensors):
            coal_events.append(sim.Event(sim.FALSIFY_FLAT, start + 7 * hour, start + 11 * hour, ("TR-CH4",),
                                         {"near_constant": False}))
        events[choice.coal.pk] = coal_events
    if choice.halted is not None and choice.halted.pk in plans:
        # the latest 21:00 local at least six hours before the end, not before the first hour of history
        night = (end - 6 * hour + 8 * hour) // 86400 * 86400 - 8 * hour + 21 * hour
        while night > end - 6 * hour:
            night -= 86400
        night = max(night, start + hour)
        events[choice.halted.pk] = [sim.Event(sim.HIDDEN_OPERATION, night, night + 5 * hour, params={"crew": 30})]
    return events


def stream_seed(base: int, mine_id: int, part: int = 0) -> int:
    """The simulator seed of one mine's stream (``part``: 0 the demo history, k ≥ 1 the live feed's chunks)."""
    return (base * 1_000_003 + mine_id * 7919 + part) % (2**31)


def build_monitoring_demo(*, seed: int = 2024, now: dt.datetime | None = None, hours: int = HISTORY_HOURS,
                          stdout: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build the demo sensors, gateways, history, alarms and flags; returns counts for the summary.

    Raises RuntimeError when :func:`monitoring_demo_blocker` says it cannot be built."""
    blocker = monitoring_demo_blocker()
    if blocker:
        raise RuntimeError(f"cannot build the monitoring demo: {blocker}")
    say = stdout or (lambda _line: None)
    started = time.perf_counter()
    mines = list(Mine.objects.exclude(status="closed").select_related("enterprise").order_by("pk"))
    choice = _choose(mines)
    history_ids = {m.pk for m in choice.history}
    partitions.ensure(connection)

    # 1. the history mines' sensors (the others come after the history: the engine would count their
    #    silence from the first half-hour of history and raise communication-loss alarms)
    with transaction.atomic():
        created = _create_sensors(choice.history)
    plans = {p.mine_id: p for p in plans_for(choice.history)}

    end = int((now or timezone.now()).timestamp()) // 60 * 60
    start = end - hours * 3600
    events = _episodes(choice, plans, start, end)
    streams, labels = [], []
    for mine_id, plan in plans.items():
        (sid, ts, value, status), res = simulate_plan(plan, start, hours * 3600 + CATCH_UP_S, choice.steps[mine_id],
                                                      stream_seed(seed, mine_id), events.get(mine_id, ()))
        streams.append((sid, ts, value, status))
        labels += [(plan.name, label) for label in res.labels if label.kind in (
            sim.GAS_EXCEEDANCE, sim.FALSIFY_MISSING_CUT, sim.FALSIFY_FLAT, sim.HIDDEN_OPERATION)]
    sid, ts, value, status = (np.concatenate(parts) for parts in zip(*streams, strict=True))
    order = np.argsort(ts, kind="stable")
    sid, ts, value, status = sid[order], ts[order], value[order], status[order]
    say(f"simulated {len(ts):,} readings of {len(plans)} mines ({time.perf_counter() - started:.1f} s)")

    # 2. history in slices, the engine after each with the slice's end as its clock
    shard = worker.Shard()
    worker.forget(shard)
    state = None
    stored = 0
    with override_settings(MONITORING_ENGINE_LAG_MS=0):  # one writer here: nothing can commit behind the cursor
        slices = list(itertools.pairwise([*range(start, end, SLICE_S), end]))
        slices.append((end, -1))  # then up to the wall clock: the history ends when the build does
        for lo_t, hi_t in slices:
            if hi_t < 0:
                hi_t = min(int(time.time()) + 1, start + hours * 3600 + CATCH_UP_S)
            lo, hi = np.searchsorted(ts, lo_t, "left"), np.searchsorted(ts, hi_t, "left")
            if hi > lo:
                rows = list(zip(sid[lo:hi].tolist(), (ts[lo:hi] * 1_000_000).tolist(), value[lo:hi].tolist(),
                                status[lo:hi].tolist(), strict=True))
                stored += ingest.store(rows).stored
            more = True
            while more:
                state, stats = worker.run_once(shard, state, now=hi_t)
                more = stats["more"]
        clock = hi_t
    say(f"stored {stored:,} readings and ran the engine ({time.perf_counter() - started:.1f} s)")
    with warnings.catch_warnings():  # numpy's "mean of empty slice" over the detectors' all-missing windows
        warnings.simplefilter("ignore", RuntimeWarning)
        flags = worker.scan_falsification(shard, now=clock, hours=hours + 0.25, mine_ids=sorted(history_ids))
    say(f"falsification scan: {flags} flags ({time.perf_counter() - started:.1f} s)")

    # 3. everyone else's sensors, the demo enterprise's gateways, one audit entry for the build
    rest = [m for m in mines if m.pk not in history_ids]
    with transaction.atomic():
        created += _create_sensors(rest)
        audit.record(actor=None, action="monitoring.demo.build", object_type="monitoring.sensor",
                     after={"sensors": created, "mines": len(mines), "history_mines": len(history_ids),
                            "readings": stored, "hours": hours,
                            "episodes": [f"{name}: {label.kind} {', '.join(label.sensors)}" for name, label in labels]})
    gateways = _demo_gateways(mines)
    worker.forget(shard)
    worker.run_once(shard)
    alarms = Counter(Alarm.objects.values_list("kind", flat=True))
    return {
        "sensors": created, "mines": len(mines), "history_mines": len(history_ids), "readings": stored,
        "gateways": gateways, "alarms": dict(alarms),
        "open_alarms": Alarm.objects.filter(ended_at__isnull=True).count(),
        "flags": dict(Counter(FalsificationFlag.objects.values_list("pattern", flat=True))),
        "episodes": [(name, label.kind, label.sensors) for name, label in labels],
        "gas_mine": choice.coal.name if choice.coal else "", "halted_mine": choice.halted.name if choice.halted else "",
        "seconds": time.perf_counter() - started,
    }


def _demo_gateways(mines: list[Mine]) -> int:
    """One gateway per mine of the demo enterprise, created by its principal (tokens not kept)."""
    principal = User.objects.filter(username="ent_principal", is_active=True).first()
    if principal is None:
        return 0
    count = 0
    for mine in mines:
        if mine.enterprise.name == DEMO_ENTERPRISE:
            create_gateway(principal, mine, f"{mine.name} 监控系统网关")
            count += 1
    return count
