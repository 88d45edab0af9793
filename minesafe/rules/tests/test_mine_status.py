"""Mine status machine (minesafe.rules.mine_status).

Sources proven here: halt orders seed-002 §三 / DOMAIN HM-5, HM-7; closure DOMAIN §1.1;
resumption acceptance DOMAIN §2.2 (条例 Art. 48); licences DOMAIN §1.1 [V] S8.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest

from minesafe.rules.mine_status import (
    GUARDS,
    MINE_STATUS_LABELS,
    MINE_STATUSES,
    TRANSITIONS,
    StatusChangeFacts,
    allowed_targets,
    check_status_change,
    guards_for,
)

TODAY = date(2024, 6, 30)

# The table as specified, restated independently so a change to TRANSITIONS must be deliberate.
EXPECTED_TRANSITIONS = {
    ("construction", "production"),
    ("construction", "rectification"),
    ("construction", "suspended"),
    ("construction", "closed"),
    ("production", "rectification"),
    ("production", "suspended"),
    ("production", "closed"),
    ("rectification", "production"),
    ("rectification", "suspended"),
    ("rectification", "closed"),
    ("suspended", "production"),
    ("suspended", "rectification"),
    ("suspended", "closed"),
}
LEGAL = sorted(EXPECTED_TRANSITIONS)
ILLEGAL = sorted(set(itertools.product(MINE_STATUSES, MINE_STATUSES)) - EXPECTED_TRANSITIONS)
NEEDS_DOCUMENT = {(c, t) for c, t in EXPECTED_TRANSITIONS if t in ("rectification", "closed")} | {
    ("rectification", "production")
}
TO_PRODUCTION = sorted((c, t) for c, t in EXPECTED_TRANSITIONS if t == "production")


def facts(current: str, target: str, **changes: object) -> StatusChangeFacts:
    """Complete, valid facts for a change; override single fields with keyword arguments."""
    base = StatusChangeFacts(
        current=current,
        target=target,
        reason="监管检查后变更",
        document_no="（2024）矿安执字第001号",
        effective_date=TODAY,
        today=TODAY,
        mining_licence_valid_until=date(2027, 12, 31),
        safety_licence_valid_until=date(2026, 12, 31),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_status_values_and_labels() -> None:
    assert MINE_STATUSES == ("construction", "production", "rectification", "suspended", "closed")
    assert MINE_STATUS_LABELS == {
        "construction": "建设",
        "production": "生产",
        "rectification": "停产整顿",
        "suspended": "长期停产",
        "closed": "关闭",
    }


def test_transition_table_matches_spec() -> None:
    assert {(c, t) for c, targets in TRANSITIONS.items() for t in targets} == EXPECTED_TRANSITIONS
    assert set(TRANSITIONS) == set(MINE_STATUSES)


def test_every_guard_is_known_and_universal_guards_apply_everywhere() -> None:
    for current, target in EXPECTED_TRANSITIONS:
        guards = guards_for(current, target)
        assert set(guards) <= set(GUARDS)
        assert "reason_required" in guards
        assert "not_future" in guards
        assert ("document_required" in guards) == ((current, target) in NEEDS_DOCUMENT)
        assert ("licences_valid" in guards) == (target == "production")


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transition_allowed(current: str, target: str) -> None:
    assert check_status_change(facts(current, target)).ok


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transition_refused(current: str, target: str) -> None:
    verdict = check_status_change(facts(current, target))
    expected = "mine_status.same_status" if current == target else "mine_status.transition_not_allowed"
    assert verdict.codes == (expected,)
    assert verdict.reasons[0].field == "target"


def test_closed_is_terminal_with_closure_citation() -> None:
    assert allowed_targets("closed") == ()
    verdict = check_status_change(facts("closed", "production"))
    assert verdict.reasons[0].message == "已关闭的矿山不能再变更状态"
    citation = verdict.reasons[0].citation
    assert citation is not None and (citation.source, citation.section) == ("DOMAIN", "§1.1")


def test_illegal_message_names_both_statuses() -> None:
    verdict = check_status_change(facts("production", "construction"))
    assert verdict.reasons[0].message == "矿山状态不能从“生产”变更为“建设”"


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("construction", ("production", "rectification", "suspended", "closed")),
        ("production", ("rectification", "suspended", "closed")),
        ("rectification", ("production", "suspended", "closed")),
        ("suspended", ("production", "rectification", "closed")),
        ("closed", ()),
    ],
)
def test_allowed_targets(current: str, expected: tuple[str, ...]) -> None:
    assert allowed_targets(current) == expected


def test_unknown_statuses() -> None:
    with pytest.raises(ValueError):
        allowed_targets("open")
    with pytest.raises(ValueError):
        guards_for("closed", "production")
    unknown_current = check_status_change(facts("open", "production"))
    assert unknown_current.codes == ("mine_status.unknown_current",)
    assert unknown_current.reasons[0].field is None
    unknown_target = check_status_change(facts("production", "open"))
    assert unknown_target.codes == ("mine_status.unknown_target",)
    assert unknown_target.reasons[0].field == "target"


# --- guard: reason_required --------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), LEGAL)
@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_reason_required_everywhere(current: str, target: str, reason: str) -> None:
    verdict = check_status_change(facts(current, target, reason=reason))
    assert verdict.codes == ("mine_status.reason_required",)
    assert verdict.reasons[0].field == "reason"


# --- guard: document_required ------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_document_required_only_where_specified(current: str, target: str) -> None:
    verdict = check_status_change(facts(current, target, document_no=" "))
    if (current, target) in NEEDS_DOCUMENT:
        assert verdict.codes == ("mine_status.document_required",)
        assert verdict.reasons[0].field == "document_no"
    else:
        assert verdict.ok


@pytest.mark.parametrize(
    ("current", "target", "source", "section", "message"),
    [
        # 责令停产整顿 order: seed-002 §三 (晋安办发〔2024〕94号 三)
        ("production", "rectification", "seed-002", "三", "变更为停产整顿须填写责令停产整顿的执法文书编号"),
        ("suspended", "rectification", "seed-002", "三", "变更为停产整顿须填写责令停产整顿的执法文书编号"),
        # closure decision: DOMAIN §1.1 closure triggers
        ("production", "closed", "DOMAIN", "§1.1", "变更为关闭须填写关闭决定的文书编号"),
        # 复产验收: DOMAIN §2.2 (条例 Art. 48)
        ("rectification", "production", "DOMAIN", "§2.2", "停产整顿矿山恢复生产须填写复产验收文书编号"),
    ],
)
def test_document_reason_cites_its_source(
    current: str, target: str, source: str, section: str, message: str
) -> None:
    reason = check_status_change(facts(current, target, document_no="")).reasons[0]
    assert reason.message == message
    assert reason.citation is not None
    assert (reason.citation.source, reason.citation.section) == (source, section)


# --- guard: licences_valid (DOMAIN §1.1 无证照或者证照不全从事生产) ------------------------


@pytest.mark.parametrize(("current", "target"), TO_PRODUCTION)
@pytest.mark.parametrize(
    ("mining", "safety", "expected"),
    [
        (None, date(2026, 1, 1), ("mine_status.mining_licence",)),
        (date(2026, 1, 1), None, ("mine_status.safety_licence",)),
        (None, None, ("mine_status.mining_licence", "mine_status.safety_licence")),
        (TODAY - timedelta(days=1), date(2026, 1, 1), ("mine_status.mining_licence",)),
        (date(2026, 1, 1), TODAY - timedelta(days=1), ("mine_status.safety_licence",)),
        (TODAY, TODAY, ()),  # last valid day is the effective date: still valid
    ],
)
def test_licences_required_for_production(
    current: str, target: str, mining: date | None, safety: date | None, expected: tuple[str, ...]
) -> None:
    verdict = check_status_change(
        facts(current, target, mining_licence_valid_until=mining, safety_licence_valid_until=safety)
    )
    assert verdict.codes == expected
    for reason in verdict.reasons:
        assert reason.field == "target"
        assert reason.citation is not None
        assert (reason.citation.source, reason.citation.section) == ("DOMAIN", "§1.1")


def test_licences_judged_on_effective_date_and_today() -> None:
    """A resumption cannot be back-dated to a day the licences were still valid (DOMAIN §1.1)."""
    effective = TODAY - timedelta(days=10)
    valid_then = TODAY - timedelta(days=5)  # expired by today, valid on the effective date
    backdated = facts("suspended", "production", effective_date=effective, mining_licence_valid_until=valid_then)
    assert check_status_change(backdated).codes == ("mine_status.mining_licence",)
    ok = facts("suspended", "production", effective_date=effective, mining_licence_valid_until=TODAY)
    assert check_status_change(ok).ok
    expired_then = effective - timedelta(days=1)
    bad = facts("suspended", "production", effective_date=effective, safety_licence_valid_until=expired_then)
    assert check_status_change(bad).codes == ("mine_status.safety_licence",)


def test_licence_messages() -> None:
    verdict = check_status_change(
        facts(
            "suspended",
            "production",
            mining_licence_valid_until=None,
            safety_licence_valid_until=date(2024, 6, 1),
        )
    )
    assert verdict.reasons[0].message.startswith("缺少采矿许可证")
    assert "2024-06-01" in verdict.reasons[1].message


@pytest.mark.parametrize(("current", "target"), [(c, t) for c, t in LEGAL if t != "production"])
def test_licences_not_needed_for_other_targets(current: str, target: str) -> None:
    verdict = check_status_change(
        facts(current, target, mining_licence_valid_until=None, safety_licence_valid_until=None)
    )
    assert verdict.ok


# --- guard: not_future -------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), LEGAL)
@pytest.mark.parametrize(
    ("effective", "ok"),
    [
        (TODAY - timedelta(days=365), True),
        (TODAY, True),
        (TODAY + timedelta(days=1), False),
    ],
)
def test_effective_date_not_in_future(current: str, target: str, effective: date, ok: bool) -> None:
    verdict = check_status_change(facts(current, target, effective_date=effective))
    if ok:
        assert verdict.ok
    else:
        assert verdict.codes == ("mine_status.effective_date_future",)
        assert verdict.reasons[0].field == "effective_date"


def test_all_guard_failures_reported_together() -> None:
    verdict = check_status_change(
        facts(
            "rectification",
            "production",
            reason="",
            document_no="",
            effective_date=TODAY + timedelta(days=1),
            mining_licence_valid_until=None,
            safety_licence_valid_until=TODAY,  # expired on the (future) effective date
        )
    )
    assert verdict.codes == (
        "mine_status.reason_required",
        "mine_status.document_required",
        "mine_status.mining_licence",
        "mine_status.safety_licence",
        "mine_status.effective_date_future",
    )
    assert set(verdict.field_errors()) == {"reason", "document_no", "target", "effective_date"}


def test_tailings_pond_returns_to_production_without_a_mining_licence() -> None:
    """A tailings pond has no 采矿许可证 of its own; its 安全生产许可证 is still required."""
    from datetime import date

    from minesafe.rules.mine_status import StatusChangeFacts, check_status_change

    base = {"current": "rectification", "target": "production", "reason": "复产验收合格",
            "document_no": "验〔2026〕1号",
            "effective_date": date(2026, 11, 1), "today": date(2026, 11, 23), "mining_licence_valid_until": None}
    ok = check_status_change(StatusChangeFacts(**base, safety_licence_valid_until=date(2027, 1, 1),
                                               mining_licence_required=False))
    assert ok.ok
    refused = check_status_change(StatusChangeFacts(**base, safety_licence_valid_until=None,
                                                    mining_licence_required=False))
    assert refused.codes == ("mine_status.safety_licence",)
    coal = check_status_change(StatusChangeFacts(**base, safety_licence_valid_until=date(2027, 1, 1)))
    assert coal.codes == ("mine_status.mining_licence",)


def test_change_cannot_take_effect_before_the_current_status() -> None:
    from datetime import date

    from minesafe.rules.mine_status import StatusChangeFacts, check_status_change

    facts = StatusChangeFacts(current="production", target="rectification", reason="隐患", document_no="文1号",
                              effective_date=date(2026, 3, 1), today=date(2026, 11, 23),
                              mining_licence_valid_until=None, safety_licence_valid_until=None,
                              status_since=date(2026, 3, 2))
    assert check_status_change(facts).codes == ("mine_status.before_current",)
    same_day = StatusChangeFacts(**{**facts.__dict__, "effective_date": date(2026, 3, 2)})
    assert check_status_change(same_day).ok


def test_resumption_cannot_be_backdated_past_a_licence_expiry() -> None:
    """Licences must be valid on the effective date and today (DOMAIN §1.1 无证照从事生产)."""
    from datetime import date

    from minesafe.rules.mine_status import StatusChangeFacts, check_status_change

    facts = StatusChangeFacts(current="rectification", target="production", reason="复产验收", document_no="验1号",
                              effective_date=date(2026, 2, 27), today=date(2026, 11, 23),
                              mining_licence_valid_until=date(2030, 1, 1),
                              safety_licence_valid_until=date(2026, 2, 28))
    assert check_status_change(facts).codes == ("mine_status.safety_licence",)


def test_initial_production_status_needs_valid_licences() -> None:
    from datetime import date

    from minesafe.rules.mine_status import check_initial_status

    today = date(2026, 11, 23)
    assert check_initial_status("construction", today=today, mining_licence_valid_until=None,
                                safety_licence_valid_until=None).ok
    refused = check_initial_status("production", today=today, mining_licence_valid_until=None,
                                   safety_licence_valid_until=date(2027, 1, 1))
    assert refused.codes == ("mine_status.mining_licence",) and refused.reasons[0].field == "status"
    assert check_initial_status("production", today=today, mining_licence_valid_until=None,
                                safety_licence_valid_until=date(2027, 1, 1), mining_licence_required=False).ok
    assert check_initial_status("bogus", today=today, mining_licence_valid_until=None,
                                safety_licence_valid_until=None).codes == ("mine_status.unknown_target",)
