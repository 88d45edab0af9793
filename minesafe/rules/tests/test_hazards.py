"""Major-hazard ledger rules (minesafe.rules.hazards).

Sources proven here: lifecycle and 五落实 seed-004 三(二) items 9–10, DOMAIN §10; penalty
seed-002 §五 and seed-004 三(二) item 11; closure seed-004 三(六) item 26, DOMAIN §1.1 / §2.2
(条例 Art. 70(2)); recurrence seed-002 §五, seed-004 三(二) item 11; notification seed-004
三(二) item 11; self-inspection seed-002 §五, seed-004 三(二) item 9 and 二(二) (工贸 item 4).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from minesafe.rules.hazards import (
    CLOSURE_WINDOWS,
    ESCALATION_GRACE_DAYS,
    HAZARD_ACTION_GUARDS,
    HAZARD_ACTIONS,
    HAZARD_STATUS_LABELS,
    HAZARD_STATUSES,
    HAZARD_TRANSITIONS,
    INSPECTION_PERIOD_CITATIONS,
    NOTIFY_CITATION,
    NOTIFY_TARGET_LABELS,
    RULE_VERSIONS,
    RULESET_VERSION,
    Decision,
    FivePlan,
    HazardActionFacts,
    add_months,
    allowed_hazard_actions,
    check_extension,
    check_five_in_place,
    check_hazard_action,
    closure_proposal,
    effective_deadline,
    escalation_suggestion,
    inspection_period,
    is_overdue,
    missing_self_inspections,
    next_hazard_status,
    notify_on_new_hazard,
    overdue_days,
    penalty_recommendation,
    period_key,
    recurrence,
    replay,
)
from minesafe.rules.mine_attributes import SECTORS

D = date

# --- lifecycle (seed-004 三(二) items 9–10; DOMAIN §10) ------------------------------------

# The table as specified, restated independently so a change to HAZARD_TRANSITIONS must be deliberate.
EXPECTED = {
    ("registered", "start_rectification"): "rectifying",
    ("rectifying", "apply_for_closure"): "awaiting_verification",
    ("awaiting_verification", "verify_closure"): "closed",
    ("awaiting_verification", "reject_closure"): "rectifying",
}
ILLEGAL = sorted(set(itertools.product(HAZARD_STATUSES, HAZARD_ACTIONS)) - set(EXPECTED))


def test_statuses_and_labels() -> None:
    assert HAZARD_STATUSES == ("registered", "rectifying", "awaiting_verification", "closed")
    assert HAZARD_STATUS_LABELS == {
        "registered": "已登记",
        "rectifying": "整改中",
        "awaiting_verification": "待验收销号",
        "closed": "已销号",
    }
    assert set(HAZARD_TRANSITIONS) == set(HAZARD_STATUSES)
    assert set(HAZARD_ACTION_GUARDS) == set(HAZARD_ACTIONS)


@pytest.mark.parametrize(("key", "target"), sorted(EXPECTED.items()), ids=lambda v: str(v))
def test_legal_transitions(key: tuple[str, str], target: str) -> None:
    status, action = key
    assert next_hazard_status(status, action) == target
    assert action in allowed_hazard_actions(status)


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_illegal_transitions(status: str, action: str) -> None:
    with pytest.raises(ValueError):
        next_hazard_status(status, action)
    assert action not in allowed_hazard_actions(status)


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        ("registered", ("start_rectification",)),
        ("rectifying", ("apply_for_closure",)),
        ("awaiting_verification", ("verify_closure", "reject_closure")),
        ("closed", ()),  # terminal
    ],
)
def test_allowed_actions(status: str, actions: tuple[str, ...]) -> None:
    assert allowed_hazard_actions(status) == actions


@pytest.mark.parametrize("status", ["", "open", "CLOSED"])
def test_unknown_status_raises(status: str) -> None:
    with pytest.raises(ValueError):
        allowed_hazard_actions(status)
    with pytest.raises(ValueError):
        next_hazard_status(status, "start_rectification")
    with pytest.raises(ValueError):
        is_overdue(status, D(2026, 1, 1), D(2026, 1, 2))


# --- 五落实 (DOMAIN §10 [V] S41–S43; seed-004 三(二) item 9) -----------------------------------

FOUND = D(2026, 3, 10)
TODAY = D(2026, 3, 12)
PLAN = FivePlan(
    responsible_person="张三（矿长）",
    measures="补设专用回风巷，调整通风系统",
    funds_yuan=Decimal("120000"),
    deadline=D(2026, 4, 30),
    contingency_plan="整改期间停止受影响区域作业，撤出人员",
)


def test_complete_plan_is_ok() -> None:
    assert check_five_in_place(PLAN, found_on=FOUND, today=TODAY).ok


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        pytest.param({"responsible_person": "  "}, "hazard.plan.responsible_person", "responsible_person", id="责任"),
        pytest.param({"measures": ""}, "hazard.plan.measures", "measures", id="措施"),
        pytest.param({"funds_yuan": None}, "hazard.plan.funds", "funds_yuan", id="资金-missing"),
        pytest.param({"funds_yuan": Decimal("-0.01")}, "hazard.plan.funds_invalid", "funds_yuan", id="资金-negative"),
        pytest.param({"funds_yuan": Decimal("NaN")}, "hazard.plan.funds_invalid", "funds_yuan", id="资金-NaN"),
        pytest.param({"funds_yuan": Decimal("Infinity")}, "hazard.plan.funds_invalid", "funds_yuan", id="资金-inf"),
        pytest.param({"deadline": None}, "hazard.plan.deadline", "deadline", id="时限-missing"),
        pytest.param(
            {"deadline": D(2026, 3, 9)}, "hazard.plan.deadline_before_found", "deadline", id="时限-before-found"
        ),
        pytest.param({"deadline": D(2026, 3, 11)}, "hazard.plan.deadline_past", "deadline", id="时限-past"),
        pytest.param({"contingency_plan": "\n"}, "hazard.plan.contingency_plan", "contingency_plan", id="预案"),
    ],
)
def test_each_element_is_required(changes: dict, code: str, field: str) -> None:
    verdict = check_five_in_place(replace(PLAN, **changes), found_on=FOUND, today=TODAY)
    assert verdict.codes == (code,)
    assert verdict.reasons[0].field == field
    assert verdict.reasons[0].citation is not None


@pytest.mark.parametrize(
    ("changes", "today"),
    [
        pytest.param({"funds_yuan": Decimal("0")}, TODAY, id="资金-0-management-only"),
        pytest.param({"deadline": TODAY}, TODAY, id="时限-today"),
        pytest.param({"deadline": FOUND}, FOUND, id="时限-same-day-as-found"),
    ],
)
def test_plan_boundaries_allowed(changes: dict, today: date) -> None:
    assert check_five_in_place(replace(PLAN, **changes), found_on=FOUND, today=today).ok


def test_empty_plan_reports_all_five_elements() -> None:
    empty = FivePlan("", "", None, None, "")
    verdict = check_five_in_place(empty, found_on=FOUND, today=TODAY)
    assert [r.field for r in verdict.reasons] == [
        "responsible_person",
        "measures",
        "funds_yuan",
        "deadline",
        "contingency_plan",
    ]
    assert all("五落实" in r.message for r in verdict.reasons)


def test_found_on_in_future_is_refused() -> None:
    verdict = check_five_in_place(replace(PLAN, deadline=D(2026, 5, 1)), found_on=D(2026, 3, 13), today=TODAY)
    assert verdict.codes == ("hazard.found_on_future",)


# --- lifecycle guards ---------------------------------------------------------------------


def _facts(status: str, action: str, **changes: object) -> HazardActionFacts:
    base = HazardActionFacts(
        status=status,
        action=action,
        found_on=FOUND,
        today=TODAY,
        plan=PLAN,
        evidence=("整改验收报告.pdf",),
        verification_method="on_site",
        reason="专用回风巷未贯通",
    )
    return replace(base, **changes)


@pytest.mark.parametrize(("key", "target"), sorted(EXPECTED.items()), ids=lambda v: str(v))
def test_check_hazard_action_accepts_complete_facts(key: tuple[str, str], target: str) -> None:
    assert check_hazard_action(_facts(*key)).ok


@pytest.mark.parametrize(
    ("status", "action", "changes", "codes"),
    [
        pytest.param(
            "registered", "start_rectification", {"plan": None}, ("hazard.plan.missing",), id="seed-004-9-plan-required"
        ),
        pytest.param(
            "registered",
            "start_rectification",
            {"plan": replace(PLAN, funds_yuan=None)},
            ("hazard.plan.funds",),
            id="DOMAIN-10-five-in-place",
        ),
        pytest.param(
            "rectifying", "apply_for_closure", {"evidence": ()}, ("hazard.evidence_required",), id="DOMAIN-10-evidence"
        ),
        pytest.param(
            "rectifying",
            "apply_for_closure",
            {"evidence": (" ",)},
            ("hazard.evidence_required",),
            id="DOMAIN-10-blank-evidence",
        ),
        pytest.param(
            "awaiting_verification",
            "verify_closure",
            {"verification_method": "phone"},
            ("hazard.verification_method",),
            id="seed-004-10-site-or-document",
        ),
        pytest.param(
            "awaiting_verification",
            "reject_closure",
            {"reason": ""},
            ("hazard.reason_required",),
            id="DOMAIN-10-reject-reason",
        ),
        pytest.param("closed", "reject_closure", {}, ("hazard.action_not_allowed",), id="closed-terminal"),
        pytest.param("registered", "verify_closure", {}, ("hazard.action_not_allowed",), id="skip-rectification"),
        pytest.param("bogus", "verify_closure", {}, ("hazard.unknown_status",), id="unknown-status"),
    ],
)
def test_check_hazard_action_guards(status: str, action: str, changes: dict, codes: tuple[str, ...]) -> None:
    assert check_hazard_action(_facts(status, action, **changes)).codes == codes


def test_document_verification_is_allowed() -> None:
    facts = _facts("awaiting_verification", "verify_closure", verification_method="document")
    assert check_hazard_action(facts).ok


# --- deadlines (DOMAIN §10) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "extensions", "expected"),
    [
        (D(2026, 4, 30), [], D(2026, 4, 30)),
        (D(2026, 4, 30), [D(2026, 5, 31)], D(2026, 5, 31)),
        (D(2026, 4, 30), [D(2026, 5, 31), D(2026, 6, 30)], D(2026, 6, 30)),
        (D(2026, 4, 30), (D(2026, 6, 30), D(2026, 5, 31)), D(2026, 6, 30)),
    ],
)
def test_effective_deadline(original: date, extensions: list[date], expected: date) -> None:
    assert effective_deadline(original, extensions) == expected


@pytest.mark.parametrize(
    ("status", "deadline", "today", "expected"),
    [
        pytest.param("rectifying", D(2026, 4, 30), D(2026, 4, 30), False, id="deadline-day-not-overdue"),
        pytest.param("rectifying", D(2026, 4, 30), D(2026, 5, 1), True, id="day-after-overdue"),
        pytest.param("registered", D(2026, 4, 30), D(2026, 5, 1), True, id="registered-overdue"),
        pytest.param("awaiting_verification", D(2026, 4, 30), D(2026, 5, 1), True, id="awaiting-overdue"),
        pytest.param("closed", D(2026, 4, 30), D(2027, 1, 1), False, id="closed-never-overdue"),
        pytest.param("registered", None, D(2027, 1, 1), False, id="no-deadline-yet"),
    ],
)
def test_is_overdue(status: str, deadline: date | None, today: date, expected: bool) -> None:
    assert is_overdue(status, deadline, today) is expected


@pytest.mark.parametrize(
    ("deadline", "today", "expected"),
    [(D(2026, 4, 30), D(2026, 4, 29), 0), (D(2026, 4, 30), D(2026, 4, 30), 0), (D(2026, 4, 30), D(2026, 5, 2), 2)],
)
def test_overdue_days(deadline: date, today: date, expected: int) -> None:
    assert overdue_days(deadline, today) == expected


@pytest.mark.parametrize(
    ("current", "requested", "reason", "today", "codes"),
    [
        pytest.param(D(2026, 4, 30), D(2026, 5, 31), "设备到货延迟", D(2026, 4, 30), (), id="on-deadline-day-ok"),
        pytest.param(
            D(2026, 4, 30), D(2026, 5, 31), " ", D(2026, 4, 1), ("hazard.extension.reason_required",), id="reason"
        ),
        pytest.param(
            D(2026, 4, 30), D(2026, 4, 30), "延期", D(2026, 4, 1), ("hazard.extension.not_later",), id="same-date"
        ),
        pytest.param(
            D(2026, 4, 30), D(2026, 4, 20), "延期", D(2026, 4, 1), ("hazard.extension.not_later",), id="earlier"
        ),
        pytest.param(
            D(2026, 4, 30),
            D(2026, 5, 31),
            "延期",
            D(2026, 5, 1),
            ("hazard.extension.after_deadline",),
            id="DOMAIN-10-overdue-stays-listed",
        ),
    ],
)
def test_check_extension(current: date, requested: date, reason: str, today: date, codes: tuple[str, ...]) -> None:
    assert check_extension(current, requested, reason, today).codes == codes


# --- penalty (seed-002 §五; seed-004 三(二) item 11) -----------------------------------------


@pytest.mark.parametrize(
    ("source", "flag", "code", "citation_source"),
    [
        pytest.param("self_check", True, "no_penalty_in_principle", "seed-002", id="seed-002-5-self-check-no-penalty"),
        pytest.param("self_check", False, "penalty_per_law", "seed-004", id="seed-004-11-no-exemption"),
        pytest.param("inspection", False, "heavy_penalty", "seed-002", id="seed-002-5-inspection-heavy"),
        pytest.param("inspection", True, "heavy_penalty", "seed-002", id="seed-002-5-flag-ignored"),
        pytest.param("tip_off", True, "heavy_penalty", "seed-002", id="seed-004-11-tip-off"),
        pytest.param("monitoring", False, "heavy_penalty", "seed-002", id="monitoring-found-by-regulator"),
    ],
)
def test_penalty_recommendation(source: str, flag: bool, code: str, citation_source: str) -> None:
    decision = penalty_recommendation(source=source, self_reported_with_rectification=flag)
    assert decision.code == code
    assert decision.rule == "penalty_recommendation"
    assert decision.rule_version == RULE_VERSIONS["penalty_recommendation"]
    assert decision.citation.source == citation_source
    assert decision.details == {"source": source, "self_reported_with_rectification": flag}


def test_penalty_unknown_source() -> None:
    with pytest.raises(ValueError):
        penalty_recommendation(source="rumour", self_reported_with_rectification=True)


# --- add_months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (D(2025, 11, 30), 3, D(2026, 2, 28)),  # month-end clamp
        (D(2023, 11, 30), 3, D(2024, 2, 29)),  # leap year
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
        (D(2025, 1, 15), -1, D(2024, 12, 15)),
        (D(2025, 10, 31), 3, D(2026, 1, 31)),
        (D(2026, 1, 15), 0, D(2026, 1, 15)),
        (D(2026, 1, 15), -13, D(2024, 12, 15)),
    ],
)
def test_add_months(d: date, n: int, expected: date) -> None:
    assert add_months(d, n) == expected


# --- closure proposal (seed-004 三(六) item 26; DOMAIN §1.1 [V] S8; 条例 Art. 70(2)) ----------

NOW = D(2026, 6, 30)


@pytest.mark.parametrize(
    ("dates", "producing", "window"),
    [
        pytest.param([D(2026, 1, 15), D(2026, 4, 14)], True, ("2026-01-15", "2026-04-15"), id="day-before-inside"),
        pytest.param([D(2026, 1, 15), D(2026, 4, 15)], True, ("2026-01-15", "2026-04-15"),
                     id="exactly-3-months-inside-civil-code"),
        pytest.param([D(2026, 1, 15), D(2026, 4, 16)], True, None, id="day-after-outside"),
        pytest.param([D(2025, 11, 30), D(2026, 2, 28)], True, ("2025-11-30", "2026-02-28"),
                     id="Nov30-Feb28-inside-clamped"),
        pytest.param([D(2025, 11, 30), D(2026, 3, 1)], True, None, id="Nov30-Mar1-outside"),
        pytest.param([D(2023, 11, 30), D(2024, 2, 29)], True, ("2023-11-30", "2024-02-29"), id="leap-Feb29-inside"),
        pytest.param([D(2023, 11, 30), D(2024, 3, 1)], True, None, id="leap-Mar1-outside"),
        pytest.param([D(2026, 3, 1), D(2026, 3, 1)], True, ("2026-03-01", "2026-06-01"), id="same-day-counts-twice"),
        pytest.param([D(2026, 1, 15), D(2026, 2, 1)], False, None, id="not-producing"),
        pytest.param([D(2026, 1, 15)], True, None, id="single-finding"),
        pytest.param([], True, None, id="no-findings"),
        pytest.param([D(2025, 1, 1), D(2025, 5, 1), D(2025, 9, 1)], True, None, id="spaced-4-months"),
        pytest.param(
            [D(2026, 5, 20), D(2025, 1, 1), D(2026, 3, 1)], True, ("2026-03-01", "2026-06-01"), id="unsorted-input"
        ),
        pytest.param(
            [D(2025, 1, 1), D(2025, 2, 1), D(2026, 5, 1), D(2026, 6, 1)],
            True,
            ("2026-05-01", "2026-08-01"),
            id="latest-window-reported",
        ),
    ],
)
def test_closure_proposal(dates: list[date], producing: bool, window: tuple[str, str] | None) -> None:
    decision = closure_proposal(dates, producing=producing, today=NOW)
    if window is None:
        assert decision is None
        return
    assert decision is not None
    assert decision.code == "propose_closure"
    assert (decision.details["window_start"], decision.details["window_end"]) == window
    assert decision.rule_version == "2026.1" and "民法典" in decision.details["period_rule"]
    assert decision.citation.source == "seed-004" and decision.citation.section == "三(六)"
    assert "第26项" in decision.citation.note
    assert "关闭" in decision.message


def test_closure_counts_all_findings_in_window() -> None:
    dates = [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 30)]
    decision = closure_proposal(dates, producing=True, today=NOW)
    assert decision is not None
    assert decision.details["found_in_window"] == ["2026-02-01", "2026-03-01", "2026-04-30"]
    assert "3次" in decision.message


def test_closure_rejects_future_dates() -> None:
    with pytest.raises(ValueError):
        closure_proposal([D(2026, 6, 1), D(2026, 7, 1)], producing=True, today=NOW)


def test_closure_window_is_versioned() -> None:
    assert CLOSURE_WINDOWS[RULE_VERSIONS["closure_proposal"]] == (3, 2)


def test_closure_version_2024_1_still_replays_with_its_exclusive_end() -> None:
    """Decisions stored under 2024.1 replay as they were made: the day exactly 3 months on was outside."""
    exact = {"found_dates": [D(2026, 1, 15), D(2026, 4, 15)], "producing": True, "today": NOW}
    assert replay("closure_proposal", "2024.1", **exact) is None
    assert replay("closure_proposal", "2026.1", **exact) is not None
    inside = replay("closure_proposal", "2024.1", **{**exact, "found_dates": [D(2026, 1, 15), D(2026, 4, 14)]})
    assert inside is not None and inside.details["window_end_exclusive"] == "2026-04-15"


# --- recurrence 屡改屡犯 (seed-002 §五; seed-004 三(二) item 11) -----------------------------


@pytest.mark.parametrize(
    ("category", "history", "found_on", "fires"),
    [
        pytest.param("coal-2024.5", [("coal-2024.5", D(2026, 1, 10))], D(2026, 3, 1), True, id="closed-before"),
        pytest.param("coal-2024.5", [("coal-2024.5", D(2026, 3, 1))], D(2026, 3, 1), False, id="closed-same-day"),
        pytest.param("coal-2024.5", [("coal-2024.5", D(2026, 3, 2))], D(2026, 3, 1), False, id="closed-after"),
        pytest.param("coal-2024.5", [("coal-2024.5", None)], D(2026, 3, 1), False, id="still-open"),
        pytest.param("coal-2024.5", [("coal-2024.7", D(2026, 1, 10))], D(2026, 3, 1), False, id="other-category"),
        pytest.param("coal-2024.5", [], D(2026, 3, 1), False, id="no-history"),
        pytest.param(
            "coal-2024.5", [("coal-2020.8", D(2024, 1, 10))], D(2025, 3, 1), True, id="DOMAIN-2.2-across-versions"
        ),
        pytest.param(
            "metal-ug-2022.water",
            [("metal-ug-2022.water", D(2025, 6, 1)), ("metal-ug-2022.water", None)],
            D(2025, 9, 1),
            True,
            id="one-closed-one-open",
        ),
    ],
)
def test_recurrence(category: str, history: list, found_on: date, fires: bool) -> None:
    decision = recurrence(category, history, found_on)
    assert (decision is not None) is fires
    if decision is not None:
        assert decision.code == "repeat_offence"
        assert decision.details["heavy_penalty"] is True
        assert {"actual_controller", "parent_company_principal"} <= set(decision.details["accountable"])
        assert "屡改屡犯" in decision.message and "实际控制人" in decision.message and "上级公司" in decision.message
        assert decision.citation.source == "seed-004" and "第11项" in decision.citation.note


def test_recurrence_counts_prior_closures() -> None:
    history = [("coal-2024.7", D(2025, 1, 1)), ("coal-2024.7", D(2025, 8, 1)), ("coal-2024.7", D(2026, 2, 1))]
    decision = recurrence("coal-2024.7", history, D(2026, 1, 15))
    assert decision is not None
    assert decision.details["prior_closed_on"] == ["2025-01-01", "2025-08-01"]
    assert decision.details["prior_closures"] == 2


# --- escalation (DOMAIN §10 挂牌督办; seed-004 三(二) item 10) -------------------------------


@pytest.mark.parametrize(
    ("days", "listed", "code"),
    [
        pytest.param(-3, False, None, id="before-deadline"),
        pytest.param(0, False, None, id="deadline-day"),
        pytest.param(1, False, "suggest_listing", id="first-overdue-day-grace-0"),
        pytest.param(45, False, "suggest_listing", id="long-overdue"),
        pytest.param(0, True, None, id="listed-not-overdue"),
        pytest.param(1, True, "suggest_further_measures", id="seed-004-10-listed-slow-progress"),
    ],
)
def test_escalation_suggestion(days: int, listed: bool, code: str | None) -> None:
    decision = escalation_suggestion(overdue_days=days, listed=listed)
    assert (decision.code if decision else None) == code
    if decision is not None:
        assert decision.details["overdue_days"] == days
        assert decision.rule_version == RULE_VERSIONS["escalation_suggestion"]


def test_escalation_threshold_is_versioned() -> None:
    assert ESCALATION_GRACE_DAYS[RULE_VERSIONS["escalation_suggestion"]] == 0


# --- notification (seed-004 三(二) item 11) --------------------------------------------------


def test_notify_on_new_hazard() -> None:
    targets = notify_on_new_hazard()
    assert targets == ("principal", "actual_controller")
    assert [NOTIFY_TARGET_LABELS[t] for t in targets] == ["主要负责人", "实际控制人"]
    assert NOTIFY_CITATION.source == "seed-004" and NOTIFY_CITATION.section == "三(二)"
    assert "主要负责人、实际控制人" in NOTIFY_CITATION.note


# --- versioning and replay (DOMAIN §0 alert 0.5) ------------------------------------------

CASES = [
    ("penalty_recommendation", {"source": "self_check", "self_reported_with_rectification": True}),
    ("closure_proposal", {"found_dates": [D(2026, 1, 15), D(2026, 2, 1)], "producing": True, "today": NOW}),
    ("recurrence", {"category_code": "coal-2024.5", "history": [("coal-2024.5", D(2025, 1, 1))], "found_on": NOW}),
    ("escalation_suggestion", {"overdue_days": 3, "listed": False}),
]
PUBLIC = {
    "penalty_recommendation": penalty_recommendation,
    "closure_proposal": lambda found_dates, **kw: closure_proposal(found_dates, **kw),
    "recurrence": lambda category_code, history, found_on: recurrence(category_code, history, found_on),
    "escalation_suggestion": escalation_suggestion,
}


def test_ruleset_version() -> None:
    assert RULESET_VERSION == "hazards-2024.1"
    assert set(RULE_VERSIONS) == {name for name, _ in CASES}


@pytest.mark.parametrize(("rule", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_decisions_record_rule_and_version_and_replay(rule: str, inputs: dict) -> None:
    decision = PUBLIC[rule](**inputs)
    assert isinstance(decision, Decision)
    assert (decision.rule, decision.rule_version) == (rule, RULE_VERSIONS[rule])
    assert decision.message and decision.citation is not None
    json.dumps(decision.details)  # storable as JSON
    assert replay(rule, decision.rule_version, **inputs) == decision


@pytest.mark.parametrize(
    ("rule", "version"),
    [("closure_proposal", "2023.1"), ("closure_proposal", ""), ("no_such_rule", "2024.1"), ("replay", "2024.1")],
)
def test_replay_unknown_version_raises(rule: str, version: str) -> None:
    with pytest.raises(LookupError):
        replay(rule, version)


def test_replay_returns_none_when_rule_does_not_fire() -> None:
    assert replay("escalation_suggestion", "2024.1", overdue_days=0, listed=False) is None


# --- periodic self-inspection (seed-002 §五; seed-004 三(二) item 9, 二(二) 工贸 item 4) ----------


@pytest.mark.parametrize(
    ("sector", "period", "citation_section"),
    [
        *[pytest.param(s, "month", "五", id=f"seed-002-5-{s}") for s in SECTORS],
        pytest.param("industry_trade", "quarter", "二(二)", id="seed-004-2(2)-工贸-quarterly"),
        pytest.param("metal_smelting", "month", "二(二)", id="seed-004-2(2)-金属冶炼-monthly"),
    ],
)
def test_inspection_period(sector: str, period: str, citation_section: str) -> None:
    assert inspection_period(sector) == period
    assert INSPECTION_PERIOD_CITATIONS[sector].section == citation_section


def test_inspection_period_unknown_sector() -> None:
    with pytest.raises(ValueError):
        inspection_period("fireworks")
    with pytest.raises(ValueError):
        missing_self_inspections("fireworks", set(), D(2026, 1, 1), D(2026, 6, 1))


@pytest.mark.parametrize(
    ("sector", "d", "key"),
    [
        ("coal", D(2026, 10, 31), "2026-10"),
        ("coal", D(2026, 1, 1), "2026-01"),
        ("industry_trade", D(2026, 9, 30), "2026-Q3"),
        ("industry_trade", D(2026, 10, 1), "2026-Q4"),
        ("metal_smelting", D(2026, 9, 30), "2026-09"),
    ],
)
def test_period_key(sector: str, d: date, key: str) -> None:
    assert period_key(sector, d) == key


@pytest.mark.parametrize(
    ("sector", "done", "start", "today", "missing"),
    [
        pytest.param(
            "coal", set(), D(2026, 8, 1), D(2026, 10, 31), ["2026-08", "2026-09"], id="current-month-not-complete"
        ),
        pytest.param(
            "coal", set(), D(2026, 8, 1), D(2026, 11, 1), ["2026-08", "2026-09", "2026-10"], id="Oct-complete-Nov-1"
        ),
        pytest.param("coal", {"2026-09"}, D(2026, 8, 1), D(2026, 11, 1), ["2026-08", "2026-10"], id="done-excluded"),
        pytest.param("coal", set(), D(2026, 8, 20), D(2026, 9, 1), ["2026-08"], id="partial-first-month-counts"),
        pytest.param("coal", set(), D(2026, 8, 20), D(2026, 8, 31), [], id="first-month-not-over"),
        pytest.param("tailings", set(), D(2025, 12, 1), D(2026, 2, 1), ["2025-12", "2026-01"], id="year-rollover"),
        pytest.param("coal", set(), D(2026, 9, 1), D(2026, 8, 1), [], id="today-before-start"),
        pytest.param(
            "industry_trade",
            set(),
            D(2026, 2, 15),
            D(2026, 10, 1),
            ["2026-Q1", "2026-Q2", "2026-Q3"],
            id="工贸-Q3-over",
        ),
        pytest.param(
            "industry_trade", {"2026-Q2"}, D(2026, 2, 15), D(2026, 9, 30), ["2026-Q1"], id="工贸-Q3-last-day-open"
        ),
        pytest.param(
            "metal_smelting", {"2026-01"}, D(2026, 1, 1), D(2026, 4, 1), ["2026-02", "2026-03"], id="金属冶炼-monthly"
        ),
    ],
)
def test_missing_self_inspections(sector: str, done: set[str], start: date, today: date, missing: list[str]) -> None:
    assert missing_self_inspections(sector, done, start, today) == missing


def test_is_overdue_stops_the_clock_for_an_application_in_time() -> None:
    deadline, today = date(2026, 11, 10), date(2026, 11, 23)
    assert is_overdue("awaiting_verification", deadline, today)  # when it applied is unknown
    assert not is_overdue("awaiting_verification", deadline, today, applied_on=deadline)  # the deadline day
    assert is_overdue("awaiting_verification", deadline, today, applied_on=date(2026, 11, 11))
    assert is_overdue("rectifying", deadline, today, applied_on=deadline)  # only while awaiting verification
    assert not is_overdue("awaiting_verification", deadline, deadline, applied_on=date(2026, 11, 11))
