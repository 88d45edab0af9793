"""The public API other MineSafe code is written against: names and signatures are fixed."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

import minesafe.rules as rules

EXPECTED_SIGNATURES = {
    "cite": "(source: 'str', section: 'str', note: 'str' = '') -> 'Citation'",
    "uscc_check_char": "(first17: 'str') -> 'str'",
    "validate_uscc": "(code: 'str', *, field: 'str' = 'uscc') -> 'Verdict'",
    "normalize_uscc": "(raw: 'str') -> 'str'",
    "make_uscc": "(registration: 'str', category: 'str', division6: 'str', org_code9: 'str') -> 'str'",
    "org_code_check_char": "(first8: 'str') -> 'str'",
    "allowed_targets": "(current: 'str') -> 'tuple[str, ...]'",
    "check_status_change": "(facts: 'StatusChangeFacts') -> 'Verdict'",
    "licence_state": ("(valid_until: 'date | None', today: 'date', warn_days: 'int' = 90) -> 'str'"),
    "days_left": "(valid_until: 'date', today: 'date') -> 'int'",
    "check_password_policy": "(password: 'str', *, username: 'str' = '') -> 'Verdict'",
    "is_locked": "(state: 'LoginState', now: 'datetime') -> 'bool'",
    "after_failure": "(state: 'LoginState', now: 'datetime') -> 'LoginState'",
    "after_success": "(state: 'LoginState') -> 'LoginState'",
    "check_mine_attributes": "(facts: 'MineFacts') -> 'Verdict'",
    "check_boundary": "(points: 'object', *, field: 'str' = 'boundary') -> 'Verdict'",
    "tailings_grade": "(dam_height_m: 'Decimal | None', capacity_10k_m3: 'Decimal | None') -> 'int | None'",
}


@pytest.mark.parametrize(("name", "signature"), sorted(EXPECTED_SIGNATURES.items()))
def test_function_signatures(name: str, signature: str) -> None:
    assert str(inspect.signature(getattr(rules, name))) == signature


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (rules.Citation, ["source", "section", "note"]),
        (rules.Reason, ["code", "message", "field", "citation"]),
        (rules.Verdict, ["reasons"]),
        (
            rules.StatusChangeFacts,
            [
                "current",
                "target",
                "reason",
                "document_no",
                "effective_date",
                "today",
                "mining_licence_valid_until",
                "safety_licence_valid_until",
                "mining_licence_required",
                "status_since",
            ],
        ),
        (rules.LoginState, ["failures", "locked_until"]),
        (
            rules.MineFacts,
            [
                "sector",
                "scale",
                "approved_capacity",
                "latitude",
                "longitude",
                "boundary",
                "gas_grade",
                "hydrogeology",
                "rock_burst",
                "spontaneous_combustion",
                "production_levels",
                "headcount_cap",
                "depth_m",
                "dam_height_m",
                "tailings_capacity",
                "tailings_grade",
                "downstream_population",
                "mining_licence_valid_until",
                "safety_licence_valid_until",
            ],
        ),
        (rules.Source, ["id", "title", "sections"]),
    ],
)
def test_frozen_dataclasses(cls: type, fields: list[str]) -> None:
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert [f.name for f in dataclasses.fields(cls)] == fields


def test_constants() -> None:
    assert rules.USCC_ALPHABET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert rules.LICENCE_WARNING_DAYS == 90
    assert rules.PASSWORD_MIN_LENGTH == 10
    assert (rules.LOCKOUT_THRESHOLD, rules.LOCKOUT_MINUTES) == (5, 15)
    assert rules.__doc__ is not None and rules.__doc__.startswith("Pure regulatory rules — no Django imports")


def test_all_is_complete_and_resolvable() -> None:
    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level
        for alias in node.names
    }
    assert imported == set(rules.__all__)
    for name in rules.__all__:
        assert hasattr(rules, name), name
