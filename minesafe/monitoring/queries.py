"""Read side of monitoring for the pages and the API: alarm counts, chart series from the minute
aggregates, line-chart geometry (server-side SVG, like ``core.charts``), the live-panel payload and the
map of mines coloured by their most severe active alarm.

Every function starts from a scoped queryset (``visible_to``) or from objects the caller has already
found through one; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minesafe.accounts.choices import ENTERPRISE_ROLES, REGULATOR_ROLES
from minesafe.accounts.models import User
from minesafe.accounts.permissions import PERMISSIONS
from minesafe.core.models import AuditEntry
from minesafe.core.querysets import scope_of
from minesafe.monitoring import alarms
from minesafe.monitoring.choices import AlarmKind, FlagStatus, Severity
from minesafe.monitoring.models import Alarm, FalsificationFlag, MinuteAggregate, Sensor
from minesafe.registry.choices import MineStatus
from minesafe.registry.models import Mine

__all__ = [
    "HOURS_DEFAULT", "HOURS_MAX", "LEVEL_COLOURS", "LineChart", "MapMine", "MineMap", "Point", "alarm_counts",
    "assignable_users", "line_chart", "mine_map", "panel_payload", "sensor_series", "series_payload",
]

HOURS_DEFAULT = 6
HOURS_MAX = 72  # a panel of 50 sensors over 72 h is 216,000 minute rows: the most one request reads
MAX_POINTS = 360  # points per chart: a 6-hour window is one point a minute; longer ones are bucketed

# Badge colours (app.css) and SVG fills per level: 0 = no active alarm, then Severity 1–3.
LEVEL_COLOURS = {0: "green", Severity.NOTICE: "blue", Severity.ALARM: "orange", Severity.CRITICAL: "red"}
LEVEL_FILLS = {0: "#2f855a", Severity.NOTICE: "#2b6cb0", Severity.ALARM: "#dd6b20", Severity.CRITICAL: "#d64545"}
NOT_NETWORKED_FILL = "#a0aec0"
LEVEL_LABELS = {0: _("No active alarm"), Severity.NOTICE: _("Notice"), Severity.ALARM: _("Alarm"),
                Severity.CRITICAL: _("Critical")}

# Threshold lines drawn on a sensor chart (Sensor fields; DOMAIN §4.2: alarm, power-cut, restore).
THRESHOLDS: tuple[tuple[str, Any, str], ...] = (
    ("cut_high", _("Power cut"), "#d64545"),
    ("alarm_high", _("Alarm"), "#dd6b20"),
    ("restore_high", _("Restore"), "#2f855a"),
    ("alarm_low", _("Low alarm"), "#b7791f"),
)


# --- counts ----------------------------------------------------------------------------------------


def alarm_counts(user: Any) -> dict[str, Any]:
    """Active alarms in the user's scope: by severity, by kind (each split by severity), the number
    of mines with an active alarm and of open falsification flags — three queries."""
    rows = alarms.active_alarms(user).order_by().values("kind", "severity").annotate(n=Count("id"))
    by_severity = dict.fromkeys(Severity.values, 0)
    by_kind: dict[str, dict[int, int]] = {k: dict.fromkeys(Severity.values, 0) for k in AlarmKind.values}
    for row in rows:
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + row["n"]
        by_kind.setdefault(row["kind"], dict.fromkeys(Severity.values, 0))[row["severity"]] += row["n"]
    mines = alarms.active_alarms(user).order_by().values("mine_id").distinct().count()
    flags = FalsificationFlag.objects.visible_to(user).filter(status=FlagStatus.OPEN).count()
    return {"by_severity": by_severity, "by_kind": by_kind, "total": sum(by_severity.values()), "mines": mines,
            "open_flags": flags}


# --- chart series ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One chart point: a minute (or a bucket of minutes) of aggregates."""

    t: dt.datetime
    avg: float
    low: float
    high: float
    last: float
    n: int


def window(hours: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The last ``hours`` hours up to the end of the current minute."""
    now = now or timezone.now()
    end = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return end - dt.timedelta(hours=hours), end


def clamp_hours(value: Any, default: int = HOURS_DEFAULT) -> int:
    """?hours= as an int in [1, HOURS_MAX]; anything unreadable is the default."""
    try:
        hours = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return min(max(hours, 1), HOURS_MAX)


def sensor_series(sensor_ids: Iterable[int], start: dt.datetime, end: dt.datetime, *,
                  max_points: int = MAX_POINTS) -> dict[int, list[Point]]:
    """Minute aggregates of the sensors in [start, end), one query; with more minutes than
    ``max_points`` consecutive minutes are merged into buckets (min of minimums, max of maximums,
    count-weighted mean, last value)."""
    ids = list(sensor_ids)
    series: dict[int, list[Point]] = {pk: [] for pk in ids}
    if not ids:
        return series
    span = max(1, math.ceil((end - start).total_seconds() / 60))
    bucket = max(1, math.ceil(span / max(1, max_points)))
    rows = (MinuteAggregate.objects.filter(sensor_id__in=ids, minute__gte=start, minute__lt=end)
            .order_by("sensor_id", "minute")
            .values_list("sensor_id", "minute", "n", "min_value", "max_value", "sum_value", "last_value"))
    current: dict[int, list[Any]] = {}
    for sensor_id, minute, n, low, high, total, last in rows:
        index = int((minute - start).total_seconds() // 60) // bucket
        acc = current.get(sensor_id)
        if acc is not None and acc[0] == index:
            acc[2] += n
            acc[3] = min(acc[3], low)
            acc[4] = max(acc[4], high)
            acc[5] += total
            acc[6] = last
            continue
        if acc is not None:
            series[sensor_id].append(_point(acc))
        current[sensor_id] = [index, start + dt.timedelta(minutes=index * bucket), n, low, high, total, last]
    for sensor_id, acc in current.items():
        series[sensor_id].append(_point(acc))
    return series


def _point(acc: list[Any]) -> Point:
    _index, t, n, low, high, total, last = acc
    return Point(t=t, avg=total / n if n else last, low=low, high=high, last=last, n=n)


# --- line chart geometry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdLine:
    kind: str
    label: str
    value: float
    y: float
    colour: str
    text: str = ""  # the label drawn at the line ("" when an equal line above carries it)
    dy: int = -3  # label above the line, or below it when it would overlap the previous label


@dataclass(frozen=True)
class LineChart:
    """Geometry of one time-series chart: SVG path data for the mean line and the min–max band,
    horizontal threshold lines, axis ticks and shaded spans (alarm episodes). ``left``/``right`` and
    ``top``/``bottom`` bound the plot area."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    line: str
    band: str
    thresholds: list[ThresholdLine] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)
    empty: bool = True

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the panel's polling script (labels in the request's language)."""
        return {
            "width": self.width, "height": self.height, "left": self.left, "right": self.right, "top": self.top,
            "bottom": self.bottom, "plot_height": self.plot_height, "line": self.line, "band": self.band,
            "empty": self.empty,
            "thresholds": [{"kind": t.kind, "label": str(t.label), "value": t.value, "y": t.y, "colour": t.colour,
                            "text": t.text, "dy": t.dy} for t in self.thresholds],
            "y_ticks": [[y, label] for y, label in self.y_ticks],
            "x_ticks": [[x, label] for x, label in self.x_ticks],
            "spans": [[x, w] for x, w in self.spans],
        }


def nice_step(span: float, ticks: int = 4) -> float:
    """A 1-2-5 step giving about ``ticks`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _format(value: float, step: float) -> str:
    """The tick value with as many decimals as the step needs (0.25 → two, 0.5 → one, 2 → none)."""
    decimals = 0
    while decimals < 6 and abs(round(step * 10**decimals) - step * 10**decimals) > 1e-9:
        decimals += 1
    return f"{value:.{decimals}f}"


TIME_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)


def time_ticks(start: dt.datetime, end: dt.datetime, *, ticks: int = 6) -> list[tuple[dt.datetime, str]]:
    """Round local times between start and end (about ``ticks`` of them) with their labels."""
    span_min = (end - start).total_seconds() / 60
    step = next((s for s in TIME_STEPS_MIN if span_min / s <= ticks), TIME_STEPS_MIN[-1])
    local_start = timezone.localtime(start)
    day0 = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    k = math.ceil((local_start - day0).total_seconds() / 60 / step)
    fmt = "%H:%M" if span_min <= 1440 else ("%m-%d" if step >= 1440 else "%m-%d %H:%M")
    out = []
    t = day0 + dt.timedelta(minutes=k * step)
    while t <= end and len(out) < 50:
        out.append((t, t.strftime(fmt)))
        t += dt.timedelta(minutes=step)
    return out


def line_chart(points: Sequence[Point], start: dt.datetime, end: dt.datetime, *,
               thresholds: dict[str, float | None] | None = None,
               spans: Sequence[tuple[dt.datetime, dt.datetime | None]] = (),
               width: int = 560, height: int = 180, pad_left: int = 44, pad_right: int = 8, pad_top: int = 8,
               pad_bottom: int = 20) -> LineChart:
    """Geometry for a sensor chart over [start, end]: the mean as a line and the min–max envelope as a
    band (both broken across gaps of more than three buckets), the given thresholds as horizontal lines
    (the value axis always includes them, so a line is never off the chart), and ``spans`` (an alarm
    episode, open-ended = until ``end``) shaded."""
    thresholds = thresholds or {}
    left, right, top, bottom = pad_left, width - pad_right, pad_top, height - pad_bottom
    seconds = max(1.0, (end - start).total_seconds())

    def x_of(t: dt.datetime) -> float:
        frac = (t - start).total_seconds() / seconds
        return round(left + (right - left) * min(max(frac, 0.0), 1.0), 1)

    levels = [(kind, label, colour, thresholds.get(kind)) for kind, label, colour in THRESHOLDS]
    levels = [(k, label, c, float(v)) for k, label, c, v in levels if v is not None and math.isfinite(float(v))]
    values = [p.low for p in points] + [p.high for p in points] + [v for *_rest, v in levels]
    values = [v for v in values if math.isfinite(v)]
    if values:
        lo, hi = min(values), max(values)
    else:
        lo, hi = 0.0, 1.0
    if hi - lo < 1e-9:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    margin = (hi - lo) * 0.08
    low_edge = lo - margin
    if 0 <= lo <= (hi - lo) * 0.25 or lo >= 0 > low_edge:
        low_edge = 0.0  # a non-negative quantity near zero is drawn from zero, never below it
    high_edge = hi + margin
    step = nice_step(high_edge - low_edge)

    def y_of(v: float) -> float:
        frac = (v - low_edge) / (high_edge - low_edge)
        return round(bottom - (bottom - top) * frac, 1)

    y_ticks = []
    tick = math.ceil(low_edge / step) * step
    while tick <= high_edge + 1e-9 and len(y_ticks) < 20:
        y_ticks.append((y_of(tick), _format(tick, step)))
        tick += step
    x_ticks = [(x_of(t), label) for t, label in time_ticks(start, end)]

    bucket_s = seconds / 60 / max(1, len(points)) if points else 60
    if len(points) > 1:
        gaps = sorted((b.t - a.t).total_seconds() for a, b in itertools.pairwise(points))
        bucket_s = gaps[len(gaps) // 2]  # the typical spacing
    segments: list[list[Point]] = []
    for p in points:
        if not segments or (p.t - segments[-1][-1].t).total_seconds() > 3 * max(bucket_s, 60):
            segments.append([])
        segments[-1].append(p)
    line_parts, band_parts = [], []
    for seg in segments:
        line_parts.append("M" + " L".join(f"{x_of(p.t)},{y_of(p.avg)}" for p in seg))
        if len(seg) > 1:
            upper = " L".join(f"{x_of(p.t)},{y_of(p.high)}" for p in seg)
            lower = " L".join(f"{x_of(p.t)},{y_of(p.low)}" for p in reversed(seg))
            band_parts.append(f"M{upper} L{lower} Z")
    lines = []
    labelled_y: list[float] = []
    for k, label, c, v in levels:
        same = [other for other in levels if other[3] == v]
        if same[0][0] != k:  # an equal line above carries the label ("Alarm / Restore 1")
            lines.append(ThresholdLine(kind=k, label=label, value=v, y=y_of(v), colour=c))
            continue
        y = y_of(v)
        # above the line if free, else stacked below it: never over a label already placed
        dy = next(d for d in (-3, 11, 22, 33, 44, 55) if all(abs(y + d - other) >= 11 for other in labelled_y)
                  or d == 55)
        labelled_y.append(y + dy)
        text = " / ".join(str(other[1]) for other in same) + f" {v:g}"
        lines.append(ThresholdLine(kind=k, label=label, value=v, y=y, colour=c, text=text, dy=dy))
    shaded = []
    for s_start, s_end in spans:
        x1, x2 = x_of(max(s_start, start)), x_of(min(s_end or end, end))
        if x2 > x1 or (s_start <= end and (s_end or end) >= start):
            shaded.append((x1, round(max(x2 - x1, 1.0), 1)))
    return LineChart(width=width, height=height, left=left, right=right, top=top, bottom=bottom,
                     line=" ".join(line_parts), band=" ".join(band_parts), thresholds=lines, y_ticks=y_ticks,
                     x_ticks=x_ticks, spans=shaded, empty=not points)


def sensor_thresholds(sensor: Sensor) -> dict[str, float | None]:
    return {kind: getattr(sensor, kind) for kind, _label, _colour in THRESHOLDS}


# --- the live panel --------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def _label(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def alarm_row(alarm: Alarm) -> dict[str, Any]:
    """An active alarm as the panel and the API list it."""
    return {
        "id": alarm.pk, "kind": alarm.kind, "kind_label": str(alarm.get_kind_display()),
        "severity": alarm.severity, "severity_label": str(alarm.get_severity_display()),
        "colour": LEVEL_COLOURS.get(alarm.severity, "grey"),
        "sensor_id": alarm.sensor_id, "sensor_code": alarm.sensor.code if alarm.sensor else "",
        "started_at": _iso(alarm.started_at), "started_label": _label(alarm.started_at),
        "ended_at": _iso(alarm.ended_at),
        "peak_value": alarm.peak_value, "last_value": alarm.last_value, "threshold": alarm.threshold,
        "acknowledged": alarm.acknowledged_at is not None,
        "assigned_to": str(alarm.assigned_to) if alarm.assigned_to_id else "",
        "url": reverse("monitoring:alarm_detail", args=[alarm.pk]),
    }


def mine_sensors(mine: Mine) -> QuerySet[Sensor]:
    return Sensor.objects.filter(mine=mine, active=True).order_by("kind", "code")


def active_alarms_of(user: Any, mine: Mine) -> list[Alarm]:
    return list(alarms.active_alarms(user).filter(mine=mine)
                .select_related("sensor", "assigned_to").order_by("-severity", "-started_at", "-id"))


def panel_payload(user: Any, mine: Mine, *, hours: int = HOURS_DEFAULT, now: dt.datetime | None = None,
                  width: int = 560, height: int = 180) -> dict[str, Any]:
    """Everything the live panel draws, as JSON: per active sensor its thresholds, last value, alarm
    level and the chart geometry (so the polling script only redraws; the points themselves are in
    the API's series), and the mine's active alarms. ``mine`` must come from
    ``Mine.objects.visible_to(user)``. Three queries."""
    now = now or timezone.now()
    start, end = window(hours, now)
    sensors = list(mine_sensors(mine))
    series = sensor_series([s.pk for s in sensors], start, end)
    active = active_alarms_of(user, mine)
    level_by_sensor: dict[int, int] = {}
    for a in active:
        if a.sensor_id is not None:
            level_by_sensor[a.sensor_id] = max(level_by_sensor.get(a.sensor_id, 0), a.severity)
    items = []
    for s in sensors:
        points = series[s.pk]
        chart = line_chart(points, start, end, thresholds=sensor_thresholds(s), width=width, height=height)
        last = points[-1] if points else None
        level = level_by_sensor.get(s.pk, 0)
        items.append({
            "id": s.pk, "code": s.code, "kind": s.kind, "kind_label": str(s.get_kind_display()),
            "location_label": str(s.get_location_display()), "place": s.place, "unit": s.unit,
            "thresholds": sensor_thresholds(s),
            "last": {"t": _iso(last.t), "value": last.last, "text": f"{last.last:.4g}"} if last else None,
            "level": level, "level_label": str(LEVEL_LABELS[level]),
            "colour": LEVEL_COLOURS[level], "n_points": len(points),
            "chart": chart.as_dict(),
        })
    counts = {str(s): 0 for s in Severity.values}
    for a in active:
        counts[str(a.severity)] += 1
    return {
        "mine": {"id": mine.pk, "name": mine.name, "status": mine.status,
                 "status_label": str(mine.get_status_display())},
        "hours": hours, "start": _iso(start), "end": _iso(end), "generated_at": _iso(now),
        "generated_label": _label(now),
        "sensors": items, "alarms": [alarm_row(a) for a in active], "counts": counts,
    }


def series_payload(mine: Mine, sensors: Sequence[Sensor], *, hours: int, now: dt.datetime | None = None
                   ) -> dict[str, Any]:
    """The API's series of some sensors of a mine: points only, no chart geometry."""
    start, end = window(hours, now)
    series = sensor_series([s.pk for s in sensors], start, end)
    return {
        "mine_id": mine.pk, "hours": hours, "start": start, "end": end,
        "sensors": [{"id": s.pk, "code": s.code, "kind": s.kind, "unit": s.unit, "thresholds": sensor_thresholds(s),
                     "points": [{"t": p.t, "avg": p.avg, "min": p.low, "max": p.high, "last": p.last, "n": p.n}
                                for p in series[s.pk]]} for s in sensors],
    }


def episode_chart(alarm: Alarm, *, now: dt.datetime | None = None, width: int = 760, height: int = 220
                  ) -> LineChart | None:
    """The alarm's sensor around the episode (30 minutes before the start to 30 minutes after the
    end, or now), with its thresholds and the episode shaded. None for mine-level alarms."""
    if alarm.sensor is None:
        return None
    return window_chart(alarm.sensor, alarm.started_at, alarm.ended_at, now=now, width=width, height=height)


def window_chart(sensor: Sensor, first: dt.datetime, last: dt.datetime | None, *, now: dt.datetime | None = None,
                 margin: dt.timedelta = dt.timedelta(minutes=30), width: int = 760, height: int = 220) -> LineChart:
    """A sensor's chart over [first − margin, (last or now) + margin] (at most 7 days, the latest
    part kept) with [first, last] shaded."""
    now = now or timezone.now()
    start = first - margin
    end = min((last or now) + margin, max(now, first) + dt.timedelta(minutes=1))
    end = max(end, start + dt.timedelta(minutes=10))
    if end - start > dt.timedelta(days=7):
        start = end - dt.timedelta(days=7)
    points = sensor_series([sensor.pk], start, end)[sensor.pk]
    return line_chart(points, start, end, thresholds=sensor_thresholds(sensor), spans=[(first, last)],
                      width=width, height=height)


# --- the map ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapMine:
    mine: Mine
    level: int
    networked: bool
    fill: str
    colour: str
    label: str
    x: float | None = None
    y: float | None = None


@dataclass(frozen=True)
class MineMap:
    width: int
    height: int
    mines: list[MapMine]
    legend: list[tuple[str, str, int]]

    @property
    def placed(self) -> list[MapMine]:
        """Mines with coordinates, least severe first so the most severe are drawn on top."""
        return sorted((m for m in self.mines if m.x is not None), key=lambda m: (m.level, m.mine.pk))


def mine_map(user: Any, *, width: int = 760, height: int = 520, pad: int = 24) -> MineMap:
    """The mines in the user's scope (closed ones left out) with the severity of their most severe
    active alarm (``alarms.mine_alarm_levels``), projected from latitude/longitude (longitude shrunk
    by cos(latitude), as ``core.charts.polygon_points``). Mines without any active sensor are "not
    networked" (grey). Three queries."""
    mines = list(Mine.objects.visible_to(user).exclude(status=MineStatus.CLOSED).select_related("county")
                 .order_by("county_id", "name", "pk"))
    levels = alarms.mine_alarm_levels(user)
    networked = set(Sensor.objects.visible_to(user).filter(active=True).values_list("mine_id", flat=True).distinct())
    located = [m for m in mines if m.latitude is not None and m.longitude is not None]
    positions: dict[int, tuple[float, float]] = {}
    if located:
        lats = [float(m.latitude) for m in located]
        k = math.cos(math.radians(sum(lats) / len(lats)))
        xs = {m.pk: float(m.longitude) * k for m in located}
        ys = {m.pk: float(m.latitude) for m in located}
        span_x = (max(xs.values()) - min(xs.values())) or 1e-9
        span_y = (max(ys.values()) - min(ys.values())) or 1e-9
        scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
        off_x = (width - span_x * scale) / 2
        off_y = (height - span_y * scale) / 2
        min_x, min_y = min(xs.values()), min(ys.values())
        for pk in xs:
            positions[pk] = (round(off_x + (xs[pk] - min_x) * scale, 1),
                             round(height - off_y - (ys[pk] - min_y) * scale, 1))
    items = []
    counts: dict[str, int] = {}
    for m in mines:
        level = int(levels.get(m.pk, 0))
        on = m.pk in networked or level > 0
        key = str(level) if on else "off"
        counts[key] = counts.get(key, 0) + 1
        x, y = positions.get(m.pk, (None, None))
        items.append(MapMine(mine=m, level=level, networked=on, fill=LEVEL_FILLS[level] if on else NOT_NETWORKED_FILL,
                             colour=LEVEL_COLOURS[level] if on else "grey",
                             label=str(LEVEL_LABELS[level] if on else _("Not networked")), x=x, y=y))
    legend = [(LEVEL_FILLS[lv], str(LEVEL_LABELS[lv]), counts.get(str(lv), 0)) for lv in (3, 2, 1, 0)]
    legend.append((NOT_NETWORKED_FILL, str(_("Not networked")), counts.get("off", 0)))
    return MineMap(width=width, height=height, mines=items, legend=legend)


# --- people an alarm can be assigned to ------------------------------------------------------------


def assignable_users(alarm: Alarm) -> list[User]:
    """Active users who may handle the alarm (``monitoring.handle_alarms``) and see its mine: the
    regulators of its county and the levels above, and the staff of the mine's enterprise."""
    mine = alarm.mine
    code = mine.county_id
    prefixes = {code[:n] for n in (2, 4, 6)} | {""}
    roles = PERMISSIONS["monitoring.handle_alarms"]
    org_id = mine.enterprise.organisation_id if mine.enterprise_id else None
    candidates = (User.objects.filter(is_active=True, role__in=roles)
                  .filter(Q(role__in=REGULATOR_ROLES) | Q(role__in=ENTERPRISE_ROLES, organisation_id=org_id))
                  .select_related("organisation").order_by("username"))
    found = []
    for u in candidates:
        scope = scope_of(u)
        if (scope.is_regulator and scope.division_prefix in prefixes) or (
                scope.is_enterprise and org_id is not None and scope.organisation_id == org_id):
            found.append(u)
    return found


def flag_queryset(user: Any) -> QuerySet[FalsificationFlag]:
    return FalsificationFlag.objects.visible_to(user).select_related("mine", "sensor", "decided_by")


def flag_decision_note(flag: FalsificationFlag) -> str:
    """The reasons given with the flag's decision (kept in the audit entry of ``alarms.decide_flag``)."""
    if flag.status == FlagStatus.OPEN:
        return ""
    entry = (AuditEntry.objects.filter(object_type=FalsificationFlag._meta.label_lower, object_id=str(flag.pk),
                                       action="monitoring.flag.decide").order_by("-id").first())
    return entry.message if entry else ""


def mine_levels_for(user: Any, mine_ids: Iterable[int]) -> dict[int, int]:
    """Highest active severity per mine for the given mines (one query)."""
    rows = (alarms.active_alarms(user).filter(mine_id__in=list(mine_ids)).order_by().values("mine_id")
            .annotate(level=Max("severity")))
    return {r["mine_id"]: r["level"] for r in rows}
