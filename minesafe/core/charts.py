"""Server-side SVG chart geometry (no JavaScript library, nothing fetched from a CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["GroupedBars", "grouped_bars"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    value: int
    title: str


@dataclass(frozen=True)
class GroupedBars:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]
    gridlines: list[tuple[float, int]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)


def grouped_bars(
    labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], *, width: int = 720,
    height: int = 220, pad_left: int = 32, pad_bottom: int = 24,
) -> GroupedBars:
    """Geometry for a grouped bar chart: ``series`` is (name, colour, values per label)."""
    peak = max((v for _n, _c, values in series for v in values), default=0) or 1
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - 8
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    bars = []
    for i, label in enumerate(labels):
        for j, (name, colour, values) in enumerate(series):
            value = values[i]
            h = plot_h * value / peak
            x = pad_left + i * group_w + group_w * 0.1 + j * bar_w
            bars.append(Bar(round(x, 1), round(8 + plot_h - h, 1), round(bar_w - 1, 1), round(h, 1), colour, value,
                            f"{label} {name}: {value}"))
    step = max(1, peak // 4)
    grid = [(round(8 + plot_h - plot_h * v / peak, 1), v) for v in range(0, peak + 1, step)]
    ticks = [(round(pad_left + i * group_w + group_w / 2, 1), label) for i, label in enumerate(labels)]
    return GroupedBars(width, height, bars, ticks, grid, [(name, colour) for name, colour, _v in series])


def polygon_points(points: Sequence[Sequence[float]], *, width: int = 240, height: int = 160, pad: int = 8) -> str:
    """SVG ``points`` for a [lon, lat] ring, scaled to fit and with longitude shrunk by cos(latitude)
    so the shape is not stretched east-west. Empty string for fewer than three points."""
    import math

    if not points or len(points) < 3:
        return ""
    lons = [float(p[0]) for p in points]
    lats = [float(p[1]) for p in points]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [lon * k for lon in lons]
    span_x = (max(xs) - min(xs)) or 1e-9
    span_y = (max(lats) - min(lats)) or 1e-9
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2
    return " ".join(
        f"{off_x + (x - min(xs)) * scale:.1f},{height - off_y - (lat - min(lats)) * scale:.1f}"
        for x, lat in zip(xs, lats, strict=True)
    )
