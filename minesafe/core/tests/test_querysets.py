"""Division-prefix scoping: the index-friendly range is exact at every boundary."""

from __future__ import annotations

import pytest

from minesafe.accounts.models import Division
from minesafe.core.querysets import _next_prefix, code_prefix_q


@pytest.mark.parametrize(("prefix", "upper"), [("2103", "2104"), ("2109", "211"), ("21", "22"), ("19", "2"),
                                                ("99", None), ("210399", "2104")])
def test_next_prefix(prefix: str, upper: str | None) -> None:
    assert _next_prefix(prefix) == upper


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["21", "2103", "2109", "210323", "65", "6590", "15", "1101", ""])
def test_prefix_filter_equals_python_startswith(prefix: str) -> None:
    expected = {c for c in Division.objects.values_list("code", flat=True) if c.startswith(prefix)}
    got = set(Division.objects.filter(code_prefix_q("code", prefix)).values_list("code", flat=True))
    assert got == expected
