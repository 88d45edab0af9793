"""Licence states (minesafe.rules.licences) — basis DOMAIN §1.1 (证照不全 closure trigger)."""

from __future__ import annotations

from datetime import date

import pytest

from minesafe.rules.licences import (
    LICENCE_STATE_LABELS,
    LICENCE_STATES,
    LICENCE_WARNING_DAYS,
    days_left,
    licence_state,
)

TODAY = date(2024, 6, 30)


def test_warning_window_is_90_days() -> None:
    assert LICENCE_WARNING_DAYS == 90


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [
        (None, "missing"),
        (date(2023, 1, 1), "expired"),
        (date(2024, 6, 29), "expired"),  # yesterday
        (date(2024, 6, 30), "expiring"),  # last valid day is today
        (date(2024, 7, 1), "expiring"),
        (date(2024, 9, 28), "expiring"),  # today + 90
        (date(2024, 9, 29), "valid"),  # today + 91
        (date(2030, 1, 1), "valid"),
    ],
)
def test_licence_state_boundaries(valid_until: date | None, expected: str) -> None:
    assert licence_state(valid_until, TODAY) == expected


@pytest.mark.parametrize(
    ("valid_until", "warn_days", "expected"),
    [
        (date(2024, 6, 30), 0, "expiring"),
        (date(2024, 7, 1), 0, "valid"),
        (date(2024, 7, 30), 30, "expiring"),
        (date(2024, 7, 31), 30, "valid"),
    ],
)
def test_custom_warning_window(valid_until: date, warn_days: int, expected: str) -> None:
    assert licence_state(valid_until, TODAY, warn_days) == expected


def test_leap_day_boundary() -> None:
    # 2024-02-29 exists: a licence valid until then is expired on 2024-03-01.
    assert licence_state(date(2024, 2, 29), date(2024, 2, 29)) == "expiring"
    assert licence_state(date(2024, 2, 29), date(2024, 3, 1)) == "expired"


def test_negative_warning_window_is_an_error() -> None:
    with pytest.raises(ValueError):
        licence_state(TODAY, TODAY, -1)


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [(date(2024, 6, 30), 0), (date(2024, 7, 1), 1), (date(2024, 6, 29), -1), (date(2025, 6, 30), 365)],
)
def test_days_left(valid_until: date, expected: int) -> None:
    assert days_left(valid_until, TODAY) == expected


def test_labels_cover_every_state() -> None:
    assert set(LICENCE_STATE_LABELS) == set(LICENCE_STATES) == {"missing", "expired", "expiring", "valid"}
    assert LICENCE_STATE_LABELS == {
        "missing": "缺失",
        "expired": "已过期",
        "expiring": "即将到期",
        "valid": "有效",
    }
