"""Password complexity policy for MineSafe accounts.

Basis: GB/T 22239-2019 8.1.4.1 身份鉴别 a) requires identification and authentication
information with complexity requirements. The standard sets no figures; the length and
character-class numbers here are MineSafe policy choices.
"""

from __future__ import annotations

from .sources import cite
from .types import Reason, Verdict

__all__ = [
    "PASSWORD_MIN_CLASSES",
    "PASSWORD_MIN_LENGTH",
    "USERNAME_MIN_LENGTH_FOR_CHECK",
    "check_password_policy",
    "password_classes",
]

PASSWORD_MIN_LENGTH = 10
PASSWORD_MIN_CLASSES = 3  # of: lower-case, upper-case, digit, other
USERNAME_MIN_LENGTH_FOR_CHECK = 3

_CITE = cite(
    "GB/T 22239-2019",
    "8.1.4.1",
    "[U] general knowledge (身份鉴别 a: 身份鉴别信息具有复杂度要求), confirm against official text; "
    "the numbers are MineSafe policy",
)


def password_classes(password: str) -> frozenset[str]:
    """Character classes present: "lower", "upper", "digit" (ASCII) and "other" (anything else)."""
    classes: set[str] = set()
    for ch in password:
        if "a" <= ch <= "z":
            classes.add("lower")
        elif "A" <= ch <= "Z":
            classes.add("upper")
        elif "0" <= ch <= "9":
            classes.add("digit")
        else:
            classes.add("other")
    return frozenset(classes)


def check_password_policy(password: str, *, username: str = "") -> Verdict:
    """Check a new password against the policy; GB/T 22239-2019 8.1.4.1 a) [U].

    At least :data:`PASSWORD_MIN_LENGTH` characters, at least :data:`PASSWORD_MIN_CLASSES`
    of the four character classes, and (for usernames of 3+ characters) not containing the
    username, case-insensitively. Reason codes: password.too_short, password.classes,
    password.contains_username; all on field "password".
    """
    reasons: list[Reason] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        reasons.append(
            Reason("password.too_short", f"密码长度不能少于{PASSWORD_MIN_LENGTH}位", "password", _CITE)
        )
    if len(password_classes(password)) < PASSWORD_MIN_CLASSES:
        reasons.append(
            Reason(
                "password.classes",
                f"密码须至少包含小写字母、大写字母、数字、其他符号中的{PASSWORD_MIN_CLASSES}类",
                "password",
                _CITE,
            )
        )
    name = username.strip()
    if len(name) >= USERNAME_MIN_LENGTH_FOR_CHECK and name.casefold() in password.casefold():
        reasons.append(Reason("password.contains_username", "密码不能包含用户名", "password", _CITE))
    return Verdict(tuple(reasons))
