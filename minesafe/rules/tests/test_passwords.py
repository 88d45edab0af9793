"""Password policy (minesafe.rules.passwords) — GB/T 22239-2019 8.1.4.1 a) [U]; numbers are policy."""

from __future__ import annotations

import pytest

from minesafe.rules.passwords import PASSWORD_MIN_LENGTH, check_password_policy, password_classes


def test_minimum_length_is_10() -> None:
    assert PASSWORD_MIN_LENGTH == 10


@pytest.mark.parametrize(
    ("password", "username", "expected"),
    [
        ("Abcdefgh1!", "", ()),  # exactly 10 chars, 4 classes
        ("abcdefgh1!", "", ()),  # lower + digit + other
        ("ABCDEFGH1!", "", ()),  # upper + digit + other
        ("Abcdefghij1", "", ()),  # lower + upper + digit
        ("中文密码中文密码12a", "", ()),  # CJK counts as "other"
        ("Abcdefg1!", "", ("password.too_short",)),  # 9 chars
        ("abcdefghij1", "", ("password.classes",)),  # 2 classes
        ("abcdefghijk", "", ("password.classes",)),  # 1 class
        ("1234567890", "", ("password.classes",)),
        ("", "", ("password.too_short", "password.classes")),
        ("Abc1!", "", ("password.too_short",)),
        ("Zhangsan2024!", "zhangsan", ("password.contains_username",)),  # case-insensitive
        ("xxZHANGSANxx1!", "ZhangSan", ("password.contains_username",)),
        ("abC1!zhangsan", " zhangsan ", ("password.contains_username",)),  # username stripped
        ("abCDEF123!", "abc", ("password.contains_username",)),  # 3-char username is checked
        ("abCDEF123!", "ab", ()),  # 2-char username is not
        ("Abcdefgh1!", "wangwu", ()),
    ],
)
def test_password_policy(password: str, username: str, expected: tuple[str, ...]) -> None:
    verdict = check_password_policy(password, username=username)
    assert verdict.codes == expected
    assert all(r.field == "password" for r in verdict.reasons)
    for reason in verdict.reasons:
        assert reason.citation is not None and reason.citation.source == "GB/T 22239-2019"


def test_messages_are_chinese() -> None:
    verdict = check_password_policy("short")
    assert verdict.field_errors() == {
        "password": [
            "密码长度不能少于10位",
            "密码须至少包含小写字母、大写字母、数字、其他符号中的3类",
        ]
    }


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("aZ9!", {"lower", "upper", "digit", "other"}),
        ("abc", {"lower"}),
        ("密码", {"other"}),
        ("ａ１", {"other"}),  # full-width letters/digits are not ASCII classes
    ],
)
def test_password_classes(password: str, classes: set[str]) -> None:
    assert password_classes(password) == classes
