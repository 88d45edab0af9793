"""Major-hazard determination standards as versioned data (minesafe.rules.hazard_standards).

Sources proven here: coal 2020 DOMAIN §2.1 (应急管理部令第4号, 15 categories Art. 4–18);
煤矿安全生产条例 Art. 36 DOMAIN §2.2 (17 categories from 2024-05-01); metal/non-metal
DOMAIN §3.1 / §3.2 / §3.3 (矿安〔2022〕88号 from 2022-09-01, 2017 trial list); versioning
DOMAIN §0 alert 0.5.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from minesafe.rules.hazard_standards import (
    ALL_STANDARDS,
    CATEGORY_FAMILIES,
    ITEM_PREDECESSORS,
    OTHER_UNVERIFIED_TEXT,
    categories_for,
    category_family,
    find_category,
    find_item,
    standard_for,
)
from minesafe.rules.mine_attributes import SECTORS
from minesafe.rules.sources import SOURCES, cite

ALL_CATEGORIES = [(s, c) for s in ALL_STANDARDS for c in s.categories]
ALL_ITEMS = [(s, c, i) for s, c in ALL_CATEGORIES for i in c.items]
BY_CODE = {s.code: s for s in ALL_STANDARDS}

# --- which version is in force --------------------------------------------------------------


@pytest.mark.parametrize(
    ("sector", "on", "expected"),
    [
        pytest.param("coal", date(2021, 1, 1), "coal-2020", id="DOMAIN-2-coal-2020-first-day"),
        pytest.param("coal", date(2024, 4, 30), "coal-2020", id="DOMAIN-0.1-last-day-before-tiaoli"),
        pytest.param("coal", date(2024, 5, 1), "coal-2024", id="DOMAIN-2.2-tiaoli-in-force"),
        pytest.param("coal", date(2026, 10, 1), "coal-2024", id="DOMAIN-0.2-2026-revision-not-modelled"),
        pytest.param("metal_underground", date(2022, 9, 1), "metal-ug-2022", id="DOMAIN-3-first-day"),
        pytest.param("metal_open_pit", date(2025, 1, 1), "metal-op-2022", id="DOMAIN-3.2"),
        pytest.param("tailings", date(2022, 9, 1), "tailings-2022", id="DOMAIN-3.3"),
    ],
)
def test_standard_for(sector: str, on: date, expected: str) -> None:
    standard = standard_for(sector, on)
    assert standard.code == expected
    assert categories_for(sector, on) == standard.categories


@pytest.mark.parametrize(
    ("sector", "on"),
    [
        pytest.param("coal", date(2020, 12, 31), id="DOMAIN-2-before-2021-01-01"),
        pytest.param("metal_underground", date(2022, 8, 31), id="DOMAIN-3-before-2022-09-01"),
        pytest.param("metal_open_pit", date(2022, 8, 31), id="DOMAIN-3-open-pit-before"),
        pytest.param("tailings", date(2022, 8, 31), id="DOMAIN-3.3-2017-trial-not-a-version"),
        pytest.param("industry_trade", date(2025, 1, 1), id="not-a-mine-sector"),
        pytest.param("", date(2025, 1, 1), id="empty-sector"),
    ],
)
def test_standard_for_raises_lookup_error(sector: str, on: date) -> None:
    with pytest.raises(LookupError):
        standard_for(sector, on)
    with pytest.raises(LookupError):
        categories_for(sector, on)


@pytest.mark.parametrize("sector", SECTORS)
def test_versions_of_a_sector_do_not_overlap(sector: str) -> None:
    """DOMAIN §0 alert 0.5: exactly one version per sector and day; versions ordered, no gaps."""
    versions = sorted((s for s in ALL_STANDARDS if sector in s.sectors), key=lambda s: s.effective_from)
    assert versions, sector
    for earlier, later in itertools.pairwise(versions):
        assert earlier.effective_to is not None
        assert (later.effective_from - earlier.effective_to).days == 1, (earlier.code, later.code)
    assert versions[-1].effective_to is None


def test_standard_metadata() -> None:
    """DOMAIN §2 (部令第4号, 2021-01-01), §2.2 (国务院令第774号, 2024-05-01), §3 (矿安〔2022〕88号, 2022-09-01)."""
    expected = {
        "coal-2020": ("应急管理部令第4号", date(2021, 1, 1), date(2024, 4, 30), {"coal"}),
        "coal-2024": ("国务院令第774号", date(2024, 5, 1), None, {"coal"}),
        "metal-ug-2022": ("矿安〔2022〕88号", date(2022, 9, 1), None, {"metal_underground"}),
        "metal-op-2022": ("矿安〔2022〕88号", date(2022, 9, 1), None, {"metal_open_pit"}),
        "tailings-2022": ("矿安〔2022〕88号", date(2022, 9, 1), None, {"tailings"}),
    }
    actual = {s.code: (s.document, s.effective_from, s.effective_to, set(s.sectors)) for s in ALL_STANDARDS}
    assert actual == expected
    for standard in ALL_STANDARDS:
        assert standard.document in SOURCES, standard.document
        assert standard.sectors <= set(SECTORS)
        assert standard.version and standard.title


# --- coal 2020 (DOMAIN §2.1) ---------------------------------------------------------------

# Art. -> number of sub-conditions, restated from DOMAIN §2.1.
COAL_2020_COUNTS = {4: 6, 5: 3, 6: 7, 7: 2, 8: 10, 9: 9, 10: 3, 11: 5, 12: 4, 13: 6, 14: 3, 15: 4, 16: 5, 17: 3, 18: 10}


def test_coal_2020_has_15_categories_art_4_to_18() -> None:
    """DOMAIN §2.1: 15 categories, Art. 4 = 超能力 … Art. 18 = 其他."""
    standard = BY_CODE["coal-2020"]
    assert [c.code for c in standard.categories] == [f"coal-2020.{n}" for n in range(4, 19)]
    assert {int(c.code.rsplit(".", 1)[1]): len(c.items) for c in standard.categories} == COAL_2020_COUNTS
    assert standard.categories[0].title.startswith("超能力")
    assert standard.categories[-1].title == "其他重大事故隐患"
    assert all(item.verified for category in standard.categories for item in category.items)


@pytest.mark.parametrize(
    ("code", "fragments"),
    [
        pytest.param("coal-2020.4.1", ("10%以上", "生产能力的10%"), id="DOMAIN-2.1-Art4(1)-10pct"),
        pytest.param("coal-2020.4.4", ("超过2个",), id="DOMAIN-2.1-Art4(4)-2-levels"),
        pytest.param("coal-2020.4.6", ("20%以上",), id="DOMAIN-2.1-Art4(6)-20pct"),
        pytest.param("coal-2020.6.7", ("架线式电机车",), id="DOMAIN-2.1-Art6(7)"),
        pytest.param("coal-2020.7.2", ("甲烷传感器", "断电范围"), id="DOMAIN-2.1-Art7(2)-sensors"),
        pytest.param("coal-2020.8.7", ("至少2个区段",), id="DOMAIN-2.1-Art8(7)"),
        pytest.param("coal-2020.8.9", ("双风机、双电源且自动切换",), id="DOMAIN-2.1-Art8(9)"),
        pytest.param("coal-2020.8.10", ("二期工程", "三期工程"), id="DOMAIN-2.1-Art8(10)"),
        pytest.param("coal-2020.13.2", ("安全标志",), id="DOMAIN-2.1-Art13(2)-MA"),
        pytest.param("coal-2020.13.5", ("2个畅通的安全出口",), id="DOMAIN-2.1-Art13(5)"),
        pytest.param("coal-2020.14.2", ("同一母线段",), id="DOMAIN-2.1-Art14(2)"),
        pytest.param("coal-2020.18.1", ("专职的矿长", "防治水"), id="DOMAIN-2.1-Art18(1)-five-posts"),
        pytest.param("coal-2020.18.4", ("0.74MPa",), id="DOMAIN-2.1-Art18(4)"),
        pytest.param("coal-2020.18.6", ("人员位置监测系统", "第七条第二项"), id="DOMAIN-2.1-Art18(6)"),
        pytest.param("coal-2020.18.10", ("露天煤矿边坡角",), id="DOMAIN-2.1-Art18(10)"),
    ],
)
def test_coal_2020_key_items(code: str, fragments: tuple[str, ...]) -> None:
    standard, category, item = find_item(code)
    assert standard.code == "coal-2020"
    for fragment in fragments:
        assert fragment in item.text, (code, fragment)
    article = code.split(".")[1]
    assert item.citation.source == "DOMAIN" and item.citation.section == "§2.1"
    assert category.code == f"coal-2020.{article}"


# --- coal 2024: 条例 Art. 36 (DOMAIN §2.2) --------------------------------------------------


def test_coal_2024_has_the_17_categories_of_art_36() -> None:
    """DOMAIN §2.2: 17 categories; (11) 监控与通讯 and (12) 露天煤矿边坡 are new; (16) adds 合并、分立."""
    standard = BY_CODE["coal-2024"]
    assert [c.code for c in standard.categories] == [f"coal-2024.{n}" for n in range(1, 18)]
    titles = {int(c.code.rsplit(".", 1)[1]): c.title for c in standard.categories}
    assert "监控与通讯" in titles[11]
    assert titles[12].startswith("露天煤矿边坡角")
    assert "煤（岩）与瓦斯（二氧化碳）突出" in titles[3]
    assert "外包" in titles[15]
    assert "合并、分立" in titles[16]
    assert titles[17] == "有其他重大事故隐患"
    for category in standard.categories:
        assert category.citation.section == "§2.2"
        assert "第三十六条" in category.citation.note


@pytest.mark.parametrize(
    ("new", "old"),
    [
        pytest.param("coal-2024.1.1", "coal-2020.4.1", id="DOMAIN-2.2-(1)-from-Art4"),
        pytest.param("coal-2024.4.1", "coal-2020.7.1", id="DOMAIN-2.2-(4)-drainage-from-Art7(1)"),
        pytest.param("coal-2024.4.2", "coal-2020.6.2", id="DOMAIN-2.2-(4)-outburst-drainage-from-Art6(2)"),
        pytest.param("coal-2024.5.9", "coal-2020.8.9", id="DOMAIN-2.2-(5)-ventilation"),
        pytest.param("coal-2024.6.1", "coal-2020.10.1", id="DOMAIN-2.2-(6)-boundary-from-Art10"),
        pytest.param("coal-2024.7.1", "coal-2020.9.1", id="DOMAIN-2.2-(7)-water-from-Art9"),
        pytest.param("coal-2024.11.1", "coal-2020.7.2", id="DOMAIN-2.2-(11)-sensors"),
        pytest.param("coal-2024.11.2", "coal-2020.18.6", id="DOMAIN-2.2-(11)-monitoring-positioning"),
        pytest.param("coal-2024.12.1", "coal-2020.18.10", id="DOMAIN-2.2-(12)-slope"),
        pytest.param("coal-2024.17.4", "coal-2020.18.4", id="DOMAIN-2.2-(17)-0.74MPa"),
    ],
)
def test_coal_2024_items_map_2020_sub_conditions(new: str, old: str) -> None:
    assert ITEM_PREDECESSORS[new] == old
    assert find_item(new)[2].text == find_item(old)[2].text
    assert find_item(new)[2].citation == find_item(old)[2].citation


def test_every_2020_sub_condition_is_mapped_exactly_once() -> None:
    """DOMAIN §2.2: the 2020 sub-conditions carry over; none lost, none duplicated."""
    old_items = [i.code for _, c in ALL_CATEGORIES if c.code.startswith("coal-2020.") for i in c.items]
    assert sorted(ITEM_PREDECESSORS.values()) == sorted(old_items)


@pytest.mark.parametrize(
    "category",
    [
        pytest.param("coal-2024.11", id="DOMAIN-2.2-(11)-new"),
        pytest.param("coal-2024.12", id="DOMAIN-2.2-(12)-new"),
        pytest.param("coal-2024.16", id="DOMAIN-2.2-(16)-merger-split"),
        pytest.param("coal-2024.17", id="DOMAIN-0.2-2026-revision"),
    ],
)
def test_coal_2024_unknown_sub_items_are_marked_u(category: str) -> None:
    _, found = find_category(category)
    unverified = [i for i in found.items if not i.verified]
    assert len(unverified) == 1
    assert unverified[0].citation.source == "应急管理部令第21号"
    assert unverified[0].code not in ITEM_PREDECESSORS


# --- metal / non-metal (DOMAIN §3) --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fragments"),
    [
        pytest.param("metal-ug-2022.1.1", ("少于2个",), id="DOMAIN-3.1-(1)1-two-exits"),
        pytest.param("metal-ug-2022.1.2", ("小于30m", "1000m"), id="DOMAIN-3.1-(1)2-30m-1000m"),
        pytest.param("metal-ug-2022.1.5", ("堵塞",), id="DOMAIN-3.1-(1)5"),
        pytest.param("metal-ug-2022.3.1", ("不同矿权主体",), id="DOMAIN-3.1-(3)"),
        pytest.param("metal-ug-2022.4.1", ("GB 16423-2020", "4.1.10", "每3个月", "每1个月"), id="DOMAIN-3.1-(4)1"),
        pytest.param("metal-ug-2022.water.1", ("1m以上",), id="DOMAIN-3.1-collar-1m"),
        pytest.param("metal-ug-2022.water.3", ("防水门", "7m以上"), id="DOMAIN-3.1-pump-room"),
        pytest.param("metal-ug-2022.hoist.1", ("超过25人", "额定载荷"), id="DOMAIN-3.1-25-persons"),
        pytest.param("metal-ug-2022.monitoring.2", ("篡改",), id="DOMAIN-3.1-monitoring-data"),
        pytest.param("metal-op-2022.7.1", ("200m", "在线监测"), id="DOMAIN-3.2-(7)-200m-pit"),
        pytest.param("metal-op-2022.7.2", ("200m", "排土场"), id="DOMAIN-3.2-(7)-200m-dump"),
        pytest.param("metal-op-2022.10.1", ("凹陷露天矿山",), id="DOMAIN-3.2-(10)"),
        pytest.param("tailings-2022.3.1", ("设计总坝高", "设计库容"), id="DOMAIN-3.3-2022-height-capacity"),
        pytest.param("tailings-2022.t2017.7", ("浸润线埋深",), id="DOMAIN-3.3-2017-item7"),
        pytest.param("tailings-2022.t2017.8", ("安全超高", "干滩长度"), id="DOMAIN-3.3-2017-item8"),
    ],
)
def test_metal_key_items(code: str, fragments: tuple[str, ...]) -> None:
    _, _, item = find_item(code)
    for fragment in fragments:
        assert fragment in item.text, (code, fragment)


def test_open_pit_numbered_items_1_to_10() -> None:
    """DOMAIN §3.2: items (1)–(8) and (10) verified; (9) unknown → a single [U] placeholder."""
    standard = BY_CODE["metal-op-2022"]
    numbered = [c for c in standard.categories if re.fullmatch(r"metal-op-2022\.\d+", c.code)]
    assert [c.code for c in numbered] == [f"metal-op-2022.{n}" for n in range(1, 11)]
    _, nine = find_category("metal-op-2022.9")
    assert [(i.text, i.verified) for i in nine.items] == [(OTHER_UNVERIFIED_TEXT, False)]
    for category in numbered:
        if category.code != "metal-op-2022.9":
            assert category.citation.section == "§3.2"
            assert any(item.verified for item in category.items), category.code


def test_tailings_2017_trial_list_is_fully_represented() -> None:
    """DOMAIN §3.3: 2022 partial text covers 2017 items 1, 3, 4; the other 9 are [U] carry-overs."""
    standard = BY_CODE["tailings-2022"]
    _, trial = find_category("tailings-2022.t2017")
    assert [i.code.rsplit(".", 1)[1] for i in trial.items] == ["2", "5", "6", "7", "8", "9", "10", "11", "12"]
    assert all(not i.verified for i in trial.items)  # kept in 2022: [U]
    covered = [c for c in standard.categories if re.fullmatch(r"tailings-2022\.\d", c.code)]
    assert len(covered) == 3 and all(i.verified for c in covered for i in c.items)
    assert all("2017试行版第1、3、4项" in c.citation.note for c in covered)


@pytest.mark.parametrize("code", ["metal-ug-2022", "metal-op-2022", "tailings-2022"])
def test_metal_standards_end_with_an_unverified_other_category(code: str) -> None:
    """DOMAIN §3: full text of 矿安〔2022〕88号 not obtained → 其他重大事故隐患（以标准原文为准）[U]."""
    last = BY_CODE[code].categories[-1]
    assert last.code == f"{code}.other"
    assert last.items[-1].text == OTHER_UNVERIFIED_TEXT
    assert not last.items[-1].verified
    assert last.items[-1].citation.source == "矿安〔2022〕88号"


# --- codes, lookups, citations -----------------------------------------------------------


def test_codes_are_unique_and_hierarchical() -> None:
    category_codes = [c.code for _, c in ALL_CATEGORIES]
    item_codes = [i.code for _, _, i in ALL_ITEMS]
    assert len(set(category_codes)) == len(category_codes)
    assert len(set(item_codes)) == len(item_codes)
    for standard, category in ALL_CATEGORIES:
        assert category.code.startswith(standard.code + "."), category.code
        assert category.items, category.code
        assert category.title.strip()
    for _, category, item in ALL_ITEMS:
        assert item.code.startswith(category.code + "."), item.code
        assert item.text.strip()
        assert not item.text.endswith("的"), item.code  # conditions are stated without the trailing 的


@pytest.mark.parametrize("entry", ALL_ITEMS, ids=lambda e: e[2].code)
def test_find_item_round_trips(entry: tuple) -> None:
    standard, category, item = entry
    assert find_item(item.code) == (standard, category, item)
    assert find_category(category.code) == (standard, category)


@pytest.mark.parametrize("code", ["", "coal-2020", "coal-2020.4", "coal-2020.4.7", "coal-2020.19.1", "COAL-2020.4.1"])
def test_find_item_unknown_raises_key_error(code: str) -> None:
    with pytest.raises(KeyError):
        find_item(code)


def test_find_category_unknown_raises_key_error() -> None:
    with pytest.raises(KeyError):
        find_category("coal-2024.18")


def test_citations_resolve_and_unverified_external_ones_say_so() -> None:
    """Items cite DOMAIN when verified; a direct citation of an official document carries [U]."""
    citations = [c.citation for _, c in ALL_CATEGORIES] + [i.citation for _, _, i in ALL_ITEMS]
    for citation in citations:
        assert cite(citation.source, citation.section, citation.note) == citation
        if citation.source not in ("DOMAIN",) and not citation.source.startswith("seed-"):
            assert "[U]" in citation.note, citation
    unverified = [i for _, _, i in ALL_ITEMS if not i.verified]
    assert unverified and len(unverified) < len(ALL_ITEMS) // 4


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param("coal-2020.8", "coal-2024.5", True, id="DOMAIN-2.2-ventilation-same-family"),
        pytest.param("coal-2020.4", "coal-2024.1", True, id="DOMAIN-2.2-capacity-same-family"),
        pytest.param("coal-2020.7", "coal-2024.4", True, id="DOMAIN-2.2-drainage-same-family"),
        pytest.param("coal-2020.18", "coal-2024.17", True, id="DOMAIN-2.2-other-same-family"),
        pytest.param("coal-2020.7", "coal-2024.11", False, id="DOMAIN-2.2-(11)-is-new"),
        pytest.param("coal-2020.8", "coal-2024.7", False, id="ventilation-vs-water"),
        pytest.param("metal-ug-2022.1", "metal-op-2022.1", False, id="DOMAIN-3-sectors-differ"),
        pytest.param("free-form", "free-form", True, id="unknown-codes-are-their-own-family"),
    ],
)
def test_category_family(a: str, b: str, same: bool) -> None:
    assert (category_family(a) == category_family(b)) is same


def test_every_category_has_a_family() -> None:
    assert set(CATEGORY_FAMILIES) == {c.code for _, c in ALL_CATEGORIES}
    assert all(family in CATEGORY_FAMILIES for family in CATEGORY_FAMILIES.values())
