"""Read side of monitoring: chart geometry (thresholds, gaps, ticks), minute series and their buckets,
alarm counts per scope, the live-panel payload, the map's colours and positions, the people an alarm
can be assigned to, and bounded query counts."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minesafe.monitoring import queries
from minesafe.monitoring.tests.authz_alarms import make_alarm, make_flag, make_sensor, put_minutes
from minesafe.registry.models import Mine
from minesafe.testing import factories
from minesafe.testing.factories import World

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def _points(values: list[float], *, start: dt.datetime = T0, step_min: int = 1) -> list[queries.Point]:
    return [queries.Point(t=start + dt.timedelta(minutes=i * step_min), avg=v, low=v - 0.05, high=v + 0.05, last=v,
                          n=1) for i, v in enumerate(values)]


# --- chart geometry (no database) ------------------------------------------------------------------


def test_thresholds_are_horizontal_lines_inside_the_plot_in_value_order() -> None:
    """规程 第498条 (DOMAIN §4.2): a coal-face CH₄ sensor alarms at 1.0 %, cuts power at 1.5 %, restores
    below 1.0 %. Readings around 0.3 % still get an axis reaching the power-cut line."""
    chart = queries.line_chart(_points([0.3, 0.32, 0.31] * 20), T0, T0 + dt.timedelta(hours=1),
                               thresholds={"alarm_high": 1.0, "cut_high": 1.5, "restore_high": 1.0, "alarm_low": None})
    lines = {t.kind: t for t in chart.thresholds}
    assert set(lines) == {"alarm_high", "cut_high", "restore_high"}
    assert chart.top <= lines["cut_high"].y < lines["alarm_high"].y <= chart.bottom
    assert lines["alarm_high"].y == lines["restore_high"].y
    assert lines["cut_high"].text == f"{lines['cut_high'].label} 1.5"
    # equal alarm and restore levels: one label for both, not two drawn over each other
    assert lines["alarm_high"].text == f"{lines['alarm_high'].label} / {lines['restore_high'].label} 1"
    assert lines["restore_high"].text == ""
    ys = [float(y) for y in re.findall(r",([\d.]+)", chart.line)]
    assert all(lines["alarm_high"].y < y <= chart.bottom for y in ys)  # 0.3 % is drawn below the alarm line
    labels = [label for _y, label in chart.y_ticks]
    assert labels == ["0.0", "0.5", "1.0", "1.5"]  # near zero: drawn from zero, up to the power-cut level
    assert not chart.empty and chart.band.startswith("M") and chart.band.endswith("Z")


def test_labels_of_close_thresholds_do_not_overlap() -> None:
    chart = queries.line_chart(_points([0.2] * 5), T0, T0 + dt.timedelta(minutes=10),
                               thresholds={"cut_high": 1.02, "alarm_high": 1.0, "restore_high": 0.98})
    labelled = sorted(t.y + t.dy for t in chart.thresholds if t.text)
    assert len(labelled) == 3 and all(b - a >= 11 for a, b in itertools.pairwise(labelled))


def test_gaps_break_the_line_and_an_empty_series_says_so() -> None:
    pts = _points([0.5] * 10) + _points([0.6] * 10, start=T0 + dt.timedelta(minutes=40))
    chart = queries.line_chart(pts, T0, T0 + dt.timedelta(hours=1), thresholds={"alarm_high": 1.0})
    assert chart.line.count("M") == 2  # no line across the 30-minute gap
    x_first = [float(x) for x in re.findall(r"([\d.]+),", chart.line)]
    assert x_first == sorted(x_first) and chart.left <= x_first[0] and x_first[-1] <= chart.right
    empty = queries.line_chart([], T0, T0 + dt.timedelta(hours=1), thresholds={"alarm_high": 1.0})
    assert empty.empty and empty.line == "" and len(empty.thresholds) == 1


def test_time_ticks_are_round_local_times_and_episode_is_shaded() -> None:
    start = dt.datetime(2026, 3, 2, 1, 7, tzinfo=dt.UTC)  # 09:07 in Asia/Shanghai
    chart = queries.line_chart(_points([1.2] * 30, start=start), start, start + dt.timedelta(hours=6),
                               spans=[(start + dt.timedelta(hours=1), None)])
    labels = [label for _x, label in chart.x_ticks]
    assert labels == ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]
    (x, w), = chart.spans  # open episode: shaded to the right edge
    assert x == pytest.approx(chart.left + (chart.right - chart.left) / 6, abs=0.2)
    assert x + w == pytest.approx(chart.right, abs=0.2)


@pytest.mark.parametrize(("span", "step"), [(1.0, 0.25), (4.2, 2), (0.07, 0.02), (130, 50), (0, 1.0)])
def test_nice_step(span: float, step: float) -> None:
    assert queries.nice_step(span) == pytest.approx(step)


def test_as_dict_is_plain_json() -> None:
    chart = queries.line_chart(_points([0.4, 0.5]), T0, T0 + dt.timedelta(minutes=10), thresholds={"cut_high": 1.5})
    data = chart.as_dict()
    (line,) = data["thresholds"]
    assert (line["kind"], line["value"], line["colour"]) == ("cut_high", 1.5, "#d64545")
    assert line["text"] == f"{line['label']} 1.5" and isinstance(line["label"], str)
    assert isinstance(data["y_ticks"][0], list) and isinstance(data["x_ticks"], list)
    assert data["plot_height"] == chart.bottom - chart.top


# --- series --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_series_reads_the_window_and_buckets_long_ones(world: World) -> None:
    sensor = make_sensor(world.mine_a)
    other = make_sensor(world.mine_a)
    end = timezone.now().replace(second=0, microsecond=0)
    put_minutes(sensor, [0.1 * (i % 10) for i in range(720)], end=end)  # 12 hours
    put_minutes(other, [0.5] * 30, end=end)
    start = end - dt.timedelta(hours=12)
    with CaptureQueriesContext(connection) as ctx:
        series = queries.sensor_series([sensor.pk, other.pk], start, end, max_points=360)
    assert len(ctx.captured_queries) == 1
    points = series[sensor.pk]
    assert len(points) == 360  # two minutes a bucket
    assert points[0].n == 2 and points[0].low == pytest.approx(0.0) and points[0].high == pytest.approx(0.1)
    assert points[0].avg == pytest.approx(0.05) and points[0].last == pytest.approx(0.1)
    assert len(series[other.pk]) == 15
    short = queries.sensor_series([sensor.pk], end - dt.timedelta(hours=1), end)
    assert len(short[sensor.pk]) == 60 and all(p.n == 1 for p in short[sensor.pk])
    assert queries.sensor_series([], start, end) == {}


def test_hours_are_clamped() -> None:
    assert queries.clamp_hours(None) == 6 and queries.clamp_hours("abc") == 6 and queries.clamp_hours("0") == 1
    assert queries.clamp_hours("500") == queries.HOURS_MAX and queries.clamp_hours(" 12 ") == 12


# --- counts and scope -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_alarm_counts_by_severity_and_kind_in_scope(world: World) -> None:
    sa, sb = make_sensor(world.mine_a), make_sensor(world.mine_b)
    make_alarm(world.mine_a, sensor=sa, kind="power_cut", severity=3)
    make_alarm(world.mine_a, sensor=sa, kind="high", severity=2)
    make_alarm(world.mine_a, kind="comm_loss", severity=2)
    make_alarm(world.mine_a, sensor=sa, kind="stale", severity=1, ended=timezone.now())  # ended: not counted
    make_alarm(world.mine_a, sensor=make_sensor(world.mine_a), kind="stale", severity=1,
               cleared_at=timezone.now(), cleared_by=world.county_inspector)  # cleared: not counted
    make_alarm(world.mine_b, sensor=sb, kind="high", severity=2)
    make_flag(world.mine_a, sensor=sa)
    make_flag(world.mine_b, sensor=sb, status="dismissed")

    county = queries.alarm_counts(world.county_inspector)
    assert county["by_severity"] == {1: 0, 2: 2, 3: 1} and county["total"] == 3 and county["mines"] == 1
    assert county["by_kind"]["power_cut"][3] == 1 and county["by_kind"]["comm_loss"][2] == 1
    assert county["open_flags"] == 1
    assert queries.alarm_counts(world.province_leader)["total"] == 4
    assert queries.alarm_counts(world.province_leader)["mines"] == 2
    other = queries.alarm_counts(world.other_county_inspector)
    assert other["total"] == 1 and other["open_flags"] == 0
    assert queries.alarm_counts(world.ent_principal)["total"] == 3
    assert queries.alarm_counts(world.other_ent_principal)["total"] == 1
    assert queries.alarm_counts(world.sys_admin)["total"] == 0


@pytest.mark.django_db
def test_assignable_users_see_the_mine_and_handle_alarms(world: World) -> None:
    alarm = make_alarm(world.mine_a, sensor=make_sensor(world.mine_a))
    names = {u.username for u in queries.assignable_users(alarm)}
    assert names == {"province_inspector", "province_leader", "city_inspector", "city_leader", "county_inspector",
                     "county_leader", "ent_principal", "ent_safety"}
    other = make_alarm(world.mine_b, sensor=make_sensor(world.mine_b))
    assert {u.username for u in queries.assignable_users(other)} == {
        "province_inspector", "province_leader", "other_county_inspector", "other_ent_principal"}


# --- the live panel ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_panel_payload_shape_and_levels(world: World) -> None:
    ch4 = make_sensor(world.mine_a, code="T1-01")
    feed = make_sensor(world.mine_a, code="K-01", kind="feed", location="coal_face")
    make_sensor(world.mine_a, code="OLD", active=False)
    put_minutes(ch4, [0.4] * 50 + [1.6] * 10)
    alarm = make_alarm(world.mine_a, sensor=ch4, kind="power_cut", severity=3, peak_value=1.6, threshold=1.5)
    make_alarm(world.mine_b, sensor=make_sensor(world.mine_b), kind="high", severity=2)
    data = queries.panel_payload(world.county_inspector, world.mine_a, hours=2)
    assert data["mine"]["id"] == world.mine_a.pk and data["hours"] == 2
    assert [s["code"] for s in data["sensors"]] == ["T1-01", "K-01"]  # active only, CH₄ before feed
    s = data["sensors"][0]
    assert s["level"] == 3 and s["colour"] == "red" and s["last"]["value"] == pytest.approx(1.6)
    assert s["thresholds"] == {"cut_high": 1.5, "alarm_high": 1.0, "restore_high": 1.0, "alarm_low": None}
    assert s["n_points"] == 60 and s["chart"]["line"].startswith("M")
    assert {t["kind"] for t in s["chart"]["thresholds"]} == {"cut_high", "alarm_high", "restore_high"}
    assert data["sensors"][1]["level"] == 0 and data["sensors"][1]["chart"]["empty"] is True
    assert [a["id"] for a in data["alarms"]] == [alarm.pk]
    assert data["alarms"][0]["url"] == f"/monitoring/alarms/{alarm.pk}/"
    assert data["counts"] == {"1": 0, "2": 0, "3": 1}
    assert feed.pk == data["sensors"][1]["id"]


@pytest.mark.django_db
def test_panel_query_count_does_not_grow_with_sensors(world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            queries.panel_payload(world.county_inspector, world.mine_a)
        return len(ctx.captured_queries)

    first = make_sensor(world.mine_a)
    put_minutes(first, [0.2] * 30)
    make_alarm(world.mine_a, sensor=first)
    small = count()
    for _i in range(12):
        s = make_sensor(world.mine_a)
        put_minutes(s, [0.3] * 30)
        make_alarm(world.mine_a, sensor=s, kind="stale", severity=1)
    assert count() == small <= 4


# --- the map ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_map_colours_come_from_active_alarms(world: World) -> None:
    Mine.objects.filter(pk=world.mine_a.pk).update(latitude=40.29, longitude=123.28)  # 岫岩
    Mine.objects.filter(pk=world.mine_b.pk).update(latitude=42.01, longitude=121.66)  # 阜新
    quiet = factories.mine(world.province_leader, world.ent_a, name="丙矿", latitude=40.5, longitude=123.0)
    dark = factories.mine(world.province_leader, world.ent_a, name="丁矿")  # no coordinates, no sensors
    sa, sb, sq = make_sensor(world.mine_a), make_sensor(world.mine_b), make_sensor(quiet)
    make_alarm(world.mine_a, sensor=sa, kind="power_cut", severity=3)
    make_alarm(world.mine_a, sensor=sa, kind="high", severity=2)
    make_alarm(world.mine_b, sensor=sb, kind="high", severity=2)
    make_alarm(quiet, sensor=sq, kind="power_cut", severity=3, ended=timezone.now())  # over: does not colour

    with CaptureQueriesContext(connection) as ctx:
        drawn = queries.mine_map(world.province_leader)
    assert len(ctx.captured_queries) <= 3
    by_name = {m.mine.name: m for m in drawn.mines}
    assert (by_name["甲矿"].level, by_name["甲矿"].fill, by_name["甲矿"].colour) == (3, "#d64545", "red")
    assert (by_name["乙矿"].level, by_name["乙矿"].fill) == (2, "#dd6b20")
    assert (by_name["丙矿"].level, by_name["丙矿"].fill, by_name["丙矿"].networked) == (0, "#2f855a", True)
    assert by_name["丁矿"].networked is False and by_name["丁矿"].fill == queries.NOT_NETWORKED_FILL
    assert by_name["丁矿"].x is None and dark.pk not in {m.mine.pk for m in drawn.placed}
    # north is up, east is right
    assert by_name["乙矿"].y < by_name["甲矿"].y and by_name["乙矿"].x < by_name["甲矿"].x
    assert all(0 <= m.x <= drawn.width and 0 <= m.y <= drawn.height for m in drawn.placed)
    assert drawn.placed[-1].mine.name == "甲矿"  # most severe drawn last (on top)
    legend = {label: n for _fill, label, n in drawn.legend}
    assert list(legend.values()) == [1, 1, 0, 1, 1]
    # a county sees its own mines only, with their colours
    county = queries.mine_map(world.county_inspector)
    assert {m.mine.name for m in county.mines} == {"甲矿", "丙矿", "丁矿"}
    assert queries.mine_map(world.other_ent_principal).mines[0].level == 2


@pytest.mark.django_db
def test_alarms_suppressed_by_a_communication_loss_do_not_colour_on_their_own(world: World) -> None:
    sensor = make_sensor(world.mine_b)
    loss = make_alarm(world.mine_b, kind="comm_loss", severity=2)
    make_alarm(world.mine_b, sensor=sensor, kind="power_cut", severity=3, inhibited_by=loss)
    level = {m.mine.pk: m.level for m in queries.mine_map(world.province_leader).mines}
    assert level[world.mine_b.pk] == 2
