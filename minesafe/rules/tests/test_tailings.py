"""尾矿库等别 (minesafe.rules.mine_attributes.tailings_grade) — GB 39496-2020 table [U].

Thresholds (V = 全库容 万m³, H = 坝高 m): 一等 V≥50000 / H≥200; 二等 10000≤V<50000 /
100≤H<200; 三等 1000≤V<10000 / 60≤H<100; 四等 100≤V<1000 / 30≤H<60; 五等 V<100 / H<30.
Grades differing by one: the higher applies; by more than one: the higher lowered by one
(same rule in GB 50863-2013 §3.3.1).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from minesafe.rules.mine_attributes import tailings_grade

D = Decimal


@pytest.mark.parametrize(
    ("height", "capacity", "expected"),
    [
        # both criteria agree, at and just below each threshold
        (D("200"), D("50000"), 1),
        (D("199.99"), D("49999.99"), 2),
        (D("100"), D("10000"), 2),
        (D("99.99"), D("9999.99"), 3),
        (D("60"), D("1000"), 3),
        (D("59.99"), D("999.99"), 4),
        (D("30"), D("100"), 4),
        (D("29.99"), D("99.99"), 5),
        (D("0"), D("0"), 5),
        (D("300"), D("80000"), 1),
        # differ by one: take the higher grade (smaller number)
        (D("30"), D("99"), 4),  # H -> 4, V -> 5
        (D("29"), D("100"), 4),  # H -> 5, V -> 4
        (D("200"), D("10000"), 1),  # H -> 1, V -> 2
        (D("100"), D("1000"), 2),  # H -> 2, V -> 3
        # differ by more than one: the higher grade lowered by one
        (D("60"), D("50"), 4),  # H -> 3, V -> 5
        (D("10"), D("1000"), 4),  # H -> 5, V -> 3
        (D("200"), D("10"), 2),  # H -> 1, V -> 5
        (D("5"), D("60000"), 2),  # H -> 5, V -> 1
        (D("150"), D("500"), 3),  # H -> 2, V -> 4
    ],
)
def test_tailings_grade_table(height: Decimal, capacity: Decimal, expected: int) -> None:
    assert tailings_grade(height, capacity) == expected


@pytest.mark.parametrize(("height", "capacity"), [(None, D("100")), (D("30"), None), (None, None)])
def test_missing_input_gives_none(height: Decimal | None, capacity: Decimal | None) -> None:
    assert tailings_grade(height, capacity) is None


@pytest.mark.parametrize(
    ("height", "capacity"), [(D("-1"), D("100")), (D("30"), D("-0.1")), (D("NaN"), D("1"))]
)
def test_invalid_input_raises(height: Decimal, capacity: Decimal) -> None:
    with pytest.raises(ValueError):
        tailings_grade(height, capacity)


def test_accepts_int_inputs() -> None:
    assert tailings_grade(45, 520) == 4  # type: ignore[arg-type]
