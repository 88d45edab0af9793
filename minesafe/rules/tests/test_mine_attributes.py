"""Mine registry cross-field rules (minesafe.rules.mine_attributes).

Sources proven here: coal hazard attributes DOMAIN §2.1 (判定标准 Art. 9, 12, 18);
coal > 2 production levels DOMAIN §2.1 Art. 4(4); small/medium metal underground ≥ 4
levels seed-004 三(三) item 15 / DOMAIN HM-3a; tailings fields GB 39496-2020 [U].
"""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from minesafe.rules.mine_attributes import (
    ATTRIBUTE_GROUPS,
    SECTOR_LABELS,
    SECTOR_PROFILES,
    SECTORS,
    UNDERGROUND_SECTORS,
    MineFacts,
    check_boundary,
    check_mine_attributes,
)

D = Decimal

VALID: dict[str, MineFacts] = {
    "coal": MineFacts(
        sector="coal",
        scale="large",
        approved_capacity=D("300"),
        latitude=D("35.49"),
        longitude=D("112.85"),
        gas_grade="high",
        hydrogeology="medium",
        spontaneous_combustion="prone",
        rock_burst=False,
        production_levels=2,
        headcount_cap=600,
        depth_m=D("480"),
    ),
    "metal_underground": MineFacts(
        sector="metal_underground",
        scale="small",
        production_levels=3,
        headcount_cap=80,
        hydrogeology="simple",
    ),
    "metal_open_pit": MineFacts(sector="metal_open_pit", scale="medium", depth_m=D("35")),
    "tailings": MineFacts(
        sector="tailings",
        dam_height_m=D("45"),
        tailings_capacity=D("520"),
        tailings_grade=4,
        downstream_population=True,
    ),
}

SQUARE = [[116.0, 40.0], [116.1, 40.0], [116.1, 40.1], [116.0, 40.1]]


def pairs(verdict: Any) -> list[tuple[str, str | None]]:
    return [(r.code, r.field) for r in verdict.reasons]


def test_sector_table() -> None:
    assert SECTORS == ("coal", "metal_underground", "metal_open_pit", "tailings")
    assert SECTOR_LABELS == {
        "coal": "煤矿",
        "metal_underground": "金属非金属地下矿山",
        "metal_open_pit": "金属非金属露天矿山",
        "tailings": "尾矿库",
    }
    assert frozenset({"coal", "metal_underground"}) == UNDERGROUND_SECTORS
    # The profile table and UNDERGROUND_SECTORS must agree.
    assert {s for s, p in SECTOR_PROFILES.items() if "underground" in p.groups} == UNDERGROUND_SECTORS
    for profile in SECTOR_PROFILES.values():
        assert profile.groups <= set(ATTRIBUTE_GROUPS)
        grouped = {a for g in profile.groups for a in ATTRIBUTE_GROUPS[g]}
        assert profile.required <= grouped


@pytest.mark.parametrize("sector", SECTORS)
def test_valid_examples(sector: str) -> None:
    assert check_mine_attributes(VALID[sector]).ok


def test_unknown_sector() -> None:
    assert pairs(check_mine_attributes(MineFacts(sector="chemical"))) == [("mine.sector_unknown", "sector")]


@pytest.mark.parametrize(
    ("sector", "changes", "expected"),
    [
        # coal: gas class, hydrogeology and spontaneous combustion required (DOMAIN §2.1)
        ("coal", {"gas_grade": ""}, [("mine.required", "gas_grade")]),
        ("coal", {"hydrogeology": ""}, [("mine.required", "hydrogeology")]),
        ("coal", {"spontaneous_combustion": ""}, [("mine.required", "spontaneous_combustion")]),
        ("coal", {"gas_grade": "medium"}, [("mine.invalid_choice", "gas_grade")]),
        ("coal", {"hydrogeology": "hard"}, [("mine.invalid_choice", "hydrogeology")]),
        ("coal", {"spontaneous_combustion": "yes"}, [("mine.invalid_choice", "spontaneous_combustion")]),
        ("coal", {"scale": "huge"}, [("mine.invalid_choice", "scale")]),
        ("coal", {"gas_grade": "outburst", "hydrogeology": "very_complex"}, []),
        ("coal", {"rock_burst": None, "production_levels": None, "headcount_cap": None}, []),
        # gas class only for coal
        ("metal_underground", {"gas_grade": "low"}, [("mine.not_applicable", "gas_grade")]),
        ("metal_open_pit", {"gas_grade": "high"}, [("mine.not_applicable", "gas_grade")]),
        ("tailings", {"gas_grade": "low"}, [("mine.not_applicable", "gas_grade")]),
        # hydrogeology optional for metal mines, not applicable to tailings
        ("metal_open_pit", {"hydrogeology": "complex"}, []),
        ("tailings", {"hydrogeology": "simple"}, [("mine.not_applicable", "hydrogeology")]),
        # underground-only attributes
        ("metal_open_pit", {"production_levels": 1}, [("mine.not_applicable", "production_levels")]),
        ("metal_open_pit", {"headcount_cap": 10}, [("mine.not_applicable", "headcount_cap")]),
        ("metal_open_pit", {"rock_burst": False}, [("mine.not_applicable", "rock_burst")]),
        ("tailings", {"headcount_cap": 0}, [("mine.not_applicable", "headcount_cap")]),
        ("coal", {"headcount_cap": -1}, [("mine.negative", "headcount_cap")]),
        ("coal", {"production_levels": -1}, [("mine.negative", "production_levels")]),
        ("coal", {"headcount_cap": 0, "production_levels": 0}, []),
        ("coal", {"depth_m": D("-5")}, [("mine.negative", "depth_m")]),
        ("coal", {"approved_capacity": D("-0.01")}, [("mine.negative", "approved_capacity")]),
        ("coal", {"approved_capacity": D("NaN")}, [("mine.invalid_number", "approved_capacity")]),
        # coal: more than 2 simultaneous production levels (DOMAIN §2.1 Art. 4(4))
        ("coal", {"production_levels": 3}, [("mine.coal_production_levels", "production_levels")]),
        (
            "coal",
            {"production_levels": 3, "scale": "small"},
            [("mine.coal_production_levels", "production_levels")],
        ),
        # small/medium metal underground: 4 or more levels forbidden (seed-004 三(三) item 15)
        (
            "metal_underground",
            {"production_levels": 4},
            [("mine.metal_production_levels", "production_levels")],
        ),
        (
            "metal_underground",
            {"production_levels": 4, "scale": "medium"},
            [("mine.metal_production_levels", "production_levels")],
        ),
        (
            "metal_underground",
            {"production_levels": 4, "scale": ""},
            [("mine.metal_production_levels", "production_levels")],
        ),
        ("metal_underground", {"production_levels": 4, "scale": "large"}, []),
        ("metal_underground", {"production_levels": 9, "scale": "large"}, []),
        # tailings attributes (GB 39496-2020 [U])
        ("tailings", {"dam_height_m": None}, [("mine.required", "dam_height_m")]),
        ("tailings", {"tailings_capacity": None}, [("mine.required", "tailings_capacity")]),
        ("tailings", {"tailings_grade": None}, [("mine.required", "tailings_grade")]),
        ("tailings", {"downstream_population": None}, []),
        ("tailings", {"tailings_grade": 0}, [("mine.out_of_range", "tailings_grade")]),
        ("tailings", {"tailings_grade": 6}, [("mine.out_of_range", "tailings_grade")]),
        ("tailings", {"tailings_grade": 1}, []),
        ("tailings", {"tailings_grade": 5}, []),
        ("tailings", {"dam_height_m": D("-1")}, [("mine.negative", "dam_height_m")]),
        ("coal", {"dam_height_m": D("10")}, [("mine.not_applicable", "dam_height_m")]),
        ("metal_underground", {"tailings_capacity": D("10")}, [("mine.not_applicable", "tailings_capacity")]),
        ("metal_open_pit", {"tailings_grade": 3}, [("mine.not_applicable", "tailings_grade")]),
        (
            "metal_open_pit",
            {"downstream_population": False},
            [("mine.not_applicable", "downstream_population")],
        ),
        # location: both or neither, inside China's bounding box
        ("metal_open_pit", {"latitude": D("40")}, [("mine.location_incomplete", "longitude")]),
        ("metal_open_pit", {"longitude": D("116")}, [("mine.location_incomplete", "latitude")]),
        ("metal_open_pit", {"latitude": D("3"), "longitude": D("73")}, []),
        ("metal_open_pit", {"latitude": D("54"), "longitude": D("136")}, []),
        (
            "metal_open_pit",
            {"latitude": D("2.99"), "longitude": D("116")},
            [("mine.location_out_of_range", "latitude")],
        ),
        (
            "metal_open_pit",
            {"latitude": D("54.01"), "longitude": D("116")},
            [("mine.location_out_of_range", "latitude")],
        ),
        (
            "metal_open_pit",
            {"latitude": D("40"), "longitude": D("72.99")},
            [("mine.location_out_of_range", "longitude")],
        ),
        (
            "metal_open_pit",
            {"latitude": D("40"), "longitude": D("136.01")},
            [("mine.location_out_of_range", "longitude")],
        ),
        (
            "metal_open_pit",
            {"latitude": D("116"), "longitude": D("40")},  # swapped
            [("mine.location_out_of_range", "latitude"), ("mine.location_out_of_range", "longitude")],
        ),
        # boundary
        ("metal_open_pit", {"boundary": SQUARE}, []),
        ("metal_open_pit", {"boundary": []}, []),  # empty list = not filled
        ("metal_open_pit", {"boundary": [[116, 40], [116.1, 40]]}, [("boundary.too_few_points", "boundary")]),
    ],
)
def test_attribute_rules(sector: str, changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert pairs(check_mine_attributes(replace(VALID[sector], **changes))) == expected


def test_coal_required_reasons_cite_domain() -> None:
    verdict = check_mine_attributes(MineFacts(sector="coal"))
    assert pairs(verdict) == [
        ("mine.required", "gas_grade"),
        ("mine.required", "hydrogeology"),
        ("mine.required", "spontaneous_combustion"),
    ]
    for reason in verdict.reasons:
        assert reason.citation is not None
        assert (reason.citation.source, reason.citation.section) == ("DOMAIN", "§2.1")
    assert verdict.reasons[0].message == "煤矿必须填写“瓦斯等级”"


def test_level_limit_citations() -> None:
    coal = check_mine_attributes(replace(VALID["coal"], production_levels=3)).reasons[0]
    assert coal.citation is not None and (coal.citation.source, coal.citation.section) == ("DOMAIN", "§2.1")
    metal = check_mine_attributes(replace(VALID["metal_underground"], production_levels=4)).reasons[0]
    assert metal.citation is not None
    assert (metal.citation.source, metal.citation.section) == ("seed-004", "三(三)")


def test_not_applicable_message() -> None:
    reason = check_mine_attributes(replace(VALID["metal_open_pit"], gas_grade="low")).reasons[0]
    assert reason.message == "金属非金属露天矿山不适用“瓦斯等级”，请留空"


def test_tailings_required_cites_gb_39496() -> None:
    reason = check_mine_attributes(
        MineFacts(sector="tailings", tailings_capacity=D(1), tailings_grade=5)
    ).reasons
    assert [(r.code, r.field) for r in reason] == [("mine.required", "dam_height_m")]
    assert reason[0].citation is not None and reason[0].citation.source == "GB 39496-2020"
    assert "[U]" in reason[0].citation.note


# --- check_boundary ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "points",
    [
        SQUARE,
        [*SQUARE, SQUARE[0]],  # explicit closing point
        [[116, 40], [116.1, 40], [116.05, 40.1]],  # triangle, ints and floats mixed
        [[D("116.00001"), D("40")], [D("116.00002"), D("40")], [D("116.00002"), D("40.00001")]],
        ((116.0, 40.0), (116.1, 40.0), (116.1, 40.1)),  # tuples are fine
        # concave (L-shaped) but simple
        [[116, 40], [116.2, 40], [116.2, 40.1], [116.1, 40.1], [116.1, 40.2], [116, 40.2]],
        [[73, 3], [136, 3], [136, 54], [73, 54]],  # bounding box corners are inside
    ],
)
def test_valid_boundaries(points: object) -> None:
    assert check_boundary(points).ok


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (None, ["boundary.format"]),
        ("116,40;116.1,40", ["boundary.format"]),
        ({"type": "Polygon"}, ["boundary.format"]),
        ([], ["boundary.too_few_points"]),
        ([[116, 40], [116.1, 40], [116, 40]], ["boundary.too_few_points"]),  # closing point dropped
        ([[116, 40], [116.1, 40], [116.1]], ["boundary.point_format"]),
        ([[116, 40], [116.1, 40], [116.1, 40.1, 0]], ["boundary.point_format"]),
        ([[116, 40], [116.1, 40], ["116.1", "40.1"]], ["boundary.point_format"]),
        ([[116, 40], [116.1, 40], [True, 40.1]], ["boundary.point_format"]),
        ([[116, 40], [116.1, 40], [float("nan"), 40.1]], ["boundary.point_format"]),
        ([[116, 40], [116.1, 40], 5], ["boundary.point_format"]),
        ([[116, 40], [116.1, 40], [137, 40.1]], ["boundary.out_of_range"]),
        ([[116, 40], [116.1, 40], [116.1, 2.9]], ["boundary.out_of_range"]),
        ([[116, 40], [116.1, 40], [116.1, 40], [116, 40.1]], ["boundary.duplicate_point"]),
        ([[116, 40], [116.1, 40], [116.2, 40]], ["boundary.collinear"]),
        ([[116, 40], [116.2, 40], [116.1, 40], [116.05, 40]], ["boundary.collinear"]),
        # bow-tie: edges 1 and 3 cross
        ([[116, 40], [116.1, 40.1], [116.1, 40], [116, 40.1]], ["boundary.self_intersection"]),
        # vertex touching a non-adjacent edge
        (
            [[116, 40], [116.2, 40], [116.1, 40.1], [116.1, 40], [116.05, 40.1]],
            ["boundary.self_intersection"],
        ),
        # spike folding back along the previous edge
        ([[116, 40], [116.2, 40], [116.1, 40], [116.1, 40.1]], ["boundary.self_intersection"]),
        # figure-eight made of two squares sharing a crossing
        (
            [
                [116, 40],
                [116.2, 40],
                [116.2, 40.1],
                [116.1, 40.1],
                [116.1, 39.9],
                [116.15, 39.9],
                [116.15, 40.2],
            ],
            ["boundary.self_intersection"],
        ),
    ],
)
def test_invalid_boundaries(points: object, expected: list[str]) -> None:
    verdict = check_boundary(points)
    assert list(verdict.codes) == expected
    assert all(r.field == "boundary" for r in verdict.reasons)


def test_boundary_messages() -> None:
    bowtie = check_boundary([[116, 40], [116.1, 40.1], [116.1, 40], [116, 40.1]])
    assert bowtie.reasons[0].message == "矿区范围边界自相交（第1条边与第3条边相交）"
    swapped = check_boundary([[40, 116], [40, 116.1], [40.1, 116.1]])
    assert swapped.codes == ("boundary.out_of_range",) * 3
    assert "经纬度顺序颠倒" in swapped.reasons[0].message
    bad = check_boundary([[116, 40], "x", [116.1, 40.1]])
    assert bad.reasons[0].message == "第2个坐标点格式错误，应为[经度, 纬度]数值对"


def test_boundary_custom_field() -> None:
    assert check_boundary(None, field="area").reasons[0].field == "area"


def test_boundary_point_limit_and_speed() -> None:
    import math

    n = 1000
    circle = [
        [116 + 0.1 * math.cos(2 * math.pi * k / n), 40 + 0.1 * math.sin(2 * math.pi * k / n)]
        for k in range(n)
    ]
    start = time.perf_counter()
    assert check_boundary(circle).ok
    assert time.perf_counter() - start < 10
    assert check_boundary([*circle, circle[0]]).ok
    too_many = [*circle, [116.0, 40.0], [116.0, 40.0]]
    assert check_boundary(too_many).codes == ("boundary.too_many_points",)
