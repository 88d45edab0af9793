"""Licence validity states for 采矿许可证 and 安全生产许可证.

Producing without licences, or with incomplete licences (无证照或者证照不全从事生产),
is a closure trigger of the 硬措施 (DOMAIN §1.1 [V] S8); seed-004 三(三) item 13 lists
the same case. This module only classifies a licence's expiry date; the rules that act on
the state live elsewhere (e.g. :mod:`minesafe.rules.mine_status`).
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = [
    "LICENCE_STATES",
    "LICENCE_STATE_LABELS",
    "LICENCE_WARNING_DAYS",
    "STATE_EXPIRED",
    "STATE_EXPIRING",
    "STATE_MISSING",
    "STATE_VALID",
    "days_left",
    "licence_state",
]

# Days before expiry from which a licence is shown as "expiring". A MineSafe
# policy choice (renewal applications need lead time), not a regulatory figure.
LICENCE_WARNING_DAYS = 90

STATE_MISSING = "missing"
STATE_EXPIRED = "expired"
STATE_EXPIRING = "expiring"
STATE_VALID = "valid"
LICENCE_STATES = (STATE_MISSING, STATE_EXPIRED, STATE_EXPIRING, STATE_VALID)

LICENCE_STATE_LABELS: dict[str, str] = {
    STATE_MISSING: "缺失",
    STATE_EXPIRED: "已过期",
    STATE_EXPIRING: "即将到期",
    STATE_VALID: "有效",
}


def licence_state(valid_until: date | None, today: date, warn_days: int = LICENCE_WARNING_DAYS) -> str:
    """Classify a licence on ``today``; basis: DOMAIN §1.1 (证照不全 closure trigger).

    - ``"missing"``: no expiry date recorded (no licence);
    - ``"expired"``: ``valid_until < today``;
    - ``"expiring"``: ``today <= valid_until <= today + warn_days`` (the last valid day counts
      as still valid, but expiring);
    - ``"valid"``: later than that.
    """
    if warn_days < 0:
        raise ValueError("warn_days must not be negative")
    if valid_until is None:
        return STATE_MISSING
    if valid_until < today:
        return STATE_EXPIRED
    if valid_until <= today + timedelta(days=warn_days):
        return STATE_EXPIRING
    return STATE_VALID


def days_left(valid_until: date, today: date) -> int:
    """Whole days from ``today`` to ``valid_until``: 0 on the last valid day, negative once expired."""
    return (valid_until - today).days
