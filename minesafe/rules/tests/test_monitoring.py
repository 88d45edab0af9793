"""Monitoring thresholds: DOMAIN §4.1 (air quality), §4.2 (methane table), §5 (feed, overrides),
§9.1 (tailings), §9.2 (slope displacement). Table-driven, no database."""

from __future__ import annotations

import pytest

from minesafe.rules import monitoring as mon
from minesafe.rules.monitoring import (
    CH4_GENERAL,
    CH4_ROWS,
    RULE_VERSION,
    SensorKind,
    SensorLocation,
    Thresholds,
    check_declared,
    check_override,
    default_thresholds,
)
from minesafe.rules.sources import cite

GRADES = ("", "low", "high", "outburst")

# DOMAIN §4.2, typed from the table: (row key, alarm, cut, restore, status mark in the citation).
EXPECTED_CH4 = [
    ("coal_face", 1.0, 1.5, 1.0, "[V2]"),
    ("coal_face_outburst", 1.0, 1.5, 1.0, "[V2]"),
    ("face_return", 1.0, 1.0, 1.0, "[V2]"),
    ("face_return_middle", 1.0, 1.0, 1.0, "[V2]"),
    ("face_intake_t3", 0.5, 0.5, 0.5, "[V2]"),
    ("series_face_intake", 0.5, 0.5, 0.5, "[V2]"),
    ("upper_corner", 1.0, None, None, "[V2]"),
    ("shearer", 1.0, 1.5, 1.0, "[V2]"),
    ("heading_face", 1.0, 1.5, 1.0, "[V2]"),
    ("heading_return", 1.0, 1.0, 1.0, "[V2]"),
    ("outburst_heading_middle", 1.0, 1.0, 1.0, "[U]"),
    ("machines", 1.0, 1.5, 1.0, "[U]"),
    ("panel_return", 1.0, 1.0, 1.0, "[U]"),
    ("total_return", 0.75, None, None, "[U]"),
    ("trolley_wire", 0.5, 0.5, 0.5, "[V2]"),
    ("electric_loco", 0.5, 0.5, 0.5, "[U]"),
    ("coal_bunker", 1.5, 1.5, 1.5, "[U]"),
    ("pump_room", 0.5, None, None, "[U]"),
    ("drainage_station", 1.0, 1.0, 1.0, "[U]"),
    ("gas_exhaust_roadway", 2.5, 2.5, 2.5, "[V2]"),
]

# Location → grade → expected (alarm, cut, restore) through default_thresholds.
EXPECTED_BY_LOCATION = [
    ("coal_face", "low", (1.0, 1.5, 1.0)),
    ("coal_face", "high", (1.0, 1.5, 1.0)),
    ("coal_face", "outburst", (1.0, 1.5, 1.0)),
    ("face_return", "low", (1.0, 1.0, 1.0)),
    ("face_return", "outburst", (1.0, 1.0, 1.0)),
    ("face_intake", "high", (0.5, 0.5, 0.5)),
    ("face_intake", "outburst", (0.5, 0.5, 0.5)),
    ("face_intake", "low", (0.5, 0.5, 0.5)),
    ("upper_corner", "high", (1.0, None, None)),
    ("shearer", "low", (1.0, 1.5, 1.0)),
    ("heading_face", "outburst", (1.0, 1.5, 1.0)),
    ("heading_return", "high", (1.0, 1.0, 1.0)),
    ("panel_return", "low", (1.0, 1.0, 1.0)),
    ("total_return", "high", (0.75, None, None)),
    ("electric_loco", "low", (0.5, 0.5, 0.5)),
    ("coal_bunker", "low", (1.5, 1.5, 1.5)),
    ("pump_room", "low", (0.5, None, None)),
    ("chamber", "low", (1.0, 1.5, 1.0)),
    ("other", "high", (1.0, 1.5, 1.0)),
    ("mine", "high", (None, None, None)),
    ("slope", "low", (None, None, None)),
]


def test_rule_version_and_enums_match_the_app_choices() -> None:
    assert RULE_VERSION == "monitoring-2024.1"
    assert {k.value for k in SensorKind} == {
        "ch4", "co", "o2", "wind_speed", "temperature", "smoke", "feed", "headcount", "electricity", "water_level",
        "phreatic_line", "dry_beach", "displacement"}
    assert len(SensorLocation) == 17
    assert SensorLocation.FACE_INTAKE == "face_intake"


# --- §4.2 methane table ----------------------------------------------------------------------


def test_every_table_row_is_checked() -> None:
    assert [row.key for row in CH4_ROWS] == [key for key, *_ in EXPECTED_CH4]


@pytest.mark.parametrize(("key", "alarm", "cut", "restore", "status"), EXPECTED_CH4, ids=[e[0] for e in EXPECTED_CH4])
def test_ch4_table_row(key: str, alarm: float, cut: float | None, restore: float | None, status: str) -> None:
    """DOMAIN §4.2: each row's alarm / power-cut / power-restore concentration and its status mark."""
    row = next(r for r in CH4_ROWS if r.key == key)
    assert (row.alarm, row.cut, row.restore) == (alarm, cut, restore)
    assert row.citation.source == "DOMAIN" and row.citation.section == "§4.2"
    assert status in row.citation.note
    assert row.scope and row.label
    # A row with a location is what default_thresholds gives for every gas grade it covers.
    for location in row.locations:
        for grade in row.grades:
            got = default_thresholds("ch4", location, gas_grade=grade)
            assert (got.alarm_high, got.cut_high, got.restore_high) == (alarm, cut, restore), (location, grade)
            assert got.citation == row.citation
            assert got.alarm_low is None and got.unit == "%" and got.range_low == 0.0


@pytest.mark.parametrize(("location", "grade", "expected"), EXPECTED_BY_LOCATION,
                         ids=[f"{loc}-{g}" for loc, g, _ in EXPECTED_BY_LOCATION])
def test_ch4_defaults_by_location(location: str, grade: str, expected: tuple) -> None:
    got = default_thresholds("ch4", location, gas_grade=grade)
    assert (got.alarm_high, got.cut_high, got.restore_high) == expected


def test_every_location_is_covered_for_every_grade() -> None:
    """No (location, grade) pair is left without a defined answer (a row, the §4.1 rule, or 'none')."""
    for location in SensorLocation:
        for grade in GRADES:
            got = default_thresholds("ch4", location, gas_grade=grade)
            assert got.citation.source == "DOMAIN"
            assert got.citation.section in ("§4.1", "§4.2")


def test_upper_corner_has_no_cut_and_says_the_cut_is_unverified() -> None:
    got = default_thresholds("ch4", "upper_corner", gas_grade="outburst")
    assert got.cut_high is None and got.restore_high is None
    assert "[U]" in got.citation.note and "[V2]" in got.citation.note


def test_general_rule_for_chambers_and_other_places() -> None:
    """DOMAIN §4.1: ≥ 1.5 % stop and cut, re-energise below 1.0 % near motors and switches."""
    got = default_thresholds("ch4", "chamber")
    assert got.citation == CH4_GENERAL.citation
    assert got.citation.section == "§4.1" and "[U]" in got.citation.note


# --- outburst vs low-gas ---------------------------------------------------------------------


def test_outburst_coal_face_cuts_the_intake_too() -> None:
    low = default_thresholds("ch4", "coal_face", gas_grade="low")
    outburst = default_thresholds("ch4", "coal_face", gas_grade="outburst")
    assert (low.alarm_high, low.cut_high, low.restore_high) == (outburst.alarm_high, outburst.cut_high,
                                                               outburst.restore_high)
    assert low.citation != outburst.citation
    assert "进风" in outburst.citation.note and "进风" not in low.citation.note
    rows = {r.key: r for r in CH4_ROWS}
    assert "进" in rows["coal_face_outburst"].scope and "进" not in rows["coal_face"].scope


def test_t3_intake_row_depends_on_the_gas_grade() -> None:
    """T3 is the high-gas/outburst row; a low-gas mine's intake sensor is the series-ventilation row."""
    high = default_thresholds("ch4", "face_intake", gas_grade="high")
    low = default_thresholds("ch4", "face_intake", gas_grade="low")
    ungraded = default_thresholds("ch4", "face_intake")
    assert "T3" in high.citation.note
    assert low.citation == ungraded.citation != high.citation
    assert (low.alarm_high, low.cut_high, low.restore_high) == (0.5, 0.5, 0.5)


@pytest.mark.parametrize(("grade", "range_high"), [("", None), ("low", None), ("high", 10.0), ("outburst", 40.0)])
def test_ch4_range_by_gas_grade(grade: str, range_high: float | None) -> None:
    got = default_thresholds("ch4", "coal_face", gas_grade=grade)
    assert got.range_high == range_high
    if range_high is None:
        assert got.range_citation is None
    else:
        assert got.range_citation is not None and "[U]" in got.range_citation.note


def test_outburst_only_rows_do_not_apply_to_low_gas_mines() -> None:
    only_outburst = [r for r in CH4_ROWS if r.grades == frozenset({"outburst"})]
    assert {r.key for r in only_outburst} == {"coal_face_outburst", "outburst_heading_middle"}
    for row in CH4_ROWS:
        if "low" in row.grades:
            assert "" in row.grades  # ungraded mines are treated like low-gas ones


# --- §4.1 and the other kinds ----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "location", "field", "value", "unit", "section"), [
    ("o2", "coal_face", "alarm_low", 20.0, "%", "§4.1"),
    ("o2", "total_return", "alarm_low", 20.0, "%", "§4.1"),
    ("co", "face_return", "alarm_high", 24.0, "ppm", "§4.1"),
    ("temperature", "coal_face", "alarm_high", 26.0, "°C", "§4.1"),
    ("temperature", "heading_face", "alarm_high", 26.0, "°C", "§4.1"),
    ("temperature", "chamber", "alarm_high", 30.0, "°C", "§4.1"),
    ("temperature", "total_return", "alarm_high", None, "°C", "§4.1"),
    ("wind_speed", "coal_face", "alarm_high", 4.0, "m/s", "§4.1"),
    ("wind_speed", "coal_face", "alarm_low", 0.25, "m/s", "§4.1"),
    ("wind_speed", "heading_face", "alarm_low", 0.25, "m/s", "§4.1"),
    ("wind_speed", "panel_return", "alarm_high", 6.0, "m/s", "§4.1"),
    ("wind_speed", "face_intake", "alarm_low", 0.25, "m/s", "§4.1"),
    ("wind_speed", "total_return", "alarm_high", 8.0, "m/s", "§4.1"),
    ("wind_speed", "total_return", "alarm_low", None, "m/s", "§4.1"),
    ("wind_speed", "other", "alarm_low", 0.15, "m/s", "§4.1"),
    ("wind_speed", "other", "alarm_high", None, "m/s", "§4.1"),
    ("wind_speed", "slope", "alarm_high", None, "m/s", "§4.1"),
    ("displacement", "slope", "alarm_high", 5.0, "mm/h", "§9.2"),
    ("displacement", "dam", "alarm_high", None, "mm/h", "§9.1"),
    ("water_level", "dam", "alarm_high", None, "m", "§9.1"),
    ("phreatic_line", "dam", "alarm_low", None, "m", "§9.1"),
    ("dry_beach", "dam", "alarm_low", None, "m", "§9.1"),
    ("headcount", "mine", "alarm_high", None, "人", "§2.1"),
    ("electricity", "mine", "alarm_high", None, "kW", "HM-7"),
    ("feed", "coal_face", "alarm_high", None, "", "§5"),
    ("smoke", "other", "alarm_high", 1.0, "", "§2.1"),
])
def test_other_kinds(kind: str, location: str, field: str, value: float | None, unit: str, section: str) -> None:
    got = default_thresholds(kind, location)
    assert getattr(got, field) == value
    assert got.unit == unit
    assert got.citation.source == "DOMAIN" and got.citation.section == section
    assert "[U]" in got.citation.note or "[V" in got.citation.note or section in ("§4.1",)


def test_air_quality_values_are_marked_unverified() -> None:
    for kind, location in (("o2", "coal_face"), ("co", "coal_face"), ("temperature", "coal_face"),
                           ("temperature", "chamber"), ("wind_speed", "coal_face")):
        assert "[U]" in default_thresholds(kind, location).citation.note, (kind, location)


def test_feed_is_a_switch_without_thresholds() -> None:
    got = default_thresholds("feed", "coal_face")
    assert (got.range_low, got.range_high) == (0.0, 1.0)
    assert all(v is None for v in (got.alarm_high, got.alarm_low, got.cut_high, got.restore_high))
    assert "1 = " in got.citation.note


def test_tailings_items_are_set_by_the_designer() -> None:
    for kind in ("water_level", "phreatic_line", "dry_beach"):
        got = default_thresholds(kind, "dam", sector="tailings")
        assert all(v is None for v in got.values().values())
        assert "设计" in got.citation.note and "无统一数值" in got.citation.note


def test_displacement_in_a_tailings_mine_is_a_dam_sensor() -> None:
    assert default_thresholds("displacement", "slope", sector="metal_open_pit").alarm_high == 5.0
    assert default_thresholds("displacement", "other", sector="tailings").alarm_high is None


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        default_thresholds("radon", "coal_face")


def test_every_citation_resolves() -> None:
    for kind in SensorKind:
        for location in SensorLocation:
            for grade in GRADES:
                got = default_thresholds(kind, location, gas_grade=grade)
                for citation in (got.citation, got.range_citation):
                    if citation is not None:
                        assert cite(citation.source, citation.section, citation.note) == citation


# --- overrides: looser refused, stricter accepted, per field --------------------------------

T1 = {"kind": "ch4", "location": "coal_face", "gas_grade": "high"}  # alarm 1.0, cut 1.5, restore 1.0, range 0–10


def _check(proposed: dict, **where: str) -> mon.Verdict:
    where = {**T1, **where}
    return check_override(where["kind"], where["location"], proposed, gas_grade=where["gas_grade"])


@pytest.mark.parametrize(("field", "looser", "stricter"), [
    ("alarm_high", 1.2, 0.8),
    ("cut_high", 1.6, 1.2),
    ("restore_high", 1.1, 0.9),
    ("range_high", 5.0, 40.0),
    ("range_low", 0.5, 0.0),
])
def test_ch4_override_per_field(field: str, looser: float, stricter: float) -> None:
    refused = _check({field: looser})
    assert not refused.ok
    assert field in refused.field_errors()
    message = refused.field_errors()[field][0]
    assert "DOMAIN §4.2" in message or "量程" in message
    assert _check({field: stricter}).ok


def test_the_rule_itself_passes() -> None:
    for kind in SensorKind:
        for location in SensorLocation:
            for grade in GRADES:
                rule = default_thresholds(kind, location, gas_grade=grade)
                assert check_override(kind, location, rule, gas_grade=grade).ok, (kind, location, grade)
                assert check_declared(kind, location, rule, gas_grade=grade) == []


def test_looser_message_names_the_values_and_cites_the_rule() -> None:
    verdict = _check({"cut_high": 1.6})
    (reason,) = verdict.reasons
    assert reason.code == "monitoring.threshold.looser"
    assert "1.6%" in reason.message and "1.5%" in reason.message and "不得放宽" in reason.message
    assert reason.citation == default_thresholds("ch4", "coal_face", gas_grade="high").citation


def test_removing_a_rule_threshold_is_looser() -> None:
    verdict = _check({"cut_high": None, "restore_high": None})
    assert set(verdict.field_errors()) == {"cut_high", "restore_high"}
    assert verdict.codes == ("monitoring.threshold.missing", "monitoring.threshold.missing")


def test_lower_limits_lower_is_looser() -> None:
    o2 = {"kind": "o2", "location": "coal_face", "gas_grade": ""}
    assert "alarm_low" in _check({"alarm_low": 19.5}, **o2).field_errors()
    assert _check({"alarm_low": 20.5}, **o2).ok
    assert "alarm_low" in _check({"alarm_low": None}, **o2).field_errors()
    wind = {"kind": "wind_speed", "location": "coal_face", "gas_grade": ""}
    assert set(_check({"alarm_low": 0.2, "alarm_high": 4.5}, **wind).field_errors()) == {"alarm_low", "alarm_high"}
    assert _check({"alarm_low": 0.3, "alarm_high": 3.5}, **wind).ok


def test_restore_above_cut_is_refused_but_equal_is_the_rule() -> None:
    t2 = {"location": "face_return"}
    assert _check({"cut_high": 0.8, "restore_high": 0.8, "alarm_high": 0.8}, **t2).ok
    verdict = _check({"cut_high": 0.8, "restore_high": 0.9, "alarm_high": 0.8}, **t2)
    assert "monitoring.threshold.restore_above_cut" in verdict.codes
    assert "restore_high" in verdict.field_errors()


def test_alarm_above_cut_is_refused() -> None:
    verdict = _check({"alarm_high": 1.0, "cut_high": 0.9, "restore_high": 0.8})
    assert verdict.codes == ("monitoring.threshold.alarm_above_cut",)


def test_restore_without_cut_is_refused() -> None:
    verdict = _check({"restore_high": 0.9}, location="upper_corner")
    assert verdict.codes == ("monitoring.threshold.restore_without_cut",)
    # adding a cut where the rule has none is stricter
    assert _check({"cut_high": 1.5, "restore_high": 1.0}, location="upper_corner").ok


def test_values_outside_the_range_are_refused() -> None:
    verdict = _check({"range_high": 10.0, "alarm_high": -0.1})
    assert verdict.codes == ("monitoring.threshold.outside_range",)
    assert "超出传感器量程" in verdict.reasons[0].message
    smoke = check_override("smoke", "other", {"alarm_high": 2.0})
    assert "monitoring.threshold.outside_range" in smoke.codes


def test_inverted_range_is_refused() -> None:
    verdict = check_override("water_level", "dam", {"range_low": 100, "range_high": 10})
    assert verdict.codes == ("monitoring.threshold.range_inverted",)


def test_lower_alarm_must_stay_below_the_upper() -> None:
    verdict = check_override("temperature", "other", {"alarm_high": 20, "alarm_low": 25})
    assert verdict.codes == ("monitoring.threshold.low_above_high",)


def test_not_a_number_is_refused() -> None:
    verdict = _check({"alarm_high": "abc", "cut_high": float("nan")})
    assert set(verdict.field_errors()) == {"alarm_high", "cut_high"}
    assert _check({"alarm_high": "0.9"}).ok  # numeric strings are numbers


def test_anything_goes_where_the_rule_is_silent_but_consistency() -> None:
    assert check_override("water_level", "dam", {"alarm_high": 123.4, "range_low": 0, "range_high": 200}).ok
    assert check_override("headcount", "mine", {"alarm_high": 500}).ok


def test_outburst_range_is_stricter_than_high_gas() -> None:
    assert _check({"range_high": 10.0}).ok
    assert "range_high" in _check({"range_high": 10.0}, gas_grade="outburst").field_errors()
    assert _check({"range_high": 5.0}, gas_grade="low").ok


def test_check_declared_lists_the_fields() -> None:
    declared = Thresholds("%", 0.0, 4.0, 1.2, None, 2.0, 1.0, cite("DOMAIN", "§5"))
    assert check_declared("ch4", "coal_face", declared, gas_grade="high") == ["alarm_high", "cut_high", "range_high"]
    assert check_declared("ch4", "coal_face", declared, gas_grade="low") == ["alarm_high", "cut_high"]
    assert check_declared("ch4", "coal_face", {"alarm_high": 0.8, "cut_high": 1.0, "restore_high": 0.8}) == []
