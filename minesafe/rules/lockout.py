"""Account lockout after repeated failed logins.

Basis: GB/T 22239-2019 8.1.4.1 身份鉴别 b) requires login-failure handling (限制非法登录次数).
The threshold and lock duration are MineSafe policy choices. The state is a value: the
caller stores it (e.g. on the user row) and passes the current time in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .sources import cite
from .types import Reason, Verdict

__all__ = [
    "LOCKOUT_MINUTES",
    "LOCKOUT_THRESHOLD",
    "LoginState",
    "after_failure",
    "after_success",
    "check_login_allowed",
    "is_locked",
    "remaining_attempts",
]

LOCKOUT_THRESHOLD = 5  # consecutive failures that trigger a lock
LOCKOUT_MINUTES = 15

_CITE = cite(
    "GB/T 22239-2019",
    "8.1.4.1",
    "[U] general knowledge (身份鉴别 b: 登录失败处理、限制非法登录次数), confirm against official text; "
    "the numbers are MineSafe policy",
)


@dataclass(frozen=True)
class LoginState:
    """Consecutive failures since the last success or lock, and the end of the current lock."""

    failures: int = 0
    locked_until: datetime | None = None


def is_locked(state: LoginState, now: datetime) -> bool:
    """True while ``now`` is before ``locked_until``; GB/T 22239-2019 8.1.4.1 b) [U]."""
    return state.locked_until is not None and now < state.locked_until


def after_failure(state: LoginState, now: datetime) -> LoginState:
    """State after a failed login; GB/T 22239-2019 8.1.4.1 b) [U].

    The :data:`LOCKOUT_THRESHOLD`-th consecutive failure locks the account until
    ``now + LOCKOUT_MINUTES`` and resets the counter. A failure while locked changes
    nothing (the lock is not extended, so an attacker cannot keep it going by guessing).
    A failure after an expired lock starts a fresh count.
    """
    if is_locked(state, now):
        return state
    failures = 0 if state.locked_until is not None else max(state.failures, 0)
    failures += 1
    if failures >= LOCKOUT_THRESHOLD:
        return LoginState(failures=0, locked_until=now + timedelta(minutes=LOCKOUT_MINUTES))
    return LoginState(failures=failures, locked_until=None)


def after_success(state: LoginState) -> LoginState:
    """State after a successful login: everything cleared. Check :func:`is_locked` first."""
    return LoginState(failures=0, locked_until=None)


def remaining_attempts(state: LoginState, now: datetime) -> int:
    """Failures still allowed before a lock (0 while locked)."""
    if is_locked(state, now):
        return 0
    used = 0 if state.locked_until is not None else max(state.failures, 0)
    return max(LOCKOUT_THRESHOLD - used, 0)


def check_login_allowed(state: LoginState, now: datetime) -> Verdict:
    """Refuse a login attempt while the account is locked; GB/T 22239-2019 8.1.4.1 b) [U].

    Reason code ``login.locked`` (whole object). The message does not say whether the
    password would have been right.
    """
    until = state.locked_until
    if until is None or now >= until:
        return Verdict.allow()
    # Round the remaining time up to whole minutes, at least 1.
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return Verdict.deny(
        Reason(
            "login.locked",
            f"登录失败次数过多，账户已临时锁定，请约{minutes}分钟后再试",
            None,
            _CITE,
        )
    )
