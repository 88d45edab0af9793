"""Mine status machine: which status changes are legal, and what each change needs.

The table :data:`TRANSITIONS` is data: ``{current: {target: (guard, ...)}}``. A guard is
a named precondition evaluated by :func:`check_status_change`:

- ``reason_required``: a free-text reason is recorded for every change;
- ``document_required``: a document number is required — the 责令停产整顿 order
  (seed-002 §三; DOMAIN HM-5/HM-7), the closure decision (DOMAIN §1.1 closure
  triggers), or, for rectification → production, the 复产验收 acceptance document
  (DOMAIN §2.2 Art. 48; seed-004 三(六) item 27);
- ``licences_valid``: both 采矿许可证 and 安全生产许可证 present and valid on the
  effective date before (re)entering production (无证照或者证照不全从事生产 is a
  closure trigger, DOMAIN §1.1 [V] S8);
- ``not_future``: the effective date is not after today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .licences import STATE_EXPIRED, STATE_MISSING, licence_state
from .sources import cite
from .types import Reason, Verdict

__all__ = [
    "CLOSED",
    "CONSTRUCTION",
    "GUARDS",
    "GUARD_DOCUMENT_REQUIRED",
    "GUARD_LICENCES_VALID",
    "GUARD_NOT_FUTURE",
    "GUARD_REASON_REQUIRED",
    "MINE_STATUSES",
    "MINE_STATUS_LABELS",
    "PRODUCTION",
    "RECTIFICATION",
    "SUSPENDED",
    "TRANSITIONS",
    "StatusChangeFacts",
    "allowed_targets",
    "check_status_change",
    "guards_for",
]

CONSTRUCTION = "construction"
PRODUCTION = "production"
RECTIFICATION = "rectification"
SUSPENDED = "suspended"
CLOSED = "closed"

MINE_STATUSES = (CONSTRUCTION, PRODUCTION, RECTIFICATION, SUSPENDED, CLOSED)

MINE_STATUS_LABELS: dict[str, str] = {
    CONSTRUCTION: "建设",
    PRODUCTION: "生产",
    RECTIFICATION: "停产整顿",
    SUSPENDED: "长期停产",
    CLOSED: "关闭",
}

GUARD_REASON_REQUIRED = "reason_required"
GUARD_DOCUMENT_REQUIRED = "document_required"
GUARD_LICENCES_VALID = "licences_valid"
GUARD_NOT_FUTURE = "not_future"
GUARDS = (GUARD_REASON_REQUIRED, GUARD_DOCUMENT_REQUIRED, GUARD_LICENCES_VALID, GUARD_NOT_FUTURE)

_R, _D, _L, _F = GUARD_REASON_REQUIRED, GUARD_DOCUMENT_REQUIRED, GUARD_LICENCES_VALID, GUARD_NOT_FUTURE

TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    CONSTRUCTION: {
        PRODUCTION: (_R, _L, _F),
        RECTIFICATION: (_R, _D, _F),
        SUSPENDED: (_R, _F),
        CLOSED: (_R, _D, _F),
    },
    PRODUCTION: {
        RECTIFICATION: (_R, _D, _F),
        SUSPENDED: (_R, _F),
        CLOSED: (_R, _D, _F),
    },
    RECTIFICATION: {
        PRODUCTION: (_R, _D, _L, _F),  # needs the 复产验收 acceptance document
        SUSPENDED: (_R, _F),
        CLOSED: (_R, _D, _F),
    },
    SUSPENDED: {
        PRODUCTION: (_R, _L, _F),
        RECTIFICATION: (_R, _D, _F),
        CLOSED: (_R, _D, _F),
    },
    CLOSED: {},  # terminal
}

_CITE_HALT = cite(
    "seed-002",
    "三",
    "晋安办发〔2024〕94号 三：隐蔽工作面作业等行为依法依规责令停产整顿; see DOMAIN HM-5/HM-7",
)
_CITE_HALT_HM5 = cite("DOMAIN", "HM-5", "重大事故隐患仍生产 → 停产整顿 [V] S1, S8")
_CITE_CLOSURE = cite(
    "DOMAIN",
    "§1.1",
    "Closure triggers: 无证照或者证照不全从事生产; 3个月内2次及以上发现重大事故隐患仍生产 → 提请关闭 [V] S8",
)
_CITE_RESUMPTION = cite(
    "DOMAIN",
    "§2.2",
    "煤矿安全生产条例 Art. 48: 停产整顿后复产须经验收 [V] S1; also seed-004 三(六) item 27 严格组织验收",
)
_CITE_LICENCES = cite(
    "DOMAIN",
    "§1.1",
    "无证照或者证照不全从事生产 is a closure trigger [V] S8; seed-004 三(三) item 13",
)


@dataclass(frozen=True)
class StatusChangeFacts:
    """Everything :func:`check_status_change` needs; ``today`` is passed in, never read from a clock."""

    current: str
    target: str
    reason: str
    document_no: str
    effective_date: date
    today: date
    mining_licence_valid_until: date | None
    safety_licence_valid_until: date | None
    # False for sectors without a mining right of their own (tailings ponds): see SectorProfile.
    mining_licence_required: bool = True
    # Date the current status took effect; a change cannot take effect before it (keeps the history
    # in order and stops back-dating a resumption to a day the licences were still valid).
    status_since: date | None = None


def allowed_targets(current: str) -> tuple[str, ...]:
    """Statuses reachable from ``current`` per :data:`TRANSITIONS` (empty for closed).

    Raises ValueError for an unknown status.
    """
    if current not in TRANSITIONS:
        raise ValueError(f"unknown mine status {current!r}")
    return tuple(TRANSITIONS[current])


def guards_for(current: str, target: str) -> tuple[str, ...]:
    """Guard names of a legal transition; raises ValueError if the transition is not in the table."""
    try:
        return TRANSITIONS[current][target]
    except KeyError:
        raise ValueError(f"no transition {current!r} -> {target!r}") from None


def _label(status: str) -> str:
    return MINE_STATUS_LABELS.get(status, status)


def _document_reason(current: str, target: str) -> Reason:
    if target == RECTIFICATION:
        return Reason(
            "mine_status.document_required",
            "变更为停产整顿须填写责令停产整顿的执法文书编号",
            "document_no",
            _CITE_HALT,
        )
    if target == CLOSED:
        return Reason(
            "mine_status.document_required",
            "变更为关闭须填写关闭决定的文书编号",
            "document_no",
            _CITE_CLOSURE,
        )
    if current == RECTIFICATION and target == PRODUCTION:
        return Reason(
            "mine_status.document_required",
            "停产整顿矿山恢复生产须填写复产验收文书编号",
            "document_no",
            _CITE_RESUMPTION,
        )
    return Reason(
        "mine_status.document_required",
        "此次状态变更须填写文书编号",
        "document_no",
        _CITE_HALT_HM5,
    )


def _licence_reasons(facts: StatusChangeFacts) -> list[Reason]:
    reasons: list[Reason] = []
    licences = [("mine_status.safety_licence", "安全生产许可证", facts.safety_licence_valid_until)]
    if facts.mining_licence_required:
        licences.insert(0, ("mine_status.mining_licence", "采矿许可证", facts.mining_licence_valid_until))
    for code, name, valid_until in licences:
        # Valid on the effective date *and* today: producing is a present fact, so a resumption
        # cannot be back-dated to a day before the licence expired.
        for on in (facts.effective_date, facts.today):
            state = licence_state(valid_until, on)
            if state in (STATE_MISSING, STATE_EXPIRED):
                break
        if state == STATE_MISSING:
            message = f"缺少{name}，不得变更为生产状态（无证照或者证照不全从事生产的，应依法提请关闭）"
        elif state == STATE_EXPIRED:
            message = (
                f"{name}有效期至 {valid_until}，在 {on} 已过期，不得变更为生产状态"
            )
        else:
            continue
        reasons.append(Reason(code, message, "target", _CITE_LICENCES))
    return reasons


def check_status_change(facts: StatusChangeFacts) -> Verdict:
    """Check a requested status change against :data:`TRANSITIONS` and its guards.

    Sources: halt orders seed-002 §三, DOMAIN HM-5/HM-7; closure DOMAIN §1.1; resumption
    acceptance DOMAIN §2.2 (条例 Art. 48); licences DOMAIN §1.1. Reason codes:
    mine_status.unknown_current, .unknown_target, .same_status, .transition_not_allowed,
    .reason_required, .document_required, .mining_licence, .safety_licence, .effective_date_future,
    .before_current.
    """
    if facts.current not in TRANSITIONS:
        return Verdict.deny(Reason("mine_status.unknown_current", f"当前矿山状态“{facts.current}”无效", None))
    if facts.target not in TRANSITIONS:
        return Verdict.deny(
            Reason("mine_status.unknown_target", f"目标矿山状态“{facts.target}”无效", "target")
        )
    if facts.target == facts.current:
        return Verdict.deny(
            Reason("mine_status.same_status", f"矿山当前已是“{_label(facts.current)}”状态", "target")
        )
    if facts.target not in TRANSITIONS[facts.current]:
        if facts.current == CLOSED:
            message = "已关闭的矿山不能再变更状态"
            citation = _CITE_CLOSURE
        else:
            message = f"矿山状态不能从“{_label(facts.current)}”变更为“{_label(facts.target)}”"
            citation = None
        return Verdict.deny(Reason("mine_status.transition_not_allowed", message, "target", citation))

    reasons: list[Reason] = []
    if facts.status_since is not None and facts.effective_date < facts.status_since:
        reasons.append(Reason(
            "mine_status.before_current",
            f"生效日期 {facts.effective_date} 早于当前状态的起始日期 {facts.status_since}",
            "effective_date",
        ))
    for guard in TRANSITIONS[facts.current][facts.target]:
        if guard == GUARD_REASON_REQUIRED:
            if not facts.reason.strip():
                reasons.append(Reason("mine_status.reason_required", "请填写状态变更原因", "reason"))
        elif guard == GUARD_DOCUMENT_REQUIRED:
            if not facts.document_no.strip():
                reasons.append(_document_reason(facts.current, facts.target))
        elif guard == GUARD_LICENCES_VALID:
            reasons.extend(_licence_reasons(facts))
        elif guard == GUARD_NOT_FUTURE:
            if facts.effective_date > facts.today:
                reasons.append(
                    Reason(
                        "mine_status.effective_date_future",
                        f"生效日期 {facts.effective_date} 不能晚于今天（{facts.today}）",
                        "effective_date",
                    )
                )
        else:  # pragma: no cover - guarded by a test over TRANSITIONS
            raise ValueError(f"unknown guard {guard!r}")
    return Verdict(tuple(reasons))


def check_initial_status(
    status: str,
    *,
    today: date,
    mining_licence_valid_until: date | None,
    safety_licence_valid_until: date | None,
    mining_licence_required: bool = True,
) -> Verdict:
    """A mine registered directly in "production" must hold valid licences today, as a change into
    production would (DOMAIN §1.1: 无证照或者证照不全从事生产 is a closure trigger). Other initial
    statuses record the facts found at registration and need no guard."""
    if status not in TRANSITIONS:
        return Verdict.deny(Reason("mine_status.unknown_target", f"矿山状态“{status}”无效", "status"))
    if status != PRODUCTION:
        return Verdict.allow()
    facts = StatusChangeFacts(
        current=CONSTRUCTION, target=PRODUCTION, reason="-", document_no="-", effective_date=today, today=today,
        mining_licence_valid_until=mining_licence_valid_until,
        safety_licence_valid_until=safety_licence_valid_until, mining_licence_required=mining_licence_required,
    )
    return Verdict(tuple(Reason(r.code, r.message, "status", r.citation) for r in _licence_reasons(facts)))
