"""Whistle-blower reports and rewards: DOMAIN §6, seed-004 三(七) 第33项 / 一(二) 目标7, seed-002 三."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date, timedelta
from decimal import Decimal

import pytest

from minesafe.rules import tipoffs as tp
from minesafe.rules.sources import cite
from minesafe.rules.tipoffs import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    DEADLINE_CITATIONS,
    DEFAULT_POLICY,
    DISPOSAL_CITATION,
    DISPOSAL_TARGET,
    GRADE_LABELS,
    REWARD_SCHEDULES,
    RULE_VERSION,
    STATUS_LABELS,
    TRANSITIONS,
    AccidentGrade,
    Action,
    Category,
    DeadlinePolicy,
    Reward,
    RewardSchedule,
    Status,
    accept_due,
    allowed_actions,
    answer_due,
    check_action,
    check_extension,
    counts_as_accepted,
    disposal_rate,
    handling_due,
    is_disposed,
    next_status,
    overdue_flags,
    replay_reward,
    reward_for,
    schedule_for,
)

DAY = date(2024, 6, 1)


def _reward(**overrides: object) -> Reward:
    args: dict[str, object] = {
        "category": "major_hazard",
        "verified_true": True,
        "first_reporter": True,
        "fine_amount": Decimal("50000"),
        "accident_grade": None,
        "concealed_deaths": 0,
        "decided_on": DAY,
    }
    args.update(overrides)
    return reward_for(**args)  # type: ignore[arg-type]


# --- the fixed interface -------------------------------------------------------------------

EXPECTED_SIGNATURES = {
    "schedule_for": "(on: 'date') -> 'RewardSchedule'",
    "reward_for": (
        "(*, category: 'str', verified_true: 'bool', first_reporter: 'bool', fine_amount: 'Decimal | None', "
        "accident_grade: 'str | None', concealed_deaths: 'int', decided_on: 'date') -> 'Reward'"
    ),
    "accept_due": "(received_on: 'date', policy: 'DeadlinePolicy') -> 'date'",
    "handling_due": "(accepted_on: 'date', extension_days: 'int', policy: 'DeadlinePolicy') -> 'date'",
    "answer_due": "(verified_on: 'date', policy: 'DeadlinePolicy') -> 'date'",
    "check_extension": "(*, days: 'int', already_extended: 'int', policy: 'DeadlinePolicy') -> 'Verdict'",
    "overdue_flags": (
        "(*, status: 'str', today: 'date', accept_due: 'date | None', handling_due: 'date | None', "
        "answer_due: 'date | None') -> 'frozenset[str]'"
    ),
    "check_action": "(status: 'str', action: 'str', *, verified_true: 'bool | None' = None) -> 'Verdict'",
    "next_status": "(status: 'str', action: 'str', *, verified_true: 'bool | None' = None) -> 'str'",
    "is_disposed": "(status: 'str', verified_true: 'bool | None') -> 'bool'",
    "disposal_rate": "(disposed: 'int', due: 'int') -> 'Decimal | None'",
}


@pytest.mark.parametrize(("name", "signature"), sorted(EXPECTED_SIGNATURES.items()))
def test_function_signatures(name: str, signature: str) -> None:
    assert str(inspect.signature(getattr(tp, name))) == signature


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (
            RewardSchedule,
            ["version", "effective_from", "rate", "minimum", "maximum", "per_death", "concealment_cap", "citation"],
        ),
        (Reward, ["amount", "basis", "code", "message", "rule_version", "citation", "details"]),
        (DeadlinePolicy, ["accept_days", "handling_days", "extension_max_days", "answer_days"]),
    ],
)
def test_frozen_dataclasses(cls: type, fields: list[str]) -> None:
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert [f.name for f in dataclasses.fields(cls)] == fields


def test_enum_values() -> None:
    assert RULE_VERSION == "tipoffs-2024.1"
    assert [c.value for c in Category] == [
        "major_hazard",
        "illegal_production",
        "concealed_accident",
        "hidden_face",
        "monitoring_falsified",
        "illegal_subcontracting",
        "other",
    ]
    assert [g.value for g in AccidentGrade] == ["general", "larger", "major", "extraordinary"]
    assert [s.value for s in Status] == [
        "received",
        "accepted",
        "declined",
        "verifying",
        "verified",
        "handled",
        "answered",
        "reward_decided",
        "closed",
        "merged",
    ]
    assert [a.value for a in Action] == [
        "accept",
        "decline",
        "assign",
        "verify",
        "handle",
        "answer",
        "decide_reward",
        "record_payment",
        "close",
        "merge",
        "extend",
        "add_information",
    ]
    assert Status.RECEIVED == "received"  # StrEnum: compares equal to the stored string


@pytest.mark.parametrize(
    ("labels", "enum"),
    [(CATEGORY_LABELS, Category), (GRADE_LABELS, AccidentGrade), (STATUS_LABELS, Status), (ACTION_LABELS, Action)],
)
def test_every_member_has_a_label(labels: dict, enum: type) -> None:
    assert set(labels) == set(enum)
    assert all(member.label == labels[member] for member in enum)
    assert len(set(labels.values())) == len(labels)


def test_grade_labels() -> None:
    assert [g.label for g in AccidentGrade] == ["一般", "较大", "重大", "特别重大"]


# --- reward schedules ----------------------------------------------------------------------


def test_2018_schedule() -> None:
    (schedule,) = REWARD_SCHEDULES
    assert schedule.version == "2018.1"
    assert schedule.effective_from == date(2018, 1, 1)
    assert schedule.rate == Decimal("0.15")
    assert (schedule.minimum, schedule.maximum) == (Decimal("3000"), Decimal("300000"))
    assert dict(schedule.per_death) == {
        AccidentGrade.GENERAL: Decimal("30000"),
        AccidentGrade.LARGER: Decimal("40000"),
        AccidentGrade.MAJOR: Decimal("50000"),
        AccidentGrade.EXTRAORDINARY: Decimal("60000"),
    }
    assert schedule.concealment_cap == Decimal("300000")
    assert schedule.citation.source == "DOMAIN" and schedule.citation.section == "§6"
    assert dataclasses.asdict(schedule)["per_death"]["general"] == Decimal("30000")  # serialisable for display


def test_schedules_have_unique_versions_and_cover_every_grade() -> None:
    assert len({s.version for s in REWARD_SCHEDULES}) == len(REWARD_SCHEDULES)
    assert len({s.effective_from for s in REWARD_SCHEDULES}) == len(REWARD_SCHEDULES)
    for schedule in REWARD_SCHEDULES:
        assert set(schedule.per_death) == set(AccidentGrade)
        assert schedule.minimum <= schedule.maximum


@pytest.mark.parametrize("on", [date(2018, 1, 1), date(2018, 1, 2), date(2024, 6, 1), date(2099, 12, 31)])
def test_schedule_for_on_and_after_effective_date(on: date) -> None:
    assert schedule_for(on).version == "2018.1"


@pytest.mark.parametrize("on", [date(2017, 12, 31), date(2012, 6, 1)])
def test_schedule_for_before_first_schedule(on: date) -> None:
    with pytest.raises(LookupError):
        schedule_for(on)


def test_schedule_for_picks_the_newest_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    (old,) = REWARD_SCHEDULES
    new = dataclasses.replace(old, version="2026.1", effective_from=date(2026, 3, 1), rate=Decimal("0.2"))
    monkeypatch.setattr(tp, "REWARD_SCHEDULES", (new, old))  # order in the tuple does not matter
    assert schedule_for(date(2026, 2, 28)).version == "2018.1"
    assert schedule_for(date(2026, 3, 1)).version == "2026.1"
    reward = _reward(decided_on=date(2026, 3, 1))
    assert (reward.amount, reward.rule_version) == (Decimal("10000"), "2026.1")
    assert reward.message.startswith("罚款 50,000 元 × 20% = 10,000 元")


# --- rewards: fine basis -------------------------------------------------------------------


def test_fine_reward_example() -> None:
    reward = _reward()
    assert reward.amount == Decimal("7500")
    assert (reward.basis, reward.code, reward.rule_version) == ("fine", "reward.fine", "2018.1")
    assert reward.message == "罚款 50,000 元 × 15% = 7,500 元"
    assert reward.citation.source == "DOMAIN" and reward.citation.section == "§6"
    assert reward.details["raw_amount"] == "7500.00"
    assert reward.details["amount"] == "7500"
    assert reward.details["clamped"] == ""


@pytest.mark.parametrize(
    ("fine", "expected", "clamped"),
    [
        (None, "3000", "minimum"),
        ("0", "3000", "minimum"),
        ("1", "3000", "minimum"),
        ("10000", "3000", "minimum"),
        ("19999", "3000", ""),  # 2,999.85 → 3,000 by rounding, so not below the minimum
        ("19996", "3000", "minimum"),  # 2,999.40 → 2,999 → minimum
        ("20000", "3000", ""),  # exactly the minimum
        ("20003", "3000", ""),  # 3,000.45 rounds down
        ("20003.34", "3001", ""),  # 3,000.501 rounds up
        ("20010", "3002", ""),  # 3,001.50: half up
        ("20016.66", "3002", ""),  # 3,002.499 rounds down
        ("2000000", "300000", ""),  # exactly the maximum
        ("2000003.34", "300000", "maximum"),  # 300,000.501 → 300,001 → capped
        ("2000003.33", "300000", ""),  # 300,000.4995 → 300,000
        ("100000000", "300000", "maximum"),
    ],
)
def test_fine_reward_boundaries(fine: str | None, expected: str, clamped: str) -> None:
    reward = _reward(fine_amount=None if fine is None else Decimal(fine))
    assert reward.amount == Decimal(expected)
    assert reward.amount.as_tuple().exponent == 0  # whole yuan
    assert reward.details["clamped"] == clamped
    assert reward.basis == "fine"


def test_fine_reward_messages() -> None:
    assert _reward(fine_amount=Decimal("10000")).message == (
        "罚款 10,000 元 × 15% = 1,500 元，低于最低奖励 3,000 元，按 3,000 元奖励"
    )
    assert _reward(fine_amount=Decimal("3000000")).message == (
        "罚款 3,000,000 元 × 15% = 450,000 元，超过最高奖励 300,000 元，按 300,000 元奖励"
    )
    assert _reward(fine_amount=Decimal("20003")).message == (
        "罚款 20,003 元 × 15% = 3,000.45 元，按整元四舍五入为 3,000 元"
    )
    assert _reward(fine_amount=Decimal("20003.5")).message == (
        "罚款 20,003.50 元 × 15% = 3,000.525 元，按整元四舍五入为 3,001 元"
    )
    assert _reward(fine_amount=None).message.startswith("未处以罚款（按 0 元计）：罚款 0 元 × 15% = 0 元")
    assert _reward(fine_amount=Decimal("50000.00")).message == "罚款 50,000 元 × 15% = 7,500 元"


def test_int_fine_is_accepted() -> None:
    assert _reward(fine_amount=50000).amount == Decimal("7500")


@pytest.mark.parametrize("category", [c for c in Category if c is not Category.CONCEALED_ACCIDENT])
def test_every_other_category_is_rewarded_by_fine(category: Category) -> None:
    reward = _reward(category=category.value, accident_grade="major", concealed_deaths=3)  # deaths ignored
    assert (reward.basis, reward.amount) == ("fine", Decimal("7500"))
    assert reward.citation == tp._C_REWARD_FINE


# --- rewards: concealment basis ------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "per_death", "label"),
    [
        ("general", 30000, "一般"),
        ("larger", 40000, "较大"),
        ("major", 50000, "重大"),
        ("extraordinary", 60000, "特别重大"),
    ],
)
def test_concealment_per_death_each_grade(grade: str, per_death: int, label: str) -> None:
    reward = _reward(category="concealed_accident", accident_grade=grade, concealed_deaths=2, fine_amount=None)
    assert reward.amount == Decimal(per_death * 2)
    assert (reward.basis, reward.code) == ("concealment", "reward.concealment")
    assert reward.message == (
        f"瞒报谎报{label}事故，查实瞒报谎报死亡 2 人 × {per_death:,} 元/人 = {per_death * 2:,} 元"
    )
    assert reward.details["per_death"] == str(per_death)
    assert reward.details["capped"] == "false"


@pytest.mark.parametrize(
    ("grade", "deaths", "expected", "capped"),
    [
        ("general", 10, 300000, False),  # exactly the cap
        ("general", 11, 300000, True),
        ("larger", 7, 280000, False),
        ("larger", 8, 300000, True),
        ("major", 6, 300000, False),
        ("major", 7, 300000, True),
        ("extraordinary", 5, 300000, False),
        ("extraordinary", 6, 300000, True),
        ("extraordinary", 40, 300000, True),
        ("general", 1, 30000, False),
    ],
)
def test_concealment_cap(grade: str, deaths: int, expected: int, capped: bool) -> None:
    reward = _reward(category="concealed_accident", accident_grade=grade, concealed_deaths=deaths)
    assert reward.amount == Decimal(expected)
    assert reward.details["capped"] == ("true" if capped else "false")
    assert ("超过最高奖励 300,000 元，按 300,000 元奖励" in reward.message) is capped


def test_concealment_ignores_the_fine() -> None:
    reward = _reward(
        category="concealed_accident", accident_grade="general", concealed_deaths=1, fine_amount=Decimal("9000000")
    )
    assert reward.amount == Decimal("30000")
    assert reward.details["fine_amount"] == "9000000"


def test_concealment_without_deaths_falls_back_to_fine_and_says_unverified() -> None:
    reward = _reward(category="concealed_accident", accident_grade="larger", concealed_deaths=0)
    assert (reward.basis, reward.code, reward.amount) == ("fine", "reward.fine", Decimal("7500"))
    assert reward.message.startswith("瞒报谎报事故未查实瞒报谎报死亡人数，按罚款比例计奖：罚款 50,000 元")
    assert "[U]" in reward.citation.note
    # no grade is needed without deaths
    assert _reward(category="concealed_accident", accident_grade=None, fine_amount=None).amount == Decimal("3000")


# --- rewards: no reward --------------------------------------------------------------------


def test_not_verified_true_gets_nothing() -> None:
    reward = _reward(verified_true=False, first_reporter=False)  # not verified wins
    assert (reward.amount, reward.basis, reward.code) == (Decimal("0"), "none", "reward.not_verified")
    assert reward.rule_version == "2018.1"
    assert reward.details["amount"] == "0"
    assert "未经核查属实" in reward.message


def test_not_first_reporter_gets_nothing() -> None:
    reward = _reward(first_reporter=False, category="concealed_accident", accident_grade="major", concealed_deaths=3)
    assert (reward.amount, reward.basis, reward.code) == (Decimal("0"), "none", "reward.not_first_reporter")
    assert "最先举报人" in reward.message
    assert "[U]" in reward.citation.note  # 2018 version of the rule unverified
    assert "2012" in reward.citation.note


# --- rewards: programming errors -----------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"fine_amount": Decimal("-1")},
        {"fine_amount": Decimal("NaN")},
        {"fine_amount": Decimal("Infinity")},
        {"fine_amount": 1.5},
        {"fine_amount": True},
        {"concealed_deaths": -1},
        {"concealed_deaths": 1.0},
        {"category": "unknown"},
        {"category": ""},
        {"accident_grade": "catastrophic"},
        {"category": "concealed_accident", "concealed_deaths": 1, "accident_grade": None},
        # validated whatever the outcome
        {"verified_true": False, "fine_amount": Decimal("-5")},
        {"verified_true": False, "category": "concealed_accident", "concealed_deaths": 2},
    ],
)
def test_reward_programming_errors(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _reward(**overrides)


def test_reward_before_first_schedule() -> None:
    with pytest.raises(LookupError):
        _reward(decided_on=date(2017, 12, 31))


# --- rewards: details and replay -----------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"fine_amount": None},
        {"fine_amount": Decimal("20003.5")},
        {"fine_amount": 12345},
        {"verified_true": False},
        {"first_reporter": False},
        {"category": "concealed_accident", "accident_grade": "larger", "concealed_deaths": 9},
        {"category": "concealed_accident", "accident_grade": None, "concealed_deaths": 0},
        {"category": "other", "accident_grade": "general"},
    ],
)
def test_details_are_strings_and_replay(overrides: dict[str, object]) -> None:
    reward = _reward(**overrides)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in reward.details.items())
    for key in ("category", "verified_true", "first_reporter", "fine_amount", "accident_grade",
                "concealed_deaths", "decided_on", "schedule_version", "amount"):
        assert key in reward.details
    assert reward.details["decided_on"] == DAY.isoformat()
    assert reward.details["amount"] == str(reward.amount)
    assert replay_reward(dict(reward.details)) == reward


def test_replay_rejects_malformed_details() -> None:
    details = dict(_reward().details)
    with pytest.raises(ValueError):
        replay_reward({**details, "verified_true": "yes"})
    with pytest.raises(KeyError):
        replay_reward({k: v for k, v in details.items() if k != "category"})


# --- deadlines -----------------------------------------------------------------------------


def test_default_policy() -> None:
    policy = DEFAULT_POLICY
    assert (policy.accept_days, policy.handling_days, policy.extension_max_days, policy.answer_days) == (15, 60, 30, 10)
    assert DeadlinePolicy() == policy


@pytest.mark.parametrize(
    "kwargs",
    [{"accept_days": 0}, {"handling_days": -1}, {"answer_days": 0}, {"extension_max_days": -1}, {"accept_days": 1.5}],
)
def test_policy_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DeadlinePolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_allows_no_extension() -> None:
    assert DeadlinePolicy(extension_max_days=0).extension_max_days == 0


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2024, 2, 14), date(2024, 2, 29)),  # leap year
        (date(2023, 2, 14), date(2023, 3, 1)),
        (date(2024, 1, 31), date(2024, 2, 15)),
        (date(2024, 12, 20), date(2025, 1, 4)),  # year end
        (date(2024, 4, 30), date(2024, 5, 15)),
    ],
)
def test_accept_due(received: date, due: date) -> None:
    assert accept_due(received, DEFAULT_POLICY) == due


@pytest.mark.parametrize(
    ("accepted", "extension", "due"),
    [
        (date(2024, 12, 31), 0, date(2025, 3, 1)),
        (date(2023, 12, 31), 0, date(2024, 2, 29)),  # leap year
        (date(2024, 1, 31), 0, date(2024, 3, 31)),
        (date(2024, 1, 31), 30, date(2024, 4, 30)),
        (date(2024, 1, 31), 1, date(2024, 4, 1)),
        (date(2024, 11, 1), 0, date(2024, 12, 31)),
    ],
)
def test_handling_due(accepted: date, extension: int, due: date) -> None:
    assert handling_due(accepted, extension, DEFAULT_POLICY) == due


@pytest.mark.parametrize("extension", [-1, 31])
def test_handling_due_rejects_bad_extension(extension: int) -> None:
    with pytest.raises(ValueError):
        handling_due(DAY, extension, DEFAULT_POLICY)


@pytest.mark.parametrize(
    ("verified", "due"),
    [
        (date(2024, 2, 20), date(2024, 3, 1)),
        (date(2023, 2, 20), date(2023, 3, 2)),
        (date(2024, 2, 19), date(2024, 2, 29)),
        (date(2024, 12, 25), date(2025, 1, 4)),
    ],
)
def test_answer_due(verified: date, due: date) -> None:
    assert answer_due(verified, DEFAULT_POLICY) == due


def test_deadlines_follow_the_policy() -> None:
    policy = DeadlinePolicy(accept_days=7, handling_days=30, extension_max_days=15, answer_days=5)
    assert accept_due(DAY, policy) == DAY + timedelta(days=7)
    assert handling_due(DAY, 15, policy) == DAY + timedelta(days=45)
    assert answer_due(DAY, policy) == DAY + timedelta(days=5)
    with pytest.raises(ValueError):
        handling_due(DAY, 16, policy)


def test_deadline_citations() -> None:
    assert set(DEADLINE_CITATIONS) == {"accept", "handle", "extension", "answer", "day_count"}
    assert "[U]" in DEADLINE_CITATIONS["accept"].note  # platform policy, not a regulatory figure
    assert "60日" in DEADLINE_CITATIONS["handle"].note and "[U]" in DEADLINE_CITATIONS["handle"].note
    assert "10日" in DEADLINE_CITATIONS["answer"].note


# --- extensions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "already", "codes"),
    [
        (1, 0, ()),
        (30, 0, ()),
        (31, 0, ("tipoff.extension.too_long",)),
        (0, 0, ("tipoff.extension.days_min",)),
        (-3, 0, ("tipoff.extension.days_min",)),
        (10, 20, ()),  # a second extension within the remaining total
        (11, 20, ("tipoff.extension.too_long",)),
        (1, 29, ()),
        (2, 29, ("tipoff.extension.too_long",)),
        (1, 30, ("tipoff.extension.exhausted",)),
        (0, 30, ("tipoff.extension.exhausted",)),
        (1, 45, ("tipoff.extension.exhausted",)),  # more than today's maximum (older policy)
    ],
)
def test_check_extension(days: int, already: int, codes: tuple[str, ...]) -> None:
    verdict = check_extension(days=days, already_extended=already, policy=DEFAULT_POLICY)
    assert verdict.codes == codes
    assert all(r.field == "days" and r.citation is not None for r in verdict.reasons)


def test_check_extension_messages() -> None:
    (reason,) = check_extension(days=11, already_extended=20, policy=DEFAULT_POLICY).reasons
    assert reason.message == "延期天数不得超过 10 天（延长期限合计不超过 30 天，已延期 20 天）"
    (reason,) = check_extension(days=5, already_extended=30, policy=DEFAULT_POLICY).reasons
    assert "不能再延期" in reason.message


def test_check_extension_with_no_extension_policy() -> None:
    verdict = check_extension(days=1, already_extended=0, policy=DeadlinePolicy(extension_max_days=0))
    assert verdict.codes == ("tipoff.extension.exhausted",)


@pytest.mark.parametrize(("days", "already"), [(1, -1), (1.5, 0), (True, 0)])
def test_check_extension_programming_errors(days: object, already: object) -> None:
    with pytest.raises(ValueError):
        check_extension(days=days, already_extended=already, policy=DEFAULT_POLICY)  # type: ignore[arg-type]


# --- overdue -------------------------------------------------------------------------------

DUE = date(2024, 2, 29)


def _flags(status: str, today: date, **dues: date | None) -> frozenset[str]:
    kwargs = {"accept_due": None, "handling_due": None, "answer_due": None} | dues
    return overdue_flags(status=status, today=today, **kwargs)


def test_accept_overdue_from_the_day_after() -> None:
    assert _flags("received", DUE, accept_due=DUE) == frozenset()
    assert _flags("received", DUE + timedelta(days=1), accept_due=DUE) == {"accept"}
    assert _flags("received", DUE - timedelta(days=1), accept_due=DUE) == frozenset()


@pytest.mark.parametrize("status", ["accepted", "verifying", "verified"])
def test_handle_overdue_from_the_day_after(status: str) -> None:
    assert _flags(status, DUE, handling_due=DUE) == frozenset()
    assert _flags(status, date(2024, 3, 1), handling_due=DUE) == {"handle"}


@pytest.mark.parametrize("status", ["verified", "handled"])
def test_answer_overdue_from_the_day_after(status: str) -> None:
    assert _flags(status, DUE, answer_due=DUE) == frozenset()
    assert _flags(status, date(2024, 3, 1), answer_due=DUE) == {"answer"}


def test_verified_can_be_overdue_twice() -> None:
    late = date(2024, 3, 1)
    assert _flags("verified", late, handling_due=DUE, answer_due=DUE, accept_due=DUE) == {"handle", "answer"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("received", {"accept"}),
        ("accepted", {"handle"}),
        ("declined", set()),
        ("verifying", {"handle"}),
        ("verified", {"handle", "answer"}),
        ("handled", {"answer"}),
        ("answered", set()),
        ("reward_decided", set()),
        ("closed", set()),
        ("merged", set()),
    ],
)
def test_overdue_by_status_with_every_due_date_past(status: str, expected: set[str]) -> None:
    late = date(2030, 1, 1)
    assert _flags(status, late, accept_due=DUE, handling_due=DUE, answer_due=DUE) == expected


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_no_due_date_no_flag(status: str) -> None:
    assert _flags(status, date(2030, 1, 1)) == frozenset()


def test_overdue_unknown_status() -> None:
    with pytest.raises(ValueError):
        _flags("lost", DUE)


# --- lifecycle: the whole table against an independent expectation -------------------------


def _expected_next(status: Status, action: Action, vt: bool | None) -> Status | None:
    """Written from the brief, independently of TRANSITIONS: the next status, or None if refused."""
    s, a = Status, Action
    if action is a.ACCEPT:
        return s.ACCEPTED if status is s.RECEIVED else None
    if action is a.DECLINE:
        return s.DECLINED if status is s.RECEIVED else None
    if action is a.MERGE:
        return s.MERGED if status in (s.RECEIVED, s.ACCEPTED, s.VERIFYING) else None
    if action is a.ASSIGN:
        return s.VERIFYING if status in (s.ACCEPTED, s.VERIFYING) else None
    if action is a.VERIFY:
        return s.VERIFIED if status is s.VERIFYING else None
    if action is a.HANDLE:
        return s.HANDLED if status is s.VERIFIED and vt is True else None
    if action is a.ANSWER:
        ok = status in (s.HANDLED, s.DECLINED) or (status is s.VERIFIED and vt is False)
        return s.ANSWERED if ok else None
    if action is a.DECIDE_REWARD:
        return s.REWARD_DECIDED if status is s.ANSWERED and vt is True else None
    if action is a.RECORD_PAYMENT:
        return status if status is s.REWARD_DECIDED else None
    if action is a.CLOSE:
        ok = (status is s.ANSWERED and vt is not True) or status is s.REWARD_DECIDED
        return s.CLOSED if ok else None
    if action is a.EXTEND:
        return status if status in (s.ACCEPTED, s.VERIFYING, s.VERIFIED) else None
    if action is a.ADD_INFORMATION:
        return status if status not in (s.CLOSED, s.MERGED) else None
    raise AssertionError(action)


TABLE = [(s, a, vt) for s in Status for a in Action for vt in (None, True, False)]


@pytest.mark.parametrize(("status", "action", "vt"), TABLE, ids=lambda v: str(v))
def test_whole_transition_table(status: Status, action: Action, vt: bool | None) -> None:
    expected = _expected_next(status, action, vt)
    verdict = check_action(status.value, action.value, verified_true=vt)
    assert verdict.ok is (expected is not None)
    assert (action in allowed_actions(status.value, verified_true=vt)) is (expected is not None)
    if expected is None:
        (reason,) = verdict.reasons
        assert (reason.code, reason.field) == ("tipoff.action_not_allowed", "action")
        assert reason.citation == tp.WORKFLOW_CITATION
        with pytest.raises(ValueError):
            next_status(status.value, action.value, verified_true=vt)
    else:
        assert next_status(status.value, action.value, verified_true=vt) == expected
        assert isinstance(next_status(status, action, verified_true=vt), str)


def test_table_size() -> None:
    allowed = [row for row in TABLE if _expected_next(*row) is not None]
    assert len(allowed) == sum(
        1 for s, a, vt in TABLE if check_action(s, a, verified_true=vt).ok
    )
    assert set(TRANSITIONS) == set(Status)
    assert TRANSITIONS[Status.CLOSED] == {} and TRANSITIONS[Status.MERGED] == {}


@pytest.mark.parametrize(
    ("status", "action", "vt", "expected"),
    [
        ("received", "accept", None, "accepted"),
        ("received", "decline", None, "declined"),
        ("received", "merge", None, "merged"),
        ("accepted", "merge", None, "merged"),
        ("verifying", "merge", None, "merged"),
        ("accepted", "assign", None, "verifying"),
        ("verifying", "assign", None, "verifying"),  # re-assign
        ("verifying", "verify", None, "verified"),
        ("verifying", "verify", True, "verified"),
        ("verified", "handle", True, "handled"),
        ("handled", "answer", True, "answered"),
        ("verified", "answer", False, "answered"),
        ("declined", "answer", None, "answered"),
        ("answered", "decide_reward", True, "reward_decided"),
        ("reward_decided", "record_payment", True, "reward_decided"),
        ("reward_decided", "close", True, "closed"),
        ("answered", "close", False, "closed"),
        ("answered", "close", None, "closed"),
        ("accepted", "extend", None, "accepted"),
        ("verifying", "extend", None, "verifying"),
        ("verified", "extend", True, "verified"),
        ("received", "add_information", None, "received"),
        ("declined", "add_information", None, "declined"),
        ("reward_decided", "add_information", True, "reward_decided"),
    ],
)
def test_allowed_transitions_spelled_out(status: str, action: str, vt: bool | None, expected: str) -> None:
    assert check_action(status, action, verified_true=vt).ok
    assert next_status(status, action, verified_true=vt) == expected


@pytest.mark.parametrize(
    ("status", "action", "vt"),
    [
        ("received", "verify", None),
        ("received", "handle", True),
        ("accepted", "accept", None),
        ("declined", "accept", None),
        ("verified", "merge", True),  # too late to merge once verified
        ("verified", "handle", False),
        ("verified", "handle", None),
        ("verified", "answer", True),  # a true report is handled first
        ("verified", "answer", None),
        ("answered", "decide_reward", False),
        ("answered", "decide_reward", None),
        ("answered", "close", True),  # a true report needs a reward decision first
        ("handled", "close", True),
        ("answered", "record_payment", True),
        ("received", "extend", None),
        ("handled", "extend", True),
        ("closed", "add_information", True),
        ("merged", "add_information", None),
        ("closed", "answer", False),
        ("merged", "accept", None),
    ],
)
def test_refused_transitions_sample(status: str, action: str, vt: bool | None) -> None:
    assert check_action(status, action, verified_true=vt).codes == ("tipoff.action_not_allowed",)


def test_refusal_messages_say_what_is_allowed() -> None:
    (reason,) = check_action("verified", "handle", verified_true=False).reasons
    assert reason.message == "举报处于“已核查”状态（核查不属实），不能处置；当前可以：答复举报人、延期、补充举报材料"
    (reason,) = check_action("received", "verify").reasons
    assert reason.message == (
        "举报处于“已接收”状态，不能记录核查结果；当前可以：受理、不予受理、合并重复举报、补充举报材料"
    )
    (reason,) = check_action("answered", "close", verified_true=True).reasons
    assert "（核查属实）" in reason.message and "决定奖励" in reason.message
    (reason,) = check_action("verified", "answer").reasons
    assert "（无核查结果）" in reason.message
    (reason,) = check_action("closed", "add_information").reasons
    assert reason.message == "举报已办结，不能再补充举报材料"
    (reason,) = check_action("merged", "answer").reasons
    assert reason.message.startswith("举报已合并到其他举报")


def test_unknown_status_or_action() -> None:
    assert check_action("lost", "accept").codes == ("tipoff.unknown_status",)
    assert check_action("received", "explode").codes == ("tipoff.unknown_action",)
    with pytest.raises(ValueError):
        next_status("lost", "accept")
    with pytest.raises(ValueError):
        next_status("received", "explode")
    with pytest.raises(ValueError):
        allowed_actions("lost")


def test_allowed_actions_order_and_terminals() -> None:
    assert allowed_actions("received") == (Action.ACCEPT, Action.DECLINE, Action.MERGE, Action.ADD_INFORMATION)
    assert allowed_actions("verified", verified_true=True) == (Action.HANDLE, Action.EXTEND, Action.ADD_INFORMATION)
    assert allowed_actions("closed") == ()
    assert allowed_actions("merged", verified_true=True) == ()


def test_happy_paths_end_closed() -> None:
    def run(steps: list[tuple[str, bool | None]]) -> str:
        status = "received"
        for action, vt in steps:
            status = next_status(status, action, verified_true=vt)
        return status

    true_path = [("accept", None), ("assign", None), ("verify", None), ("handle", True), ("answer", True),
                 ("decide_reward", True), ("record_payment", True), ("close", True)]
    false_path = [("accept", None), ("assign", None), ("verify", None), ("answer", False), ("close", False)]
    declined_path = [("decline", None), ("answer", None), ("close", None)]
    assert run(true_path) == run(false_path) == run(declined_path) == "closed"


# --- 核查处置率 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "vt", "disposed", "accepted"),
    [
        ("received", None, False, False),
        ("declined", None, False, False),
        ("merged", None, False, False),
        ("accepted", None, False, True),
        ("verifying", None, False, True),
        ("verified", None, False, True),
        ("verified", False, True, True),
        ("verified", True, False, True),  # true but not yet handled
        ("handled", True, True, True),
        ("answered", True, True, True),
        ("answered", False, True, True),
        ("answered", None, False, False),  # declined and answered
        ("reward_decided", True, True, True),
        ("closed", True, True, True),
        ("closed", False, True, True),
        ("closed", None, False, False),  # declined and closed
    ],
)
def test_is_disposed_and_counts_as_accepted(status: str, vt: bool | None, disposed: bool, accepted: bool) -> None:
    assert is_disposed(status, vt) is disposed
    assert counts_as_accepted(status, vt) is accepted
    assert not disposed or accepted  # disposed reports are always in the denominator


def test_disposed_unknown_status() -> None:
    with pytest.raises(ValueError):
        is_disposed("lost", True)
    with pytest.raises(ValueError):
        counts_as_accepted("lost", True)


@pytest.mark.parametrize(
    ("disposed", "due", "expected"),
    [
        (0, 0, None),
        (0, 5, Decimal("0.0000")),
        (5, 5, Decimal("1.0000")),
        (2, 3, Decimal("0.6666")),  # rounded down
        (1, 3, Decimal("0.3333")),
        (1, 8, Decimal("0.1250")),
        (9999, 10000, Decimal("0.9999")),
        (99999, 100000, Decimal("0.9999")),  # never shows 100% unless all are disposed
    ],
)
def test_disposal_rate(disposed: int, due: int, expected: Decimal | None) -> None:
    rate = disposal_rate(disposed, due)
    assert rate == expected
    if rate is not None:
        assert rate.as_tuple().exponent == -4
        assert (rate >= DISPOSAL_TARGET) is (disposed == due)


@pytest.mark.parametrize(("disposed", "due"), [(6, 5), (-1, 5), (1, -1), (1, 0), (True, 1), (1.0, 2)])
def test_disposal_rate_programming_errors(disposed: object, due: object) -> None:
    with pytest.raises(ValueError):
        disposal_rate(disposed, due)  # type: ignore[arg-type]


def test_disposal_target_and_citation() -> None:
    assert Decimal("1") == DISPOSAL_TARGET
    assert cite("seed-004", "一(二)", DISPOSAL_CITATION.note) == DISPOSAL_CITATION
    assert "100%" in DISPOSAL_CITATION.note


# --- citations -----------------------------------------------------------------------------


def test_module_citations_resolve_and_mark_unverified() -> None:
    citations = [v for k, v in vars(tp).items() if k.startswith(("_C_", "WORKFLOW", "CATEGORY_CONSEQUENCE_C"))]
    citations += list(DEADLINE_CITATIONS.values()) + [s.citation for s in REWARD_SCHEDULES]
    assert len(citations) >= 10
    for citation in citations:
        assert cite(citation.source, citation.section, citation.note) == citation
    assert tp.WORKFLOW_CITATION.source == "seed-004" and tp.WORKFLOW_CITATION.section == "三(七)"
    assert "第33项" in tp.WORKFLOW_CITATION.note
    assert tp.CATEGORY_CONSEQUENCE_CITATION.source == "seed-002" and tp.CATEGORY_CONSEQUENCE_CITATION.section == "三"


def test_category_consequences() -> None:
    assert set(tp.CATEGORY_CONSEQUENCES) == {
        Category.HIDDEN_FACE,
        Category.MONITORING_FALSIFIED,
        Category.ILLEGAL_SUBCONTRACTING,
        Category.CONCEALED_ACCIDENT,
    }
    assert tp.CATEGORY_CONSEQUENCES[Category.HIDDEN_FACE] == "依法依规责令停产整顿"
