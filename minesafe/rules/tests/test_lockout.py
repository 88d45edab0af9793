"""Login lockout (minesafe.rules.lockout) — GB/T 22239-2019 8.1.4.1 b) [U]; numbers are policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minesafe.rules.lockout import (
    LOCKOUT_MINUTES,
    LOCKOUT_THRESHOLD,
    LoginState,
    after_failure,
    after_success,
    check_login_allowed,
    is_locked,
    remaining_attempts,
)

T0 = datetime(2024, 6, 30, 8, 0, tzinfo=UTC)
UNTIL = T0 + timedelta(minutes=15)


def test_policy_numbers() -> None:
    assert (LOCKOUT_THRESHOLD, LOCKOUT_MINUTES) == (5, 15)


def _fail(times: int, start: LoginState | None = None, now: datetime = T0) -> LoginState:
    state = start or LoginState(0, None)
    for _ in range(times):
        state = after_failure(state, now)
    return state


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        (1, LoginState(1, None)),
        (4, LoginState(4, None)),
        (5, LoginState(0, UNTIL)),  # 5th consecutive failure locks for 15 minutes
    ],
)
def test_consecutive_failures(failures: int, expected: LoginState) -> None:
    assert _fail(failures) == expected


@pytest.mark.parametrize(
    ("now", "locked"),
    [
        (T0, True),
        (UNTIL - timedelta(microseconds=1), True),
        (UNTIL, False),  # the lock ends exactly at locked_until
        (UNTIL + timedelta(seconds=1), False),
    ],
)
def test_is_locked_boundaries(now: datetime, locked: bool) -> None:
    assert is_locked(LoginState(0, UNTIL), now) is locked


def test_not_locked_without_lock() -> None:
    assert not is_locked(LoginState(4, None), T0)


def test_failure_while_locked_changes_nothing() -> None:
    locked = LoginState(0, UNTIL)
    assert after_failure(locked, T0 + timedelta(minutes=14)) == locked


def test_failure_after_expired_lock_starts_fresh() -> None:
    assert after_failure(LoginState(0, UNTIL), UNTIL) == LoginState(1, None)
    assert after_failure(LoginState(3, UNTIL), UNTIL + timedelta(hours=1)) == LoginState(1, None)


def test_relock_after_expiry_needs_five_new_failures() -> None:
    state = _fail(4, LoginState(0, UNTIL), now=UNTIL)
    assert state == LoginState(4, None)
    later = UNTIL + timedelta(minutes=1)
    assert after_failure(state, later) == LoginState(0, later + timedelta(minutes=15))


def test_success_clears() -> None:
    assert after_success(LoginState(4, None)) == LoginState(0, None)
    assert after_success(LoginState(0, UNTIL)) == LoginState(0, None)


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        (LoginState(0, None), T0, 5),
        (LoginState(3, None), T0, 2),
        (LoginState(0, UNTIL), T0, 0),
        (LoginState(0, UNTIL), UNTIL, 5),
    ],
)
def test_remaining_attempts(state: LoginState, now: datetime, expected: int) -> None:
    assert remaining_attempts(state, now) == expected


def test_check_login_allowed() -> None:
    assert check_login_allowed(LoginState(4, None), T0).ok
    assert check_login_allowed(LoginState(0, UNTIL), UNTIL).ok
    verdict = check_login_allowed(LoginState(0, UNTIL), T0 + timedelta(minutes=5, seconds=30))
    assert verdict.codes == ("login.locked",)
    assert verdict.reasons[0].field is None
    assert "10分钟" in verdict.reasons[0].message  # 9.5 minutes left, rounded up
    assert verdict.reasons[0].citation is not None
    assert verdict.reasons[0].citation.source == "GB/T 22239-2019"
