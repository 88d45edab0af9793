"""统一社会信用代码 rules — GB 32100-2015 (layout §4, check char §5) and GB 11714-1997 [U]."""

from __future__ import annotations

import pytest

from minesafe.rules.uscc import (
    ORG_CODE_WEIGHTS,
    USCC_ALPHABET,
    USCC_REGISTRATION_AUTHORITIES,
    USCC_WEIGHTS,
    make_uscc,
    normalize_uscc,
    org_code_check_char,
    uscc_check_char,
    validate_uscc,
)


def _reference_check(first17: str) -> str:
    """Independent re-statement of GB 32100-2015 §5 for cross-checking."""
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _with_check(first17: str) -> str:
    return first17 + _reference_check(first17)


# --- constants (GB 32100-2015 §5, GB 11714-1997) ---------------------------------------------


def test_alphabet_has_31_chars_without_i_o_z_s_v() -> None:
    assert len(USCC_ALPHABET) == 31
    assert len(set(USCC_ALPHABET)) == 31
    assert not set("IOZSV") & set(USCC_ALPHABET)


def test_weights_are_powers_of_three_mod_31() -> None:
    assert tuple(pow(3, i, 31) for i in range(17)) == USCC_WEIGHTS
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert ORG_CODE_WEIGHTS == (3, 7, 9, 10, 5, 8, 4, 2)


# --- GB 11714-1997 organisation code check char ------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # 1*3+2*7+3*9+4*10+5*5+6*8+7*4+8*2 = 201; 201 % 11 = 3; 11-3 = 8
        ("12345678", "8"),
        # 6*2 = 12; 12 % 11 = 1; 11-1 = 10 -> "X"
        ("00000006", "X"),
        # sum 0; 11-0 = 11 -> "0"
        ("00000000", "0"),
        # M=22, Y=34: 66 + 5 + 68 = 139; 139 % 11 = 7; 11-7 = 4
        ("M000100Y", "4"),
    ],
)
def test_org_code_check_char(body: str, expected: str) -> None:
    assert org_code_check_char(body) == expected


@pytest.mark.parametrize("bad", ["1234567", "123456789", "1234567a", "1234-567"])
def test_org_code_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        org_code_check_char(bad)


# --- GB 32100-2015 check char -------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        # 1*1 + 2*3 + 1*9 = 16; 31 - 16 = 15 -> "F"
        ("12100000000000000", "F"),
        ("91350100M000100Y4", "3"),  # example code cited in GB 32100 material
        ("91110108MA01ABCD5", "T"),
        ("52440300123456788", "N"),
        ("00000000000000000", "0"),  # (31 - 0) % 31 = 0
    ],
)
def test_uscc_check_char(first17: str, expected: str) -> None:
    assert uscc_check_char(first17) == expected
    assert _reference_check(first17) == expected


@pytest.mark.parametrize(
    "bad", ["9135010000000000", "913501000000000000", "9135010000000000I", "9135010000000000o"]
)
def test_uscc_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        uscc_check_char(bad)


# --- validate_uscc -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # GB 32100 example, verified by our own implementation
        "91110108MA01ABCD5T",
        "52440300123456788N",
        "9214050000000006XH",  # org code with check char X
        "12100000000000000F",
    ],
)
def test_valid_codes(code: str) -> None:
    assert validate_uscc(code).ok


@pytest.mark.parametrize("authority", sorted(USCC_REGISTRATION_AUTHORITIES))
def test_every_registration_authority_is_accepted(authority: str) -> None:
    assert validate_uscc(make_uscc(authority, "1", "110000", "123456788")).ok


@pytest.mark.parametrize(
    ("code", "expected_code"),
    [
        ("", "uscc.empty"),
        ("91350100m000100y43", "uscc.not_normalized"),
        (" 91350100M000100Y43", "uscc.not_normalized"),
        ("91350100M000100Y43 ", "uscc.not_normalized"),
        ("913501 00M000100Y43", "uscc.not_normalized"),
        ("91350100M000100Y4", "uscc.length"),
        ("91350100M000100Y433", "uscc.length"),
        ("91350100M000100I43", "uscc.charset"),  # I is excluded
        ("91350100M000100O43", "uscc.charset"),  # O is excluded
        ("91350100M000100Y4-", "uscc.charset"),
    ],
)
def test_format_errors_stop_early(code: str, expected_code: str) -> None:
    verdict = validate_uscc(code)
    assert verdict.codes == (expected_code,)
    assert verdict.reasons[0].field == "uscc"
    assert verdict.reasons[0].citation is not None
    assert verdict.reasons[0].citation.source == "GB 32100-2015"


def test_length_message_names_actual_length() -> None:
    assert "当前为17位" in validate_uscc("91350100M000100Y4").reasons[0].message


@pytest.mark.parametrize("authority", ["B", "C", "0", "X"])
def test_unknown_registration_authority(authority: str) -> None:
    code = _with_check(authority + "1350100M000100Y4")
    verdict = validate_uscc(code)
    assert verdict.codes == ("uscc.registration_authority",)
    assert authority in verdict.reasons[0].message


@pytest.mark.parametrize("division", ["3501A0", "K50100", "35010Y"])
def test_division_must_be_six_digits(division: str) -> None:
    code = _with_check("91" + division + "M000100Y4")
    assert validate_uscc(code).codes == ("uscc.division",)


def test_wrong_org_code_check_char_is_its_own_reason() -> None:
    code = _with_check("91350100M000100Y5")  # org code check should be 4
    verdict = validate_uscc(code)
    assert verdict.codes == ("uscc.org_code",)
    assert verdict.reasons[0].message.endswith("应为 4")
    assert verdict.reasons[0].citation is not None
    assert verdict.reasons[0].citation.source == "GB 11714-1997"


def test_wrong_check_char_names_expected_char() -> None:
    verdict = validate_uscc("91350100M000100Y44")
    assert verdict.codes == ("uscc.check_char",)
    assert verdict.reasons[0].message == "统一社会信用代码校验位错误，应为 3"


def test_independent_errors_are_all_reported() -> None:
    verdict = validate_uscc("B13501A0M000100Y50")
    assert verdict.codes == (
        "uscc.registration_authority",
        "uscc.division",
        "uscc.org_code",
        "uscc.check_char",
    )


def test_custom_field_name() -> None:
    verdict = validate_uscc("123", field="credit_code")
    assert verdict.reasons[0].field == "credit_code"


# --- normalize / make --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("  91350100m000100y43\n", "91350100M000100Y43"),
        ("9135 0100 M000 100Y 43", "91350100M000100Y43"),
        ("\u300091350100M000100Y43\t", "91350100M000100Y43"),  # full-width space
    ],
)
def test_normalize_uscc(raw: str, expected: str) -> None:
    assert normalize_uscc(raw) == expected
    assert validate_uscc(normalize_uscc(raw)).ok


def test_make_uscc_reproduces_known_code() -> None:
    assert make_uscc("9", "1", "350100", "M000100Y4") == "91350100M000100Y43"
    assert make_uscc("9", "1", "110108", "MA01ABCD5") == "91110108MA01ABCD5T"


@pytest.mark.parametrize(
    ("registration", "category", "division6", "org_code9"),
    [
        ("B", "1", "350100", "M000100Y4"),  # unknown authority
        ("9", "I", "350100", "M000100Y4"),  # category not in alphabet
        ("9", "11", "350100", "M000100Y4"),  # category must be one char
        ("9", "1", "35010", "M000100Y4"),  # five digits
        ("9", "1", "35010A", "M000100Y4"),  # not digits
        ("9", "1", "350100", "M000100Y5"),  # wrong GB 11714 check char
        ("9", "1", "350100", "M000100Y"),  # too short
    ],
)
def test_make_uscc_rejects_bad_parts(
    registration: str, category: str, division6: str, org_code9: str
) -> None:
    with pytest.raises(ValueError):
        make_uscc(registration, category, division6, org_code9)
