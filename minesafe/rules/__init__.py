"""Pure regulatory rules — no Django imports, standard library only.

Every rule is a plain function of plain values (dates and "today"/"now" are passed
in, never read from a clock) returning a :class:`Verdict`: a tuple of :class:`Reason`
items, each with a stable code, a Chinese message, the field it belongs to and a
:class:`Citation` built with :func:`cite` from :data:`SOURCES`. Django apps call
these rules from forms, services and APIs; the rules never call back.
"""

from __future__ import annotations

from .licences import LICENCE_STATE_LABELS, LICENCE_WARNING_DAYS, days_left, licence_state
from .lockout import (
    LOCKOUT_MINUTES,
    LOCKOUT_THRESHOLD,
    LoginState,
    after_failure,
    after_success,
    check_login_allowed,
    is_locked,
    remaining_attempts,
)
from .mine_attributes import (
    SECTOR_LABELS,
    SECTOR_PROFILES,
    SECTORS,
    UNDERGROUND_SECTORS,
    MineFacts,
    SectorProfile,
    check_boundary,
    check_mine_attributes,
    tailings_grade,
)
from .mine_status import (
    CLOSED,
    CONSTRUCTION,
    MINE_STATUS_LABELS,
    MINE_STATUSES,
    PRODUCTION,
    RECTIFICATION,
    SUSPENDED,
    TRANSITIONS,
    StatusChangeFacts,
    allowed_targets,
    check_status_change,
)
from .passwords import PASSWORD_MIN_LENGTH, check_password_policy
from .sources import SOURCES, Source, cite
from .types import Citation, Reason, Verdict
from .uscc import (
    USCC_ALPHABET,
    make_uscc,
    normalize_uscc,
    org_code_check_char,
    uscc_check_char,
    validate_uscc,
)

__all__ = [
    "CLOSED",
    "CONSTRUCTION",
    "LICENCE_STATE_LABELS",
    "LICENCE_WARNING_DAYS",
    "LOCKOUT_MINUTES",
    "LOCKOUT_THRESHOLD",
    "MINE_STATUSES",
    "MINE_STATUS_LABELS",
    "PASSWORD_MIN_LENGTH",
    "PRODUCTION",
    "RECTIFICATION",
    "SECTORS",
    "SECTOR_LABELS",
    "SECTOR_PROFILES",
    "SOURCES",
    "SUSPENDED",
    "TRANSITIONS",
    "UNDERGROUND_SECTORS",
    "USCC_ALPHABET",
    "Citation",
    "LoginState",
    "MineFacts",
    "Reason",
    "SectorProfile",
    "Source",
    "StatusChangeFacts",
    "Verdict",
    "after_failure",
    "after_success",
    "allowed_targets",
    "check_boundary",
    "check_login_allowed",
    "check_mine_attributes",
    "check_password_policy",
    "check_status_change",
    "cite",
    "days_left",
    "is_locked",
    "licence_state",
    "make_uscc",
    "normalize_uscc",
    "org_code_check_char",
    "remaining_attempts",
    "tailings_grade",
    "uscc_check_char",
    "validate_uscc",
]
