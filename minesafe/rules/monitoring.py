"""Monitoring-sensor thresholds: defaults by sensor kind and location, and the check that an
overridden or declared threshold is not looser than the rule.

Pure rules: plain values in, :class:`Thresholds` / :class:`Verdict` out. The Django app
``minesafe.monitoring`` stores sensors and calls these rules; the rules never call back.

Sources (DOMAIN is ``shared/DOMAIN.md``; statuses as DOMAIN marks them):

- **Methane** (:data:`CH4_ROWS`): the alarm / power-cut / power-restore table of 《煤矿安全规程》
  (第498条 in the 2016/2022 numbering), DOMAIN §4.2, one row per 设置地点; rows that have no
  :class:`SensorLocation` (trolley-wire haulage, gas-exhaust roadway, …) are kept as data so the
  table is complete. Outburst mines differ in the power-cut scope of the coal-face sensor and in
  the T3 intake sensor being obligatory; high-gas and outburst mines in the sensor range (≥ 10 %
  and ≥ 40 % CH₄ [U]). Electromechanical chambers and other places fall back on the general rule
  of DOMAIN §4.1 (≥ 1.5 % stop and cut power, re-energise below 1.0 %) [U].
- **O₂, CO, temperature, wind speed**: DOMAIN §4.1 (all [U]).
- **Feed (馈电)**: a switch point, 1 = the controlled switch has power; no thresholds (DOMAIN §5,
  abnormal code 003 馈电异常). **Headcount**: the cap is each mine's 定员 (DOMAIN §2.1 Art. 4(6)),
  no national number. **Electricity**: no threshold (DOMAIN HM-7, 用电量 cross-checks).
- **Tailings** water level, phreatic line and dry beach: the designer sets the values per item, no
  national numbers (DOMAIN §9.1, GB 39496-2020 §5.5, GB 51108-2015 commentary §8.3).
- **Slope displacement rate**: working-face slope instantaneous velocity ≥ 5 mm/h, a reference
  value each mine calibrates (DOMAIN §9.2, GB 51214-2017 commentary §12.3.3).
- **Overrides** (:func:`check_override`, :func:`check_declared`): a declared threshold looser than
  规程 is itself a violation (DOMAIN §5 engine notes; HM-7; 2020 standard Art. 7(2), DOMAIN §2.1).

Comparison semantics follow the engine: an upper alarm or cut opens at ``value >= level``, power is
restored when ``value < restore``; so restore equal to cut (the table's T2 rows) is allowed and
restore above cut is not.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .sources import cite
from .types import Citation, Reason, Verdict

__all__ = [
    "CH4_GENERAL",
    "CH4_ROWS",
    "FIELD_LABELS",
    "GAS_GRADES",
    "LOWER_FIELDS",
    "OVERRIDE_CITATION",
    "RANGE_FIELDS",
    "RULE_VERSION",
    "THRESHOLD_FIELDS",
    "UNITS",
    "UPPER_FIELDS",
    "Ch4Row",
    "SensorKind",
    "SensorLocation",
    "Thresholds",
    "check_declared",
    "check_override",
    "default_thresholds",
]

RULE_VERSION = "monitoring-2024.1"


class SensorKind(enum.StrEnum):
    """Sensor kinds; the same values as ``minesafe.monitoring.choices.SensorKind``."""

    CH4 = "ch4"
    CO = "co"
    O2 = "o2"
    WIND_SPEED = "wind_speed"
    TEMPERATURE = "temperature"
    SMOKE = "smoke"
    FEED = "feed"
    HEADCOUNT = "headcount"
    ELECTRICITY = "electricity"
    WATER_LEVEL = "water_level"
    PHREATIC_LINE = "phreatic_line"
    DRY_BEACH = "dry_beach"
    DISPLACEMENT = "displacement"


class SensorLocation(enum.StrEnum):
    """Sensor locations (设置地点); the same values as ``minesafe.monitoring.choices.SensorLocation``."""

    COAL_FACE = "coal_face"
    FACE_RETURN = "face_return"
    FACE_INTAKE = "face_intake"
    UPPER_CORNER = "upper_corner"
    SHEARER = "shearer"
    HEADING_FACE = "heading_face"
    HEADING_RETURN = "heading_return"
    PANEL_RETURN = "panel_return"
    TOTAL_RETURN = "total_return"
    ELECTRIC_LOCO = "electric_loco"
    COAL_BUNKER = "coal_bunker"
    PUMP_ROOM = "pump_room"
    CHAMBER = "chamber"
    MINE = "mine"
    DAM = "dam"
    SLOPE = "slope"
    OTHER = "other"


LOW_GAS, HIGH_GAS, OUTBURST = "low", "high", "outburst"
# "" = not graded (non-coal mines, or not yet appraised): treated like a low-gas mine.
GAS_GRADES = frozenset({"", LOW_GAS, HIGH_GAS, OUTBURST})
_ALL_GRADES = GAS_GRADES
_NOT_HIGH = frozenset({"", LOW_GAS})
_HIGH_OR_OUTBURST = frozenset({HIGH_GAS, OUTBURST})

UPPER_FIELDS = ("alarm_high", "cut_high", "restore_high")
LOWER_FIELDS = ("alarm_low",)
THRESHOLD_FIELDS = ("alarm_high", "alarm_low", "cut_high", "restore_high")
RANGE_FIELDS = ("range_low", "range_high")
FIELD_LABELS = {
    "alarm_high": "上限报警值",
    "alarm_low": "下限报警值",
    "cut_high": "断电值",
    "restore_high": "复电值",
    "range_low": "量程下限",
    "range_high": "量程上限",
}

UNITS: dict[str, str] = {
    SensorKind.CH4: "%",
    SensorKind.CO: "ppm",
    SensorKind.O2: "%",
    SensorKind.WIND_SPEED: "m/s",
    SensorKind.TEMPERATURE: "°C",
    SensorKind.SMOKE: "",
    SensorKind.FEED: "",
    SensorKind.HEADCOUNT: "人",
    SensorKind.ELECTRICITY: "kW",
    SensorKind.WATER_LEVEL: "m",
    SensorKind.PHREATIC_LINE: "m",
    SensorKind.DRY_BEACH: "m",
    SensorKind.DISPLACEMENT: "mm/h",
}

OVERRIDE_CITATION = cite(
    "DOMAIN", "§5",
    "监控系统阈值应按规程设置并核验：申报阈值宽于《煤矿安全规程》本身即违规（HM-7；2020 标准第七条第二项）",
)


@dataclass(frozen=True)
class Thresholds:
    """Range and alarm levels of one measuring point, with the rule they come from.

    ``None`` = not set. ``citation`` covers the alarm/cut/restore levels, ``range_citation`` the
    range (when the rule sets one).
    """

    unit: str
    range_low: float | None
    range_high: float | None
    alarm_high: float | None
    alarm_low: float | None
    cut_high: float | None
    restore_high: float | None
    citation: Citation
    range_citation: Citation | None = None

    def values(self) -> dict[str, float | None]:
        """The six numeric fields (range and thresholds) by name."""
        return {f: getattr(self, f) for f in (*RANGE_FIELDS, *THRESHOLD_FIELDS)}


# --- methane: DOMAIN §4.2 --------------------------------------------------------------------


@dataclass(frozen=True)
class Ch4Row:
    """One row of the methane alarm / cut / restore table (DOMAIN §4.2).

    ``locations`` empty = a 设置地点 with no :class:`SensorLocation` (kept so the table is complete);
    ``grades`` = the gas grades the row applies to. ``None`` levels are not set by the row.
    """

    key: str
    label: str
    locations: tuple[str, ...]
    grades: frozenset[str]
    alarm: float | None
    cut: float | None
    restore: float | None
    scope: str  # 断电范围
    citation: Citation


CH4_ROWS: tuple[Ch4Row, ...] = (
    Ch4Row("coal_face", "低瓦斯、高瓦斯矿井采煤工作面 T1", (SensorLocation.COAL_FACE,), _NOT_HIGH | {HIGH_GAS},
           1.0, 1.5, 1.0, "工作面及其回风巷内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "采煤工作面 T1（低/高瓦斯矿井）：报警≥1.0%，断电≥1.5%，复电<1.0% [V2] S19")),
    Ch4Row("coal_face_outburst", "突出矿井采煤工作面 T1", (SensorLocation.COAL_FACE,), frozenset({OUTBURST}),
           1.0, 1.5, 1.0, "工作面及其进、回风巷内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "突出矿井采煤工作面 T1：报警≥1.0%，断电≥1.5%，复电<1.0%；断电范围含进风巷 [V2] S19")),
    Ch4Row("face_return", "采煤工作面回风巷 T2", (SensorLocation.FACE_RETURN,), _ALL_GRADES,
           1.0, 1.0, 1.0, "工作面及其回风巷内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "采煤工作面回风巷 T2：报警≥1.0%，断电≥1.0%，复电<1.0% [V2] S19")),
    Ch4Row("face_return_middle", "高瓦斯、突出矿井采煤工作面回风巷中部", (), _HIGH_OR_OUTBURST,
           1.0, 1.0, 1.0, "工作面及其回风巷内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "高瓦斯、突出矿井回风巷中部：报警≥1.0%，断电≥1.0%，复电<1.0% [V2] S19")),
    Ch4Row("face_intake_t3", "突出、高瓦斯矿井采煤工作面进风巷 T3", (SensorLocation.FACE_INTAKE,), _HIGH_OR_OUTBURST,
           0.5, 0.5, 0.5, "进风巷内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "突出/高瓦斯矿井采煤工作面进风巷 T3：报警≥0.5%，断电≥0.5%，复电<0.5% [V2] S19")),
    Ch4Row("series_face_intake", "串联通风的被串采煤工作面进风巷", (SensorLocation.FACE_INTAKE,), _NOT_HIGH,
           0.5, 0.5, 0.5, "被串工作面及其进、回风巷内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2",
                "被串采煤工作面进风侧：报警≥0.5%，断电≥0.5%，复电<0.5% [V2] S19；进风≤0.5%（§4.1 [V2] S21）")),
    Ch4Row("upper_corner", "采煤工作面上隅角 T0", (SensorLocation.UPPER_CORNER,), _ALL_GRADES,
           1.0, None, None, "（2016 规程：仅报警）",
           cite("DOMAIN", "§4.2", "上隅角 T0：报警≥1.0% [V2] S19；断电值由矿井自定（≥1.5%）[U]")),
    Ch4Row("shearer", "采煤机", (SensorLocation.SHEARER,), _ALL_GRADES,
           1.0, 1.5, 1.0, "采煤机电源",
           cite("DOMAIN", "§4.2", "采煤机：报警≥1.0%，断电≥1.5%，复电<1.0% [V2] S19")),
    Ch4Row("heading_face", "煤巷、半煤岩巷和有瓦斯涌出岩巷掘进工作面 T1", (SensorLocation.HEADING_FACE,), _ALL_GRADES,
           1.0, 1.5, 1.0, "掘进巷道内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "掘进工作面 T1：报警≥1.0%，断电≥1.5%，复电<1.0% [V2] S19")),
    Ch4Row("heading_return", "掘进工作面回风流 T2", (SensorLocation.HEADING_RETURN,), _ALL_GRADES,
           1.0, 1.0, 1.0, "掘进巷道内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "掘进工作面回风 T2：报警≥1.0%，断电≥1.0%，复电<1.0% [V2] S19")),
    Ch4Row("outburst_heading_middle", "突出矿井长度大于1000 m 的掘进巷道中部", (), frozenset({OUTBURST}),
           1.0, 1.0, 1.0, "掘进巷道内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "突出矿井掘进巷道（>1000 m）中部：报警≥1.0%，断电≥1.0%，复电<1.0% [U]")),
    Ch4Row("machines", "掘进机、连续采煤机、锚杆钻车、梭车", (), _ALL_GRADES,
           1.0, 1.5, 1.0, "机载设备电源",
           cite("DOMAIN", "§4.2", "掘进机、连采机、锚杆钻车、梭车：报警≥1.0%，断电≥1.5%，复电<1.0% [U]")),
    Ch4Row("panel_return", "采区回风巷", (SensorLocation.PANEL_RETURN,), _ALL_GRADES,
           1.0, 1.0, 1.0, "采区回风巷内全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "采区回风巷：报警≥1.0%，断电≥1.0%，复电<1.0% [U]")),
    Ch4Row("total_return", "一翼回风巷及总回风巷", (SensorLocation.TOTAL_RETURN,), _ALL_GRADES,
           0.75, None, None, "—",
           cite("DOMAIN", "§4.2", "一翼回风巷及总回风巷：报警≥0.75% [U]（0.75% 有 S21 佐证）；不断电")),
    Ch4Row("trolley_wire", "架线电机车装煤点、高瓦斯矿井进风巷有瓦斯涌出巷道的下风流", (), _ALL_GRADES,
           0.5, 0.5, 0.5, "上风侧 100 m 内及下风侧架线电源和全部非本质安全型电气设备",
           cite("DOMAIN", "§4.2", "架线电机车装煤点等：报警≥0.5%，断电≥0.5%，复电<0.5% [V2] S20")),
    Ch4Row("electric_loco", "防爆蓄电池电机车、防爆柴油机车或无轨胶轮车", (SensorLocation.ELECTRIC_LOCO,), _ALL_GRADES,
           0.5, 0.5, 0.5, "车辆动力电源",
           cite("DOMAIN", "§4.2", "防爆蓄电池/柴油机车、无轨胶轮车：报警≥0.5%，断电≥0.5%，复电<0.5% [U]")),
    Ch4Row("coal_bunker", "井下煤仓、封闭的地面选煤厂和带式输送机走廊", (SensorLocation.COAL_BUNKER,), _ALL_GRADES,
           1.5, 1.5, 1.5, "相关设备",
           cite("DOMAIN", "§4.2", "井下煤仓、封闭选煤厂、封闭带式输送机走廊：报警≥1.5%，断电≥1.5%，复电<1.5% [U]")),
    Ch4Row("pump_room", "地面瓦斯抽采泵站室内", (SensorLocation.PUMP_ROOM,), _ALL_GRADES,
           0.5, None, None, "—",
           cite("DOMAIN", "§4.2", "地面瓦斯抽采泵站室内：报警≥0.5% [U]；不断电")),
    Ch4Row("drainage_station", "井下临时瓦斯抽采泵站下风侧栅栏外", (), _ALL_GRADES,
           1.0, 1.0, 1.0, "抽采泵站电源",
           cite("DOMAIN", "§4.2", "井下临时抽采泵站下风侧栅栏外：报警≥1.0%，断电≥1.0%，复电<1.0% [U]")),
    Ch4Row("gas_exhaust_roadway", "专用排瓦斯巷", (), _ALL_GRADES,
           2.5, 2.5, 2.5, "专用排瓦斯巷内全部电气设备（旧规定，现行是否允许待核）",
           cite("DOMAIN", "§4.2", "专用排瓦斯巷：报警≥2.5%，断电≥2.5%，复电<2.5% [V2] S19（依 AQ 1029 旧规定）")),
)

# Places without a row of their own: the general rule for faces, motors and switches (DOMAIN §4.1).
CH4_GENERAL = Ch4Row(
    "general", "电动机或其开关安设地点附近 20 m 以内", (SensorLocation.CHAMBER, SensorLocation.OTHER), _ALL_GRADES,
    1.0, 1.5, 1.0, "停止工作、切断电源、撤出人员",
    cite("DOMAIN", "§4.1", "电动机及其开关地点附近 20 m：≥1.0% 停止电钻打眼，≥1.5% 停工断电撤人，<1.0% 方可复电 [U]"),
)

_CH4_RANGE = {
    HIGH_GAS: (10.0, cite("DOMAIN", "§4.2", "高瓦斯矿井甲烷传感器量程应达到 10% CH₄ 以上 [U]")),
    OUTBURST: (40.0, cite("DOMAIN", "§4.2", "突出煤层甲烷传感器量程应达到 40% CH₄ 以上 [U]")),
}
_CH4_NO_ROW = cite("DOMAIN", "§4.2", "该设置地点在甲烷报警断电表中无对应行，阈值由矿井设定")


def _ch4_row(location: str, gas_grade: str) -> Ch4Row | None:
    grade = gas_grade if gas_grade in GAS_GRADES else ""
    for row in CH4_ROWS:
        if location in row.locations and grade in row.grades:
            return row
    if location in CH4_GENERAL.locations:
        return CH4_GENERAL
    return None


def _ch4(location: str, gas_grade: str) -> Thresholds:
    row = _ch4_row(location, gas_grade)
    range_high, range_citation = _CH4_RANGE.get(gas_grade, (None, None))
    if row is None:
        return Thresholds("%", 0.0, range_high, None, None, None, None, _CH4_NO_ROW, range_citation)
    return Thresholds("%", 0.0, range_high, row.alarm, None, row.cut, row.restore, row.citation, range_citation)


# --- other air-quality sensors: DOMAIN §4.1 ------------------------------------------------

_O2 = cite("DOMAIN", "§4.1", "采掘工作面进风流中氧气浓度不低于 20% [U]")
_CO = cite("DOMAIN", "§4.1", "一氧化碳最高允许浓度 0.0024%（24 ppm）[U]；S6 公开模板的报警值同为 24 ppm")

_FACES = frozenset({SensorLocation.COAL_FACE, SensorLocation.HEADING_FACE, SensorLocation.SHEARER,
                    SensorLocation.UPPER_CORNER})
_TEMP_FACE = cite("DOMAIN", "§4.1", "采掘工作面空气温度不得超过 26 °C（超过 30 °C 停止作业）[U]")
_TEMP_CHAMBER = cite("DOMAIN", "§4.1", "机电设备硐室空气温度不得超过 30 °C（超过 34 °C 停止作业）[U]")
_TEMP_NONE = cite("DOMAIN", "§4.1", "规程只规定采掘工作面（26 °C）与机电硐室（30 °C）的温度，其他地点由矿井设定 [U]")

# (min, max, citation) per location; None = no limit on that side.
_WIND: dict[str, tuple[float | None, float | None, Citation]] = {}
_WIND_FACE = (0.25, 4.0, cite("DOMAIN", "§4.1", "采煤工作面、煤巷和半煤岩巷掘进中的巷道风速 0.25–4 m/s [U]"))
_WIND_ROAD = (0.25, 6.0, cite("DOMAIN", "§4.1", "输送机巷、采区进回风巷风速 0.25–6 m/s [U]"))
_WIND_MAIN = (None, 8.0, cite("DOMAIN", "§4.1", "主要进、回风巷风速不得超过 8 m/s [U]"))
_WIND_OTHER = (0.15, None, cite("DOMAIN", "§4.1", "其他通风人行巷道风速不低于 0.15 m/s [U]"))
_WIND.update(dict.fromkeys((SensorLocation.COAL_FACE, SensorLocation.HEADING_FACE, SensorLocation.SHEARER,
                            SensorLocation.UPPER_CORNER), _WIND_FACE))
_WIND.update(dict.fromkeys((SensorLocation.FACE_RETURN, SensorLocation.FACE_INTAKE, SensorLocation.HEADING_RETURN,
                            SensorLocation.PANEL_RETURN), _WIND_ROAD))
_WIND[SensorLocation.TOTAL_RETURN] = _WIND_MAIN
_WIND.update(dict.fromkeys((SensorLocation.ELECTRIC_LOCO, SensorLocation.COAL_BUNKER, SensorLocation.CHAMBER,
                            SensorLocation.OTHER), _WIND_OTHER))
_WIND_NONE = cite("DOMAIN", "§4.1", "该地点不在规程风速表内，由矿井设定 [U]")

# --- switches, counts, power ----------------------------------------------------------------

_SMOKE = cite("DOMAIN", "§2.1",
              "第十八条第八项：带式输送机烟雾传感器须正常工作 [V2]；开关量，1 = 有烟即报警（系统惯例）[U]")
_FEED = cite("DOMAIN", "§5",
             "馈电为开关量：1 = 被控开关有电；不设阈值，由引擎与甲烷断电状态比对（异常代码 003 馈电异常）[V2] S27")
_HEADCOUNT = cite("DOMAIN", "§2.1",
                  "第四条第六项：超定员组织生产；定员为各矿核定值（Mine.headcount_cap），无全国统一数值 [V2]")
_ELECTRICITY = cite("DOMAIN", "HM-7", "用电量监测用于核查停产矿井是否明停暗开，无固定阈值 [V] S8")

# --- tailings and slopes: DOMAIN §9 ---------------------------------------------------------

_TAILINGS = cite("DOMAIN", "§9.1",
                 "尾矿库库水位、浸润线、干滩长度的预警值由设计单位按项确定，国家标准无统一数值"
                 "（GB 51108-2015 条文说明 §8.3）[V] S34 S35")
_DISPLACEMENT = cite("DOMAIN", "§9.2",
                     "露天边坡工作面瞬时位移速率 ≥ 5 mm/h"
                     "（GB 51214-2017 条文说明 §12.3.3 参考值，各矿自行标定）[V] S39")
_DAM_DISPLACEMENT = cite("DOMAIN", "§9.1", "尾矿坝位移的预警值按方法由设计确定，无固定数值 [V] S35")
_NO_RULE = cite("DOMAIN", "§4.1", "规程对该类传感器在此地点无数值规定，由矿井设定")


def default_thresholds(kind: str, location: str, *, gas_grade: str = "", sector: str = "") -> Thresholds:
    """The rule's range and alarm levels for a sensor of ``kind`` at ``location``.

    Sources: DOMAIN §4.1 (O₂, CO, temperature, wind speed), §4.2 (methane, by location and gas
    grade), §5 (feed), §2.1 (headcount), HM-7 (electricity), §9.1 (tailings: designer-set, so
    unset here), §9.2 (slope displacement, 5 mm/h reference). ``sector`` "tailings" makes a
    displacement sensor a dam sensor (designer-set). Raises ValueError for an unknown kind.
    """
    if kind not in UNITS:
        raise ValueError(f"unknown sensor kind {kind!r}")
    unit = UNITS[kind]
    if kind == SensorKind.CH4:
        return _ch4(location, gas_grade)
    if kind == SensorKind.O2:
        return Thresholds(unit, 0.0, None, None, 20.0, None, None, _O2)
    if kind == SensorKind.CO:
        return Thresholds(unit, 0.0, None, 24.0, None, None, None, _CO)
    if kind == SensorKind.TEMPERATURE:
        if location in _FACES:
            return Thresholds(unit, None, None, 26.0, None, None, None, _TEMP_FACE)
        if location == SensorLocation.CHAMBER:
            return Thresholds(unit, None, None, 30.0, None, None, None, _TEMP_CHAMBER)
        return Thresholds(unit, None, None, None, None, None, None, _TEMP_NONE)
    if kind == SensorKind.WIND_SPEED:
        low, high, citation = _WIND.get(location, (None, None, _WIND_NONE))
        return Thresholds(unit, 0.0, None, high, low, None, None, citation)
    if kind == SensorKind.SMOKE:
        return Thresholds(unit, 0.0, 1.0, 1.0, None, None, None, _SMOKE)
    if kind == SensorKind.FEED:
        return Thresholds(unit, 0.0, 1.0, None, None, None, None, _FEED)
    if kind == SensorKind.HEADCOUNT:
        return Thresholds(unit, 0.0, None, None, None, None, None, _HEADCOUNT)
    if kind == SensorKind.ELECTRICITY:
        return Thresholds(unit, 0.0, None, None, None, None, None, _ELECTRICITY)
    if kind in (SensorKind.WATER_LEVEL, SensorKind.PHREATIC_LINE, SensorKind.DRY_BEACH):
        return Thresholds(unit, None, None, None, None, None, None, _TAILINGS)
    if kind == SensorKind.DISPLACEMENT:
        if location == SensorLocation.DAM or sector == "tailings":
            return Thresholds(unit, None, None, None, None, None, None, _DAM_DISPLACEMENT)
        return Thresholds(unit, None, None, 5.0, None, None, None, _DISPLACEMENT)
    return Thresholds(unit, None, None, None, None, None, None, _NO_RULE)  # pragma: no cover - every kind above


# --- overrides ------------------------------------------------------------------------------

_EPS = 1e-9


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        text = f"{value:g}"
        return (text if "." in text or "e" in text else f"{text}.0") + "%"
    return f"{value:g} {unit}".rstrip()


def _source(citation: Citation) -> str:
    return f"{citation.source} {citation.section}：{citation.note}" if citation.note else (
        f"{citation.source} {citation.section}")


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("bool")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _proposed(
    rule: Thresholds, proposed: Mapping[str, Any] | Thresholds
) -> tuple[dict[str, float | None], list[Reason]]:
    """The values to judge: the proposal over the rule's, plus reasons for non-numbers."""
    given = proposed.values() if isinstance(proposed, Thresholds) else dict(proposed)
    values = rule.values()
    reasons: list[Reason] = []
    for name in values:
        if name not in given:
            continue
        try:
            values[name] = _number(given[name])
        except (TypeError, ValueError):
            reasons.append(Reason("monitoring.threshold.not_a_number", f"{FIELD_LABELS[name]}不是有效的数值。",
                                  name, OVERRIDE_CITATION))
            values[name] = getattr(rule, name)
    return values, reasons


def check_override(kind: str, location: str, proposed: Mapping[str, Any] | Thresholds, *, gas_grade: str = "",
                   sector: str = "") -> Verdict:
    """Refuse thresholds looser than the rule for this sensor (DOMAIN §5 engine notes: a declared
    threshold looser than 规程 is itself a violation; levels from DOMAIN §4.1, §4.2, §9).

    ``proposed`` maps field names (``alarm_high``, ``alarm_low``, ``cut_high``, ``restore_high``,
    ``range_low``, ``range_high``) to numbers or ``None`` (= unset); fields it leaves out keep the
    rule's value. Refused, one Chinese reason per field: an upper level (alarm, cut, restore) above
    the rule's or unset where the rule sets one; a lower alarm below the rule's or unset; a range
    that does not cover the rule's; restore above cut, or restore without cut; an upper alarm above
    the cut; a lower alarm not below the upper alarm; any level outside the sensor's range.
    Stricter values pass.
    """
    rule = default_thresholds(kind, location, gas_grade=gas_grade, sector=sector)
    values, reasons = _proposed(rule, proposed)
    unit, source = rule.unit, _source(rule.citation)

    def deny(code: str, field: str, message: str, citation: Citation) -> None:
        """Add one refusal (DOMAIN §5 engine notes)."""
        reasons.append(Reason(f"monitoring.threshold.{code}", message, field, citation))

    for name in UPPER_FIELDS:
        limit, value = getattr(rule, name), values[name]
        if limit is None:
            continue
        if value is None:
            deny("missing", name, f"{FIELD_LABELS[name]}不得取消：规程规定为 {_fmt(limit, unit)}（{source}）。",
                 rule.citation)
        elif value > limit + _EPS:
            deny("looser", name, f"{FIELD_LABELS[name]} {_fmt(value, unit)} 高于规程规定的 {_fmt(limit, unit)}，"
                 f"不得放宽（{source}）。", rule.citation)
    for name in LOWER_FIELDS:
        limit, value = getattr(rule, name), values[name]
        if limit is None:
            continue
        if value is None:
            deny("missing", name, f"{FIELD_LABELS[name]}不得取消：规程规定为 {_fmt(limit, unit)}（{source}）。",
                 rule.citation)
        elif value < limit - _EPS:
            deny("looser", name, f"{FIELD_LABELS[name]} {_fmt(value, unit)} 低于规程规定的 {_fmt(limit, unit)}，"
                 f"不得放宽（{source}）。", rule.citation)

    range_low, range_high = values["range_low"], values["range_high"]
    range_citation = rule.range_citation or rule.citation
    if rule.range_high is not None and (range_high is None or range_high < rule.range_high - _EPS):
        deny("range", "range_high", f"量程上限应不低于 {_fmt(rule.range_high, unit)}"
             f"（{_source(range_citation)}）。", range_citation)
    if rule.range_low is not None and range_low is not None and range_low > rule.range_low + _EPS:
        deny("range", "range_low", f"量程下限应不高于 {_fmt(rule.range_low, unit)}，否则低值无法测量。",
             range_citation)
    if range_low is not None and range_high is not None and range_low >= range_high:
        deny("range_inverted", "range_high", "量程上限应大于量程下限。", OVERRIDE_CITATION)
        range_low = range_high = None  # the levels cannot be judged against a broken range

    alarm_high, alarm_low, cut, restore = (values[f] for f in THRESHOLD_FIELDS)
    if restore is not None and cut is None:
        deny("restore_without_cut", "restore_high", "设置复电值须同时设置断电值。", OVERRIDE_CITATION)
    if restore is not None and cut is not None and restore > cut + _EPS:
        deny("restore_above_cut", "restore_high", f"复电值 {_fmt(restore, unit)} 不得高于断电值 "
             f"{_fmt(cut, unit)}：复电须在浓度降至断电值以下后进行（{source}）。", rule.citation)
    if alarm_high is not None and cut is not None and alarm_high > cut + _EPS:
        deny("alarm_above_cut", "alarm_high", f"上限报警值 {_fmt(alarm_high, unit)} 不得高于断电值 "
             f"{_fmt(cut, unit)}：报警应先于或同时于断电。", OVERRIDE_CITATION)
    if alarm_high is not None and alarm_low is not None and alarm_low >= alarm_high - _EPS:
        deny("low_above_high", "alarm_low", "下限报警值应低于上限报警值。", OVERRIDE_CITATION)
    for name in THRESHOLD_FIELDS:
        value = values[name]
        if value is None:
            continue
        if (range_low is not None and value < range_low - _EPS) or (
                range_high is not None and value > range_high + _EPS):
            low = "—" if range_low is None else f"{range_low:g}"
            high = "—" if range_high is None else f"{range_high:g}"
            deny("outside_range", name, f"{FIELD_LABELS[name]} {_fmt(value, unit)} 超出传感器量程 "
                 f"[{low}, {high}]{unit}。", OVERRIDE_CITATION)
    return Verdict(tuple(reasons))


def check_declared(kind: str, location: str, declared: Mapping[str, Any] | Thresholds, *, gas_grade: str = "",
                   sector: str = "") -> list[str]:
    """Fields of thresholds declared by a mine (CDDY 测点定义, DOMAIN §5) that :func:`check_override`
    refuses — looser than 规程 (DOMAIN §4.2, §4.1, §9) or inconsistent. Declared values are stored as
    declared; these fields are flagged. Empty list = nothing to flag."""
    fields: list[str] = []
    for reason in check_override(kind, location, declared, gas_grade=gas_grade, sector=sector).reasons:
        if reason.field and reason.field not in fields:
            fields.append(reason.field)
    return fields
