"""Cross-field rules for the mine registry: which attributes apply to which sector,
simultaneous production levels, tailings-pond fields, location and mining-area boundary.

Sectors are table-driven (:data:`SECTOR_PROFILES`): a profile lists the attribute groups
that apply and the attributes that are required. An attribute of a group the sector does
not have must be left empty. New sectors (e.g. 工贸 or 危化 enterprises) are added as new
profiles, usually with no mining attribute groups at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .sources import cite
from .types import Citation, Reason, Verdict

__all__ = [
    "ATTRIBUTE_GROUPS",
    "ATTRIBUTE_LABELS",
    "BOUNDARY_MAX_POINTS",
    "CHINA_LAT_RANGE",
    "CHINA_LON_RANGE",
    "CHOICE_LABELS",
    "COAL",
    "GAS_GRADE_LABELS",
    "HYDROGEOLOGY_LABELS",
    "METAL_OPEN_PIT",
    "METAL_UNDERGROUND",
    "PRODUCTION_LEVEL_LIMITS",
    "SCALE_LABELS",
    "SECTORS",
    "SECTOR_LABELS",
    "SECTOR_PROFILES",
    "SPONTANEOUS_COMBUSTION_LABELS",
    "TAILINGS",
    "TAILINGS_CAPACITY_GRADES",
    "TAILINGS_HEIGHT_GRADES",
    "UNDERGROUND_SECTORS",
    "LevelLimit",
    "MineFacts",
    "SectorProfile",
    "check_boundary",
    "check_mine_attributes",
    "tailings_grade",
]

# --- sectors -----------------------------------------------------------------------------

COAL = "coal"
METAL_UNDERGROUND = "metal_underground"
METAL_OPEN_PIT = "metal_open_pit"
TAILINGS = "tailings"

GROUP_GAS = "gas"  # coal-mine gas class
GROUP_GEOLOGY = "geology"  # hydrogeology and spontaneous-combustion tendency
GROUP_UNDERGROUND = "underground"  # levels, headcount cap, rock burst
GROUP_TAILINGS = "tailings"  # dam, capacity, grade, downstream population

# Attribute group -> MineFacts field names in it.
ATTRIBUTE_GROUPS: dict[str, tuple[str, ...]] = {
    GROUP_GAS: ("gas_grade",),
    GROUP_GEOLOGY: ("hydrogeology", "spontaneous_combustion"),
    GROUP_UNDERGROUND: ("production_levels", "headcount_cap", "rock_burst"),
    GROUP_TAILINGS: ("dam_height_m", "tailings_capacity", "tailings_grade", "downstream_population"),
}


@dataclass(frozen=True)
class SectorProfile:
    """Which attribute groups apply to a sector, and which attributes it must fill."""

    code: str
    label: str
    groups: frozenset[str]
    required: frozenset[str] = frozenset()
    # A tailings pond holds a 安全生产许可证 but no 采矿许可证 of its own (it is not a mining right).
    needs_mining_licence: bool = True


SECTOR_PROFILES: dict[str, SectorProfile] = {
    COAL: SectorProfile(
        COAL,
        "煤矿",
        frozenset({GROUP_GAS, GROUP_GEOLOGY, GROUP_UNDERGROUND}),
        frozenset({"gas_grade", "hydrogeology", "spontaneous_combustion"}),
    ),
    METAL_UNDERGROUND: SectorProfile(
        METAL_UNDERGROUND, "金属非金属地下矿山", frozenset({GROUP_GEOLOGY, GROUP_UNDERGROUND})
    ),
    METAL_OPEN_PIT: SectorProfile(METAL_OPEN_PIT, "金属非金属露天矿山", frozenset({GROUP_GEOLOGY})),
    TAILINGS: SectorProfile(
        TAILINGS,
        "尾矿库",
        frozenset({GROUP_TAILINGS}),
        frozenset({"dam_height_m", "tailings_capacity", "tailings_grade"}),
        needs_mining_licence=False,
    ),
}

SECTORS = tuple(SECTOR_PROFILES)
SECTOR_LABELS: dict[str, str] = {code: p.label for code, p in SECTOR_PROFILES.items()}
UNDERGROUND_SECTORS = frozenset({COAL, METAL_UNDERGROUND})

# --- choices -----------------------------------------------------------------------------

SCALE_LABELS: dict[str, str] = {"large": "大型", "medium": "中型", "small": "小型"}
GAS_GRADE_LABELS: dict[str, str] = {"low": "低瓦斯", "high": "高瓦斯", "outburst": "突出"}
HYDROGEOLOGY_LABELS: dict[str, str] = {
    "simple": "简单",
    "medium": "中等",
    "complex": "复杂",
    "very_complex": "极复杂",
}
SPONTANEOUS_COMBUSTION_LABELS: dict[str, str] = {"easy": "容易自燃", "prone": "自燃", "not_prone": "不易自燃"}

# Field -> allowed non-empty values with labels ("" always means "not filled").
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "scale": SCALE_LABELS,
    "gas_grade": GAS_GRADE_LABELS,
    "hydrogeology": HYDROGEOLOGY_LABELS,
    "spontaneous_combustion": SPONTANEOUS_COMBUSTION_LABELS,
}

ATTRIBUTE_LABELS: dict[str, str] = {
    "sector": "行业类别",
    "scale": "矿山规模",
    "approved_capacity": "核定（设计）生产能力",
    "latitude": "纬度",
    "longitude": "经度",
    "boundary": "矿区范围",
    "gas_grade": "瓦斯等级",
    "hydrogeology": "水文地质类型",
    "rock_burst": "冲击地压（岩爆）危险",
    "spontaneous_combustion": "自燃倾向性",
    "production_levels": "同时生产水平数",
    "headcount_cap": "井下作业人员限员",
    "depth_m": "开采深度",
    "dam_height_m": "坝高",
    "tailings_capacity": "全库容",
    "tailings_grade": "尾矿库等别",
    "downstream_population": "下游是否有居民或重要设施（头顶库）",
    "mining_licence_valid_until": "采矿许可证有效期",
    "safety_licence_valid_until": "安全生产许可证有效期",
}

# China's bounding box (inclusive), degrees.
CHINA_LAT_RANGE = (Decimal(3), Decimal(54))
CHINA_LON_RANGE = (Decimal(73), Decimal(136))
BOUNDARY_MAX_POINTS = 1000

# --- citations ---------------------------------------------------------------------------

_REQUIRED_CITATIONS: dict[str, Citation] = {
    "gas_grade": cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准 Art. 18(3): 未进行瓦斯等级鉴定 [V2]"),
    "hydrogeology": cite("DOMAIN", "§2.1", "煤矿重大事故隐患判定标准 Art. 9(1)(2): 水文地质类型/水患 [V2]"),
    "spontaneous_combustion": cite(
        "DOMAIN", "§2.1", "煤矿重大事故隐患判定标准 Art. 12(1): 容易自燃/自燃煤层防灭火 [V2]"
    ),
}
_CITE_TAILINGS_GRADE = cite(
    "GB 39496-2020",
    "尾矿库等别",
    "[U] confirm against GB 39496-2020 text: V/H thresholds from general knowledge; the one-grade/"
    "more-than-one-grade rule matches GB 50863-2013 §3.3.1 mirrors",
)
for _attr in ("dam_height_m", "tailings_capacity", "tailings_grade"):
    _REQUIRED_CITATIONS[_attr] = _CITE_TAILINGS_GRADE


@dataclass(frozen=True)
class LevelLimit:
    """Largest number of production levels a sector may work at once."""

    max_levels: int
    scales: frozenset[str] | None  # scales the limit applies to ("" = not filled); None = all
    code: str
    message: str
    citation: Citation


PRODUCTION_LEVEL_LIMITS: dict[str, LevelLimit] = {
    COAL: LevelLimit(
        max_levels=2,
        scales=None,
        code="mine.coal_production_levels",
        message="煤矿井下同时生产的水平超过2个，属于重大事故隐患（超强度组织生产）",
        citation=cite(
            "DOMAIN",
            "§2.1",
            "煤矿重大事故隐患判定标准 Art. 4(4): 一个矿井同时生产的水平超过2个 [V2]; 2026 revision see §0.2",
        ),
    ),
    METAL_UNDERGROUND: LevelLimit(
        max_levels=3,
        # An unfilled scale is treated as small/medium: the limit must not be dodged by omission.
        scales=frozenset({"small", "medium", ""}),
        code="mine.metal_production_levels",
        message="中小型金属非金属地下矿山不得有4个及以上生产水平同时采矿（未填写规模的按中小型判定）",
        citation=cite(
            "seed-004",
            "三(三)",
            "非煤矿山方案 第15项: 中小型金属非金属地下矿山不得有4个以上生产水平同时采矿; "
            "DOMAIN HM-3a, national text [U]",
        ),
    ),
}

# 尾矿库等别 thresholds, most severe first: (grade, lower bound inclusive).
TAILINGS_CAPACITY_GRADES: tuple[tuple[int, Decimal], ...] = (
    (1, Decimal(50000)),
    (2, Decimal(10000)),
    (3, Decimal(1000)),
    (4, Decimal(100)),
)  # 万m³; below 100 -> grade 5
TAILINGS_HEIGHT_GRADES: tuple[tuple[int, Decimal], ...] = (
    (1, Decimal(200)),
    (2, Decimal(100)),
    (3, Decimal(60)),
    (4, Decimal(30)),
)  # m; below 30 -> grade 5


# --- facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MineFacts:
    """Registry attributes of one mine. Use None / "" for "not filled"."""

    sector: str
    scale: str = ""  # "large" / "medium" / "small"
    approved_capacity: Decimal | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    boundary: list[Any] | None = field(default=None, hash=False)  # [[lon, lat], ...]
    gas_grade: str = ""  # "low" / "high" / "outburst"
    hydrogeology: str = ""  # "simple" / "medium" / "complex" / "very_complex"
    rock_burst: bool | None = None
    spontaneous_combustion: str = ""  # "easy" / "prone" / "not_prone"
    production_levels: int | None = None
    headcount_cap: int | None = None
    depth_m: Decimal | None = None
    dam_height_m: Decimal | None = None
    tailings_capacity: Decimal | None = None  # 万m³
    tailings_grade: int | None = None  # 1..5
    downstream_population: bool | None = None
    mining_licence_valid_until: date | None = None
    safety_licence_valid_until: date | None = None


def _is_empty(value: object) -> bool:
    return value is None or value == ""


def _label(attr: str) -> str:
    return ATTRIBUTE_LABELS.get(attr, attr)


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return False


_NON_NEGATIVE = (
    "approved_capacity",
    "production_levels",
    "headcount_cap",
    "depth_m",
    "dam_height_m",
    "tailings_capacity",
)


def check_mine_attributes(facts: MineFacts) -> Verdict:
    """Cross-field checks of a mine's registry attributes.

    Sources: coal hazard attributes DOMAIN §2.1 (煤矿重大事故隐患判定标准 Art. 9, 12, 18);
    coal > 2 simultaneous production levels DOMAIN §2.1 Art. 4(4) [V2]; small/medium
    metal underground ≥ 4 levels seed-004 三(三) item 15 / DOMAIN HM-3a [U]; tailings
    fields GB 39496-2020 [U]. Reason codes: mine.sector_unknown, mine.invalid_choice,
    mine.invalid_number, mine.not_applicable, mine.required, mine.negative,
    mine.coal_production_levels, mine.metal_production_levels, mine.out_of_range,
    mine.location_incomplete, mine.location_out_of_range, plus boundary.* from
    :func:`check_boundary`.
    """
    profile = SECTOR_PROFILES.get(facts.sector)
    if profile is None:
        return Verdict.deny(Reason("mine.sector_unknown", f"行业类别“{facts.sector}”无效", "sector"))

    reasons: list[Reason] = []

    for attr, choices in CHOICE_LABELS.items():
        value = getattr(facts, attr)
        if not _is_empty(value) and value not in choices:
            allowed = "、".join(choices.values())
            reasons.append(
                Reason("mine.invalid_choice", f"{_label(attr)}“{value}”无效，应为：{allowed}", attr)
            )

    for attr in _NON_NEGATIVE:
        value = getattr(facts, attr)
        if _is_empty(value):
            continue
        if not _is_finite_number(value):
            reasons.append(Reason("mine.invalid_number", f"{_label(attr)}应为有效数字", attr))
        elif value < 0:
            reasons.append(Reason("mine.negative", f"{_label(attr)}不能为负数", attr))

    for group, attrs in ATTRIBUTE_GROUPS.items():
        if group in profile.groups:
            continue
        for attr in attrs:
            if not _is_empty(getattr(facts, attr)):
                reasons.append(
                    Reason("mine.not_applicable", f"{profile.label}不适用“{_label(attr)}”，请留空", attr)
                )

    for attr in sorted(profile.required):
        if _is_empty(getattr(facts, attr)):
            reasons.append(
                Reason(
                    "mine.required",
                    f"{profile.label}必须填写“{_label(attr)}”",
                    attr,
                    _REQUIRED_CITATIONS.get(attr),
                )
            )

    limit = PRODUCTION_LEVEL_LIMITS.get(facts.sector)
    levels = facts.production_levels
    if (
        limit is not None
        and _is_finite_number(levels)
        and levels is not None
        and levels > limit.max_levels
        and (limit.scales is None or facts.scale in limit.scales)
    ):
        reasons.append(Reason(limit.code, limit.message, "production_levels", limit.citation))

    grade = facts.tailings_grade
    if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5):
        reasons.append(
            Reason(
                "mine.out_of_range",
                "尾矿库等别应为1至5（一等至五等）",
                "tailings_grade",
                _CITE_TAILINGS_GRADE,
            )
        )

    reasons.extend(_location_reasons(facts.latitude, facts.longitude))

    if facts.boundary:  # None or [] = not filled
        reasons.extend(check_boundary(facts.boundary).reasons)

    return Verdict(tuple(reasons))


def _location_reasons(lat: Decimal | None, lon: Decimal | None) -> list[Reason]:
    if lat is None and lon is None:
        return []
    if lat is None or lon is None:
        missing = "latitude" if lat is None else "longitude"
        return [Reason("mine.location_incomplete", "经度和纬度须同时填写或同时留空", missing)]
    reasons: list[Reason] = []
    for attr, value, (low, high) in (("latitude", lat, CHINA_LAT_RANGE), ("longitude", lon, CHINA_LON_RANGE)):
        if not _is_finite_number(value):
            reasons.append(Reason("mine.invalid_number", f"{_label(attr)}应为有效数字", attr))
        elif not low <= value <= high:
            reasons.append(
                Reason(
                    "mine.location_out_of_range",
                    f"{_label(attr)}应在{low}°至{high}°之间（中国境内）",
                    attr,
                )
            )
    return reasons


# --- boundary ----------------------------------------------------------------------------


def _in_china(lon: Fraction, lat: Fraction) -> bool:
    return CHINA_LON_RANGE[0] <= lon <= CHINA_LON_RANGE[1] and CHINA_LAT_RANGE[0] <= lat <= CHINA_LAT_RANGE[1]


def _orient(a: tuple[int, int], b: tuple[int, int], c: tuple[int, int]) -> int:
    """Sign of the cross product (b - a) × (c - a): 1 left turn, -1 right turn, 0 collinear."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (cross > 0) - (cross < 0)


def _on_segment(a: tuple[int, int], b: tuple[int, int], p: tuple[int, int]) -> bool:
    """p lies on the closed segment ab (p known to be collinear with a and b)."""
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_touch(
    p1: tuple[int, int], p2: tuple[int, int], q1: tuple[int, int], q2: tuple[int, int]
) -> bool:
    """Closed segments p1p2 and q1q2 share at least one point."""
    if (
        max(p1[0], p2[0]) < min(q1[0], q2[0])
        or max(q1[0], q2[0]) < min(p1[0], p2[0])
        or max(p1[1], p2[1]) < min(q1[1], q2[1])
        or max(q1[1], q2[1]) < min(p1[1], p2[1])
    ):
        return False
    d1, d2 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    d3, d4 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    if d1 != d2 and d3 != d4 and 0 not in (d1, d2, d3, d4):
        return True
    return (
        (d1 == 0 and _on_segment(p1, p2, q1))
        or (d2 == 0 and _on_segment(p1, p2, q2))
        or (d3 == 0 and _on_segment(q1, q2, p1))
        or (d4 == 0 and _on_segment(q1, q2, p2))
    )


def _first_self_intersection(pts: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Indices (i, j) of the first pair of edges that meet other than at their shared vertex."""
    n = len(pts)
    edges = [(pts[i], pts[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        a1, a2 = edges[i]
        for j in range(i + 1, n):
            b1, b2 = edges[j]
            if j == i + 1 or (i == 0 and j == n - 1):
                # Adjacent edges share one vertex; they are bad only if they fold back
                # onto each other (the far end of one lies on the other).
                shared, a_far, b_far = (a2, a1, b2) if j == i + 1 else (a1, a2, b1)
                if _orient(a_far, shared, b_far) == 0 and (
                    _on_segment(shared, a_far, b_far) or _on_segment(shared, b_far, a_far)
                ):
                    return i, j
                continue
            if _segments_touch(a1, a2, b1, b2):
                return i, j
    return None


def check_boundary(points: object, *, field: str = "boundary") -> Verdict:
    """Validate a mining-area boundary polygon given as ``[[lon, lat], ...]``.

    Needs at least 3 distinct numeric points inside China's bounding box; a closing point
    equal to the first is optional; the polygon must be simple (no self-intersection, no
    repeated vertex, not all collinear). Data-quality rule without a regulatory source;
    the boundary is the 采矿许可证 mining area (越界开采, DOMAIN §2.1 Art. 10). Reason codes:
    boundary.format, boundary.too_many_points, boundary.point_format, boundary.out_of_range,
    boundary.duplicate_point, boundary.too_few_points, boundary.collinear,
    boundary.self_intersection.
    """
    if not isinstance(points, list | tuple):
        return Verdict.deny(Reason("boundary.format", "矿区范围应为[经度, 纬度]坐标点的列表", field))
    if len(points) > BOUNDARY_MAX_POINTS + 1:
        return Verdict.deny(
            Reason("boundary.too_many_points", f"矿区范围拐点不能超过{BOUNDARY_MAX_POINTS}个", field)
        )

    reasons: list[Reason] = []
    exact: list[tuple[Fraction, Fraction]] = []
    for number, point in enumerate(points, start=1):
        if (
            not isinstance(point, list | tuple)
            or len(point) != 2
            or not all(_is_finite_number(v) for v in point)
        ):
            reasons.append(
                Reason("boundary.point_format", f"第{number}个坐标点格式错误，应为[经度, 纬度]数值对", field)
            )
            continue
        lon, lat = Fraction(point[0]), Fraction(point[1])
        if not _in_china(lon, lat):
            hint = "，疑似经纬度顺序颠倒（应为[经度, 纬度]）" if _in_china(lat, lon) else ""
            reasons.append(
                Reason("boundary.out_of_range", f"第{number}个坐标点超出中国境内经纬度范围{hint}", field)
            )
            continue
        exact.append((lon, lat))
    if reasons:
        return Verdict(tuple(reasons))

    if len(exact) >= 2 and exact[0] == exact[-1]:
        exact.pop()  # optional closing point

    first_seen: dict[tuple[Fraction, Fraction], int] = {}
    for index, point in enumerate(exact):
        if point in first_seen:
            reasons.append(
                Reason(
                    "boundary.duplicate_point",
                    f"第{index + 1}个坐标点与第{first_seen[point] + 1}个坐标点重复",
                    field,
                )
            )
        else:
            first_seen[point] = index
    if reasons:
        return Verdict(tuple(reasons))
    if len(exact) < 3:
        return Verdict.deny(Reason("boundary.too_few_points", "矿区范围至少需要3个不同的拐点", field))

    # Scale to integers with a common denominator so all geometry is exact and fast.
    scale = math.lcm(*(c.denominator for point in exact for c in point))
    pts = [(int(lon * scale), int(lat * scale)) for lon, lat in exact]

    if all(_orient(pts[0], pts[1], p) == 0 for p in pts[2:]):
        return Verdict.deny(
            Reason("boundary.collinear", "矿区范围的拐点全部在一条直线上，不能构成多边形", field)
        )

    hit = _first_self_intersection(pts)
    if hit is not None:
        i, j = hit
        return Verdict.deny(
            Reason(
                "boundary.self_intersection",
                f"矿区范围边界自相交（第{i + 1}条边与第{j + 1}条边相交）",
                field,
            )
        )
    return Verdict.allow()


# --- tailings ----------------------------------------------------------------------------


def _grade_by(value: Decimal, table: tuple[tuple[int, Decimal], ...]) -> int:
    for grade, lower in table:
        if value >= lower:
            return grade
    return 5


def tailings_grade(dam_height_m: Decimal | None, capacity_10k_m3: Decimal | None) -> int | None:
    """尾矿库等别 (1 = 一等 … 5 = 五等) from dam height H (m) and whole capacity V (万m³).

    Source: GB 39496-2020 《尾矿库安全规程》 table of tailings-pond grades [U] (confirm
    against the official text). Each of V and H gives a grade; when they differ by one,
    the higher grade (smaller number) applies; when they differ by more than one, the
    higher grade lowered by one. Returns None when either input is missing. The optional
    one-grade raise for ponds threatening downstream towns is a design decision, not applied.
    """
    if dam_height_m is None or capacity_10k_m3 is None:
        return None
    height, capacity = Decimal(dam_height_m), Decimal(capacity_10k_m3)
    if not (height.is_finite() and capacity.is_finite()) or height < 0 or capacity < 0:
        raise ValueError("dam height and capacity must be finite and non-negative")
    by_capacity = _grade_by(capacity, TAILINGS_CAPACITY_GRADES)
    by_height = _grade_by(height, TAILINGS_HEIGHT_GRADES)
    higher = min(by_capacity, by_height)
    if abs(by_capacity - by_height) <= 1:
        return higher
    return higher + 1
