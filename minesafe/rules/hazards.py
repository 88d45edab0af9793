"""Major-hazard ledger (重大事故隐患台账) rules: lifecycle, 五落实, deadlines and escalation.

- Lifecycle (:data:`HAZARD_TRANSITIONS`, data like :mod:`minesafe.rules.mine_status`):
  已登记 → 整改中 (needs a complete 五落实 plan) → 待验收销号 (the enterprise applies with
  evidence) → 已销号 (the regulator verifies on site or by document), or back to 整改中 when
  verification is rejected (reason required). 已销号 is terminal. Sources: seed-004 三(二)
  items 9–10 (台账, 五落实, 审核把关销号, 现场复核); DOMAIN §10 (挂牌督办 flow, 五落实).
- Deciding rules return a :class:`Decision` that records the rule name and the rule version
  applied, so a stored decision can be replayed with :func:`replay`. The per-rule versions are in
  :data:`RULE_VERSIONS`; parameters (window length, grace days) live in version-keyed tables.

Sector codes for the self-inspection period: the mine sectors of
:mod:`minesafe.rules.mine_attributes` plus ``"industry_trade"`` (工贸) and ``"metal_smelting"``
(金属冶炼), which exist only in this module.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .hazard_standards import category_family
from .mine_attributes import SECTORS as MINE_SECTORS
from .sources import cite
from .types import Citation, Reason, Verdict

__all__ = [
    "ACTION_APPLY_FOR_CLOSURE",
    "ACTION_REJECT_CLOSURE",
    "ACTION_START_RECTIFICATION",
    "ACTION_VERIFY_CLOSURE",
    "CLOSURE_WINDOWS",
    "ESCALATION_GRACE_DAYS",
    "HAZARD_ACTIONS",
    "HAZARD_ACTION_GUARDS",
    "HAZARD_ACTION_LABELS",
    "HAZARD_AWAITING_VERIFICATION",
    "HAZARD_CLOSED",
    "HAZARD_RECTIFYING",
    "HAZARD_REGISTERED",
    "HAZARD_SOURCES",
    "HAZARD_SOURCE_LABELS",
    "HAZARD_STATUSES",
    "HAZARD_STATUS_LABELS",
    "HAZARD_TRANSITIONS",
    "INDUSTRY_TRADE",
    "INSPECTION_PERIODS",
    "INSPECTION_PERIOD_CITATIONS",
    "METAL_SMELTING",
    "NOTIFY_CITATION",
    "NOTIFY_TARGET_LABELS",
    "PERIOD_MONTH",
    "PERIOD_QUARTER",
    "RULESET_VERSION",
    "RULE_VERSIONS",
    "SOURCE_INSPECTION",
    "SOURCE_MONITORING",
    "SOURCE_SELF_CHECK",
    "SOURCE_TIP_OFF",
    "VERIFICATION_METHODS",
    "VERIFY_BY_DOCUMENT",
    "VERIFY_ON_SITE",
    "Decision",
    "FivePlan",
    "HazardActionFacts",
    "add_months",
    "allowed_hazard_actions",
    "check_extension",
    "check_five_in_place",
    "check_hazard_action",
    "closure_proposal",
    "effective_deadline",
    "escalation_suggestion",
    "inspection_period",
    "is_overdue",
    "missing_self_inspections",
    "next_hazard_status",
    "notify_on_new_hazard",
    "overdue_days",
    "penalty_recommendation",
    "period_key",
    "recurrence",
    "replay",
    "within_closure_window",
]

# --- decisions and versions ----------------------------------------------------------------

RULESET_VERSION = "hazards-2024.1"

# Rule name -> version the public function applies today. Older versions stay callable through
# replay() so that a stored Decision can be re-evaluated with the rule it was made under.
RULE_VERSIONS: dict[str, str] = {
    "penalty_recommendation": "2024.1",
    "closure_proposal": "2026.1",
    "recurrence": "2024.1",
    "escalation_suggestion": "2024.1",
}


@dataclass(frozen=True)
class Decision:
    """Outcome of a deciding rule, with the rule version it was made under.

    ``details`` holds JSON-serialisable facts behind the decision (dates as ISO strings).
    """

    code: str
    message: str  # Chinese, shown to users
    rule: str
    rule_version: str
    citation: Citation
    details: dict[str, Any] = field(default_factory=dict, hash=False)


# --- lifecycle -----------------------------------------------------------------------------

HAZARD_REGISTERED = "registered"
HAZARD_RECTIFYING = "rectifying"
HAZARD_AWAITING_VERIFICATION = "awaiting_verification"
HAZARD_CLOSED = "closed"
HAZARD_STATUSES = (HAZARD_REGISTERED, HAZARD_RECTIFYING, HAZARD_AWAITING_VERIFICATION, HAZARD_CLOSED)

HAZARD_STATUS_LABELS: dict[str, str] = {
    HAZARD_REGISTERED: "已登记",
    HAZARD_RECTIFYING: "整改中",
    HAZARD_AWAITING_VERIFICATION: "待验收销号",
    HAZARD_CLOSED: "已销号",
}

ACTION_START_RECTIFICATION = "start_rectification"
ACTION_APPLY_FOR_CLOSURE = "apply_for_closure"
ACTION_VERIFY_CLOSURE = "verify_closure"
ACTION_REJECT_CLOSURE = "reject_closure"
HAZARD_ACTIONS = (
    ACTION_START_RECTIFICATION,
    ACTION_APPLY_FOR_CLOSURE,
    ACTION_VERIFY_CLOSURE,
    ACTION_REJECT_CLOSURE,
)

HAZARD_ACTION_LABELS: dict[str, str] = {
    ACTION_START_RECTIFICATION: "开始整改",
    ACTION_APPLY_FOR_CLOSURE: "申请验收销号",
    ACTION_VERIFY_CLOSURE: "验收通过并销号",
    ACTION_REJECT_CLOSURE: "验收不通过",
}

# status -> {action: next status}. Closed is terminal.
HAZARD_TRANSITIONS: dict[str, dict[str, str]] = {
    HAZARD_REGISTERED: {ACTION_START_RECTIFICATION: HAZARD_RECTIFYING},
    HAZARD_RECTIFYING: {ACTION_APPLY_FOR_CLOSURE: HAZARD_AWAITING_VERIFICATION},
    HAZARD_AWAITING_VERIFICATION: {
        ACTION_VERIFY_CLOSURE: HAZARD_CLOSED,
        ACTION_REJECT_CLOSURE: HAZARD_RECTIFYING,
    },
    HAZARD_CLOSED: {},
}

GUARD_FIVE_IN_PLACE = "five_in_place"
GUARD_EVIDENCE = "evidence"
GUARD_VERIFICATION_METHOD = "verification_method"
GUARD_REASON = "reason"

# action -> guards evaluated by check_hazard_action()
HAZARD_ACTION_GUARDS: dict[str, tuple[str, ...]] = {
    ACTION_START_RECTIFICATION: (GUARD_FIVE_IN_PLACE,),
    ACTION_APPLY_FOR_CLOSURE: (GUARD_EVIDENCE,),
    ACTION_VERIFY_CLOSURE: (GUARD_VERIFICATION_METHOD,),
    ACTION_REJECT_CLOSURE: (GUARD_REASON,),
}

VERIFY_ON_SITE = "on_site"
VERIFY_BY_DOCUMENT = "document"
VERIFICATION_METHODS: dict[str, str] = {VERIFY_ON_SITE: "现场核查", VERIFY_BY_DOCUMENT: "书面审查"}

_CITE_LEDGER = cite(
    "seed-004",
    "三(二)",
    "非煤矿山方案 第9项：对排查发现的重大事故隐患要建立台账，由主要负责人跟踪督办，确保责任、措施、资金、期限和"
    "应急预案落实到位，逐一整改销号",
)
_CITE_FIVE = cite("DOMAIN", "§10", "五落实：责任、措施、资金、时限、预案全部落实 [V] S41, S42, S43")
_CITE_CLOSE_OUT = cite(
    "seed-004",
    "三(二)",
    "非煤矿山方案 第10项：建立审核把关销号机制，强化现场复核；DOMAIN §10 挂牌督办流程：整改完成后企业申请，"
    "现场审查后销号 [V] S41, S43",
)
_CITE_OVERDUE = cite(
    "DOMAIN",
    "§10",
    "挂牌督办：逾期未完成整改的，书面说明情况，隐患继续挂账 [V] S41, S43；延期审批规则为 MineSafe 政策",
)


def allowed_hazard_actions(status: str) -> tuple[str, ...]:
    """Actions allowed from ``status`` per :data:`HAZARD_TRANSITIONS` (seed-004 三(二) items 9–10).

    Empty for a closed hazard; raises ValueError for an unknown status.
    """
    if status not in HAZARD_TRANSITIONS:
        raise ValueError(f"unknown hazard status {status!r}")
    return tuple(HAZARD_TRANSITIONS[status])


def next_hazard_status(status: str, action: str) -> str:
    """Status after ``action`` (seed-004 三(二) items 9–10; DOMAIN §10); ValueError if illegal."""
    if status not in HAZARD_TRANSITIONS:
        raise ValueError(f"unknown hazard status {status!r}")
    try:
        return HAZARD_TRANSITIONS[status][action]
    except KeyError:
        raise ValueError(f"action {action!r} is not allowed from hazard status {status!r}") from None


# --- 五落实 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FivePlan:
    """The 五落实 rectification plan: 责任, 措施, 资金, 时限, 预案 (DOMAIN §10)."""

    responsible_person: str  # 责任
    measures: str  # 措施
    funds_yuan: Decimal | None  # 资金 (元); 0 allowed for management-only measures
    deadline: date | None  # 时限
    contingency_plan: str  # 预案


def check_five_in_place(plan: FivePlan, *, found_on: date, today: date) -> Verdict:
    """Check that every element of the 五落实 plan is in place.

    Sources: DOMAIN §10 (责任、措施、资金、时限、预案 [V] S41–S43); seed-004 三(二) item 9.
    ``today`` is the day the plan is recorded. Rules: all five present; funds a finite amount
    ≥ 0 (0 = management-only measures); deadline not before ``found_on`` nor before ``today``;
    ``found_on`` not after ``today``. Reason codes: hazard.plan.responsible_person,
    .measures, .funds, .funds_invalid, .deadline, .deadline_before_found, .deadline_past,
    .contingency_plan, hazard.found_on_future.
    """
    reasons: list[Reason] = []
    if found_on > today:
        reasons.append(
            Reason("hazard.found_on_future", f"发现日期 {found_on} 不能晚于今天（{today}）", "found_on")
        )
    if not plan.responsible_person.strip():
        reasons.append(
            Reason(
                "hazard.plan.responsible_person",
                "请填写整改责任人（五落实：责任落实）",
                "responsible_person",
                _CITE_FIVE,
            )
        )
    if not plan.measures.strip():
        reasons.append(
            Reason("hazard.plan.measures", "请填写整改措施（五落实：措施落实）", "measures", _CITE_FIVE)
        )
    funds = plan.funds_yuan
    if funds is None:
        reasons.append(
            Reason(
                "hazard.plan.funds",
                "请填写整改资金（五落实：资金落实；仅需管理措施的可填0）",
                "funds_yuan",
                _CITE_FIVE,
            )
        )
    elif isinstance(funds, bool) or not isinstance(funds, Decimal | int) or not Decimal(funds).is_finite() or funds < 0:
        reasons.append(
            Reason("hazard.plan.funds_invalid", "整改资金应为不小于0的有效金额（元）", "funds_yuan", _CITE_FIVE)
        )
    if plan.deadline is None:
        reasons.append(
            Reason("hazard.plan.deadline", "请填写整改时限（五落实：时限落实）", "deadline", _CITE_FIVE)
        )
    elif plan.deadline < found_on:
        reasons.append(
            Reason(
                "hazard.plan.deadline_before_found",
                f"整改时限 {plan.deadline} 不能早于隐患发现日期 {found_on}",
                "deadline",
                _CITE_FIVE,
            )
        )
    elif plan.deadline < today:
        reasons.append(
            Reason(
                "hazard.plan.deadline_past",
                f"整改时限 {plan.deadline} 已过（今天是 {today}），请重新确定整改时限",
                "deadline",
                _CITE_FIVE,
            )
        )
    if not plan.contingency_plan.strip():
        reasons.append(
            Reason(
                "hazard.plan.contingency_plan",
                "请填写整改期间的应急预案或安全措施（五落实：预案落实）",
                "contingency_plan",
                _CITE_FIVE,
            )
        )
    return Verdict(tuple(reasons))


@dataclass(frozen=True)
class HazardActionFacts:
    """Everything :func:`check_hazard_action` needs; ``today`` is passed in, never read from a clock."""

    status: str
    action: str
    found_on: date
    today: date
    plan: FivePlan | None = None  # start_rectification
    evidence: tuple[str, ...] = ()  # apply_for_closure: attachment ids or descriptions
    verification_method: str = ""  # verify_closure: "on_site" / "document"
    reason: str = ""  # reject_closure


def check_hazard_action(facts: HazardActionFacts) -> Verdict:
    """Check a lifecycle action against :data:`HAZARD_TRANSITIONS` and :data:`HAZARD_ACTION_GUARDS`.

    Sources: seed-004 三(二) items 9–10 (台账、五落实、审核把关销号、现场复核); DOMAIN §10
    (五落实; 挂牌督办 flow: apply → site review → close out, or stay listed). Reason codes:
    hazard.unknown_status, hazard.action_not_allowed, hazard.plan.missing (plus the
    hazard.plan.* codes of :func:`check_five_in_place`), hazard.evidence_required,
    hazard.verification_method, hazard.reason_required.
    """
    if facts.status not in HAZARD_TRANSITIONS:
        return Verdict.deny(Reason("hazard.unknown_status", f"隐患状态“{facts.status}”无效", None))
    if facts.action not in HAZARD_TRANSITIONS[facts.status]:
        label = HAZARD_STATUS_LABELS[facts.status]
        action = HAZARD_ACTION_LABELS.get(facts.action, facts.action)
        if facts.status == HAZARD_CLOSED:
            message = "已销号的重大事故隐患不能再变更"
        else:
            message = f"隐患处于“{label}”状态，不能执行“{action}”"
        return Verdict.deny(Reason("hazard.action_not_allowed", message, "action", _CITE_LEDGER))

    reasons: list[Reason] = []
    for guard in HAZARD_ACTION_GUARDS[facts.action]:
        if guard == GUARD_FIVE_IN_PLACE:
            if facts.plan is None:
                reasons.append(
                    Reason("hazard.plan.missing", "开始整改前须制定“五落实”整改方案", "plan", _CITE_LEDGER)
                )
            else:
                reasons.extend(check_five_in_place(facts.plan, found_on=facts.found_on, today=facts.today).reasons)
        elif guard == GUARD_EVIDENCE:
            if not any(item.strip() for item in facts.evidence):
                reasons.append(
                    Reason(
                        "hazard.evidence_required",
                        "申请验收销号须提交整改完成的佐证材料",
                        "evidence",
                        _CITE_CLOSE_OUT,
                    )
                )
        elif guard == GUARD_VERIFICATION_METHOD:
            if facts.verification_method not in VERIFICATION_METHODS:
                reasons.append(
                    Reason(
                        "hazard.verification_method",
                        "请选择验收方式：现场核查或书面审查",
                        "verification_method",
                        _CITE_CLOSE_OUT,
                    )
                )
        elif guard == GUARD_REASON:
            if not facts.reason.strip():
                reasons.append(
                    Reason("hazard.reason_required", "验收不通过须填写原因", "reason", _CITE_CLOSE_OUT)
                )
        else:  # pragma: no cover - guarded by a test over HAZARD_ACTION_GUARDS
            raise ValueError(f"unknown guard {guard!r}")
    return Verdict(tuple(reasons))


# --- deadlines -----------------------------------------------------------------------------


def effective_deadline(original: date, extensions: Sequence[date]) -> date:
    """The deadline in force: the latest of the original and the approved extensions (DOMAIN §10).

    Extensions are approved only when later than the deadline they replace
    (:func:`check_extension`), so the latest date is also the most recently approved one.
    """
    return max((original, *extensions))


def is_overdue(status: str, deadline: date | None, today: date, *, applied_on: date | None = None) -> bool:
    """True when a hazard is not closed and ``today`` is after its deadline (DOMAIN §10).

    The deadline day itself is not overdue; no deadline (not yet planned) is never overdue.
    ``applied_on``: the day the enterprise applied for close-out (销号), for a hazard awaiting
    verification. An application made on or before the deadline stops the clock: the
    rectification was reported done in time and the verification is the regulator's step
    (MineSafe policy, DOMAIN §10 整改期限 is the enterprise's deadline; a late verification shows
    as "awaiting verification", not as the enterprise's overdue). A rejected application restarts
    the clock (the hazard is back under rectification). Raises ValueError for an unknown status.
    """
    if status not in HAZARD_TRANSITIONS:
        raise ValueError(f"unknown hazard status {status!r}")
    if status == HAZARD_CLOSED or deadline is None or today <= deadline:
        return False
    return not (status == HAZARD_AWAITING_VERIFICATION and applied_on is not None and applied_on <= deadline)


def overdue_days(deadline: date, today: date) -> int:
    """Whole days past the deadline (0 on or before it), the input of :func:`escalation_suggestion`."""
    return max(0, (today - deadline).days)


def check_extension(current_deadline: date, requested: date, reason: str, today: date) -> Verdict:
    """Check an application to extend a rectification deadline.

    Source: DOMAIN §10 (逾期未完成的，书面说明，继续挂账 [V] S41, S43); the extension conditions
    are MineSafe policy: a reason is required, the new date must be later than the current
    deadline, and the application must be made on or before the current deadline (after it
    the hazard is overdue and stays listed). Reason codes: hazard.extension.reason_required,
    hazard.extension.not_later, hazard.extension.after_deadline.
    """
    reasons: list[Reason] = []
    if not reason.strip():
        reasons.append(Reason("hazard.extension.reason_required", "申请延期须填写延期原因", "reason"))
    if requested <= current_deadline:
        reasons.append(
            Reason(
                "hazard.extension.not_later",
                f"申请的整改期限 {requested} 应晚于当前整改期限 {current_deadline}",
                "requested_deadline",
            )
        )
    if today > current_deadline:
        reasons.append(
            Reason(
                "hazard.extension.after_deadline",
                f"整改期限已于 {current_deadline} 届满，不能再申请延期；应书面说明逾期原因，隐患继续挂账督办",
                None,
                _CITE_OVERDUE,
            )
        )
    return Verdict(tuple(reasons))


# --- penalty recommendation ----------------------------------------------------------------

SOURCE_SELF_CHECK = "self_check"
SOURCE_INSPECTION = "inspection"
SOURCE_TIP_OFF = "tip_off"
SOURCE_MONITORING = "monitoring"
HAZARD_SOURCES = (SOURCE_SELF_CHECK, SOURCE_INSPECTION, SOURCE_TIP_OFF, SOURCE_MONITORING)
HAZARD_SOURCE_LABELS: dict[str, str] = {
    SOURCE_SELF_CHECK: "企业自查",
    SOURCE_INSPECTION: "执法检查",
    SOURCE_TIP_OFF: "群众举报",
    SOURCE_MONITORING: "监测预警",
}

_CITE_SELF_CHECK = cite(
    "seed-002",
    "五",
    "晋安办发〔2024〕94号 五：坚持“企业自查自改不罚，执法检查发现重罚”；seed-004 三(二) 非煤矿山方案 第11项："
    "自查发现且主动上报，已制定整改计划、正在整改或完成整改的重大隐患，原则上不予处罚",
)
_CITE_NOT_EXEMPT = cite(
    "seed-004",
    "三(二)",
    "非煤矿山方案 第11项：免罚限于自查发现且主动上报、已制定整改计划、正在整改或完成整改的重大隐患；"
    "未开展排查或者查出后拒不整改等导致重大事故隐患长期存在的，参照事故调查处理，依法依规严肃责任追究",
)
_CITE_HEAVY = cite(
    "seed-002",
    "五",
    "晋安办发〔2024〕94号 五：“企业自查自改不罚，执法检查发现重罚”；群众举报查实、监管监察部门检查发现的"
    "重大事故隐患同列（seed-004 三(二) 非煤矿山方案 第11项）",
)


def _penalty_recommendation_2024_1(*, source: str, self_reported_with_rectification: bool) -> Decision:
    if source not in HAZARD_SOURCES:
        raise ValueError(f"unknown hazard source {source!r}")
    details: dict[str, Any] = {
        "source": source,
        "self_reported_with_rectification": self_reported_with_rectification,
    }
    if source == SOURCE_SELF_CHECK and self_reported_with_rectification:
        return Decision(
            "no_penalty_in_principle",
            "企业自查发现并主动上报、已制定整改计划并正在整改或已完成整改的重大事故隐患，原则上不予处罚"
            "（企业自查自改不罚）",
            "penalty_recommendation",
            "2024.1",
            _CITE_SELF_CHECK,
            details,
        )
    if source == SOURCE_SELF_CHECK:
        return Decision(
            "penalty_per_law",
            "企业自查发现但未主动上报或未制定整改计划、未整改的重大事故隐患，不适用自查自改不罚，应依法处罚；"
            "查出后拒不整改导致隐患长期存在的，参照事故调查处理并严肃追责",
            "penalty_recommendation",
            "2024.1",
            _CITE_NOT_EXEMPT,
            details,
        )
    return Decision(
        "heavy_penalty",
        f"经{HAZARD_SOURCE_LABELS[source]}发现的重大事故隐患，按“执法检查发现重罚”依法从重处罚",
        "penalty_recommendation",
        "2024.1",
        _CITE_HEAVY,
        details,
    )


def penalty_recommendation(*, source: str, self_reported_with_rectification: bool) -> Decision:
    """Penalty recommendation by how the hazard was found (seed-002 §五; seed-004 三(二) item 11).

    - ``self_check`` reported by the enterprise with a rectification plan (rectifying or done)
      → ``no_penalty_in_principle`` (企业自查自改不罚);
    - ``self_check`` without that → ``penalty_per_law`` (no exemption);
    - ``inspection``, ``tip_off`` (verified), ``monitoring`` → ``heavy_penalty`` (执法检查发现重罚);
      the flag is ignored: the exemption needs the enterprise to have found the hazard itself.

    Raises ValueError for an unknown source.
    """
    return _penalty_recommendation_2024_1(
        source=source, self_reported_with_rectification=self_reported_with_rectification
    )


# --- closure proposal: 3个月内2次 -----------------------------------------------------------

# version -> (window in months, findings needed within the window)
CLOSURE_WINDOWS: dict[str, tuple[int, int]] = {"2024.1": (3, 2), "2026.1": (3, 2)}
# Whether a finding on the day exactly N months after another is still "within N months".
# 2024.1 said no (window end exclusive). 2026.1 counts the period as the Civil Code does: it starts
# the day after the first finding (Art. 201) and its last day is the corresponding day of the last
# month (Art. 202), so 2026-01-15 → 2026-04-15 is inside.
CLOSURE_WINDOW_END_INCLUSIVE: dict[str, bool] = {"2024.1": False, "2026.1": True}
_CITE_PERIOD = cite("民法典", "Art. 201–202", "按照月计算期间的，开始的当日不计入，自下一日开始计算；"
                    "到期月的对应日为期间的最后一日（对应日不存在的，为月末日）[U] 据通行文本，未与官方文本核对")

_CITE_CLOSURE = cite(
    "seed-004",
    "三(六)",
    "非煤矿山方案 第26项：3个月内2次或者2次以上发现有重大事故隐患仍然进行生产的，依法提请政府予以关闭；"
    "同一规则见 DOMAIN §1.1 硬措施 [V] S8、§2.2 煤矿安全生产条例 第七十条第（二）项 [V] S1",
)


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months, the day clamped to the month's end (DOMAIN §1.1 window).

    2025-11-30 + 3 → 2026-02-28; 2023-11-30 + 3 → 2024-02-29; 2024-03-31 − 1 → 2024-02-29.
    """
    years, month0 = divmod(d.month - 1 + n, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _closure_proposal(version: str, found_dates: Sequence[date], *, producing: bool, today: date
                      ) -> Decision | None:
    months, needed = CLOSURE_WINDOWS[version]
    inclusive = CLOSURE_WINDOW_END_INCLUSIVE[version]  # names the end in the details
    dates = sorted(found_dates)
    future = [d for d in dates if d > today]
    if future:
        raise ValueError(f"hazard found dates after today ({today.isoformat()}): {[d.isoformat() for d in future]}")
    if not producing:
        return None
    # The latest finding that completes a window, with every finding of the months before it.
    in_window: list[date] = []
    for j in range(len(dates) - 1, -1, -1):
        in_window = [d for d in dates[: j + 1] if within_closure_window(d, dates[j], version)]
        if len(in_window) >= needed:
            break
    else:
        return None
    first, last = in_window[0], in_window[-1]
    end = add_months(first, months)
    return Decision(
        "propose_closure",
        f"该矿山自 {first} 起3个月内（至 {last}）{len(in_window)}次被发现重大事故隐患，且仍在生产，"
        "应依法提请县级以上地方人民政府予以关闭",
        "closure_proposal",
        version,
        _CITE_CLOSURE,
        {
            "window_start": first.isoformat(),
            # 2024.1: the first day outside; 2026.1: the last day inside (民法典 Art. 202)
            ("window_end" if inclusive else "window_end_exclusive"): end.isoformat(),
            "found_in_window": [d.isoformat() for d in in_window],
            "months": months,
            "min_findings": needed,
        },
    )


def _closure_proposal_2024_1(found_dates: Sequence[date], *, producing: bool, today: date) -> Decision | None:
    return _closure_proposal("2024.1", found_dates, producing=producing, today=today)


def _closure_proposal_2026_1(found_dates: Sequence[date], *, producing: bool, today: date) -> Decision | None:
    decision = _closure_proposal("2026.1", found_dates, producing=producing, today=today)
    if decision is None:
        return None
    return Decision(decision.code, decision.message, decision.rule, decision.rule_version, decision.citation,
                    {**decision.details, "period_rule": str(_CITE_PERIOD)})


def within_closure_window(earlier: date, later: date, version: str | None = None) -> bool:
    """Whether a finding on ``later`` falls within the closure rule's months after one on ``earlier``
    (``version`` defaults to the rule version in force; see :func:`closure_proposal`)."""
    version = version or RULE_VERSIONS["closure_proposal"]
    months, _needed = CLOSURE_WINDOWS[version]
    end = add_months(earlier, months)
    return earlier <= later and (later <= end if CLOSURE_WINDOW_END_INCLUSIVE[version] else later < end)


def closure_proposal(found_dates: Sequence[date], *, producing: bool, today: date) -> Decision | None:
    """``propose_closure`` when major hazards were found 2+ times within 3 months and the mine still produces.

    Sources: seed-004 三(六) (非煤矿山方案 第26项); DOMAIN §1.1 (硬措施 closure trigger [V] S8) and
    §2.2 (煤矿安全生产条例 Art. 70(2) [V] S1); also DOMAIN HM-5.

    ``found_dates`` are the found-on dates of the mine's confirmed major hazards, one per
    hazard (two on the same day count twice). The window (version 2026.1): two findings d1 ≤ d2
    qualify when ``d2 <= add_months(d1, 3)`` — the period is counted as the Civil Code counts
    periods in months (民法典 Art. 201–202: it starts the day after d1 and ends on the
    corresponding day three months later, or that month's last day), so a finding exactly three
    calendar months later (2026-01-15 → 2026-04-15; 2025-11-30 → 2026-02-28, month-end clamped) is
    inside; version 2024.1 (replay only) held it outside. ``producing`` = the mine is producing
    when the decision is made (the rule targets a mine that keeps producing; the input is stored
    with the decision). Returns None when the rule does not fire; raises ValueError for a found
    date after ``today``.
    """
    return _closure_proposal_2026_1(found_dates, producing=producing, today=today)


# --- recurrence: 屡改屡犯 -------------------------------------------------------------------

_CITE_REPEAT = cite(
    "seed-004",
    "三(二)",
    "非煤矿山方案 第11项：对重大事故隐患反复出现、屡改屡犯的，依法提请关闭，并严肃追究企业实际控制人责任，"
    "有上级公司的，要严肃倒查上级公司主要负责人责任；seed-002 五：同类重大事故隐患反复出现、屡改屡犯、弄虚作假的，"
    "要依法从重处罚，并从严追究企业主要负责人责任",
)


def _recurrence_2024_1(
    category_code: str, history: Sequence[tuple[str, date | None]], found_on: date
) -> Decision | None:
    family = category_family(category_code)
    prior = sorted(
        closed_on
        for code, closed_on in history
        if closed_on is not None and closed_on < found_on and category_family(code) == family
    )
    if not prior:
        return None
    return Decision(
        "repeat_offence",
        f"同类重大事故隐患（{category_code}）已于 {prior[-1]} 整改销号后再次出现，属反复出现、屡改屡犯："
        "依法从重处罚，严肃追究企业主要负责人和实际控制人责任，有上级公司的倒查上级公司主要负责人责任，"
        "并依法提请关闭",
        "recurrence",
        "2024.1",
        _CITE_REPEAT,
        {
            "category_code": category_code,
            "category_family": family,
            "found_on": found_on.isoformat(),
            "prior_closed_on": [d.isoformat() for d in prior],
            "prior_closures": len(prior),
            "heavy_penalty": True,
            "accountable": ["principal", "actual_controller", "parent_company_principal"],
            "propose_closure": True,
        },
    )


def recurrence(category_code: str, history: Sequence[tuple[str, date | None]], found_on: date) -> Decision | None:
    """``repeat_offence`` when a hazard of the same category was closed at this mine before ``found_on``.

    Sources: seed-002 §五 (同类重大事故隐患反复出现、屡改屡犯 → 从重处罚, 追究主要负责人, 倒查上级公司);
    seed-004 三(二) item 11 (屡改屡犯 → 提请关闭, 追究实际控制人, 倒查上级公司主要负责人).

    ``history`` = (category code, closed_on or None) of the mine's earlier hazards. Categories
    match across standard versions via :func:`minesafe.rules.hazard_standards.category_family`.
    One earlier closure with ``closed_on < found_on`` is enough; a hazard closed the same day, or
    still open, is not a recurrence. Returns None when the rule does not fire.
    """
    return _recurrence_2024_1(category_code, history, found_on)


# --- escalation of overdue hazards ---------------------------------------------------------

# version -> days overdue tolerated before suggesting 挂牌督办 (0 = on the first overdue day).
# A MineSafe policy figure, not a regulatory one.
ESCALATION_GRACE_DAYS: dict[str, int] = {"2024.1": 0}

_CITE_LISTING = cite(
    "DOMAIN",
    "§10",
    "挂牌督办：政府安委会或部门挂牌 → 企业按五落实整改 → 督办单位跟踪 → 销号 [V] S41, S43；"
    "逾期即建议挂牌为 MineSafe 政策（阈值见 ESCALATION_GRACE_DAYS）",
)
_CITE_SLOW_PROGRESS = cite(
    "seed-004",
    "三(二)",
    "非煤矿山方案 第10项：严格执行重大生产安全事故隐患治理挂牌督办办法；对进展缓慢的及时采取函告、通报、约谈、"
    "曝光等措施",
)


def _escalation_suggestion_2024_1(*, overdue_days: int, listed: bool) -> Decision | None:
    grace = ESCALATION_GRACE_DAYS["2024.1"]
    if overdue_days <= grace:
        return None
    details: dict[str, Any] = {"overdue_days": overdue_days, "listed": listed, "grace_days": grace}
    if not listed:
        return Decision(
            "suggest_listing",
            f"重大事故隐患已逾期{overdue_days}天未完成整改，建议挂牌督办",
            "escalation_suggestion",
            "2024.1",
            _CITE_LISTING,
            details,
        )
    return Decision(
        "suggest_further_measures",
        f"已挂牌督办的重大事故隐患逾期{overdue_days}天仍未完成整改，建议采取函告、通报、约谈、曝光等措施",
        "escalation_suggestion",
        "2024.1",
        _CITE_SLOW_PROGRESS,
        details,
    )


def escalation_suggestion(*, overdue_days: int, listed: bool) -> Decision | None:
    """Escalation of an overdue hazard (DOMAIN §10 挂牌督办; seed-004 三(二) item 10).

    ``overdue_days`` as from :func:`overdue_days`. Above the grace days of
    :data:`ESCALATION_GRACE_DAYS` (0: from the first overdue day): ``suggest_listing`` (挂牌督办)
    when not yet listed, ``suggest_further_measures`` (函告、通报、约谈、曝光) when already listed.
    Returns None when not overdue.
    """
    return _escalation_suggestion_2024_1(overdue_days=overdue_days, listed=listed)


# --- notification ---------------------------------------------------------------------------

NOTIFY_TARGET_LABELS: dict[str, str] = {"principal": "主要负责人", "actual_controller": "实际控制人"}
NOTIFY_CITATION = cite(
    "seed-004",
    "三(二)",
    "非煤矿山方案 第11项：要及时将重大事故隐患信息通知到矿山企业主要负责人、实际控制人",
)


def notify_on_new_hazard() -> tuple[str, ...]:
    """Who is notified of every new major hazard: the principal and the actual controller.

    Source: seed-004 三(二) item 11 (see :data:`NOTIFY_CITATION`); labels in :data:`NOTIFY_TARGET_LABELS`.
    """
    return ("principal", "actual_controller")


# --- replay ---------------------------------------------------------------------------------

_IMPLEMENTATIONS: dict[tuple[str, str], Callable[..., Decision | None]] = {
    ("penalty_recommendation", "2024.1"): _penalty_recommendation_2024_1,
    ("closure_proposal", "2024.1"): _closure_proposal_2024_1,
    ("closure_proposal", "2026.1"): _closure_proposal_2026_1,
    ("recurrence", "2024.1"): _recurrence_2024_1,
    ("escalation_suggestion", "2024.1"): _escalation_suggestion_2024_1,
}


def replay(rule: str, rule_version: str, **inputs: Any) -> Decision | None:
    """Re-run ``rule`` exactly as version ``rule_version`` decided it (DOMAIN §0 alert 0.5).

    ``inputs`` are the rule's arguments by name (``found_dates``, ``producing``, ``today`` …).
    Raises LookupError for an unknown rule or version.
    """
    try:
        implementation = _IMPLEMENTATIONS[(rule, rule_version)]
    except KeyError:
        raise LookupError(f"no implementation of rule {rule!r} version {rule_version!r}") from None
    return implementation(**inputs)


# --- periodic self-inspection --------------------------------------------------------------

INDUSTRY_TRADE = "industry_trade"  # 工贸企业
METAL_SMELTING = "metal_smelting"  # 金属冶炼企业

PERIOD_MONTH = "month"
PERIOD_QUARTER = "quarter"

_CITE_MINE_MONTHLY = cite(
    "seed-002",
    "五",
    "晋安办发〔2024〕94号 五：主要负责人每月至少组织开展1次全系统各环节重大事故隐患排查；"
    "seed-004 三(二) 非煤矿山方案 第9项：每月开展1次重大事故隐患排查整治",
)
_CITE_TRADE_QUARTERLY = cite(
    "seed-004",
    "二(二)",
    "工贸方案 第4项：主要负责人每季度（至少1次）带队排查治理重大事故隐患（金属冶炼企业每月至少1次）",
)

INSPECTION_PERIODS: dict[str, str] = {
    **dict.fromkeys(MINE_SECTORS, PERIOD_MONTH),
    INDUSTRY_TRADE: PERIOD_QUARTER,
    METAL_SMELTING: PERIOD_MONTH,
}
INSPECTION_PERIOD_CITATIONS: dict[str, Citation] = {
    **dict.fromkeys(MINE_SECTORS, _CITE_MINE_MONTHLY),
    INDUSTRY_TRADE: _CITE_TRADE_QUARTERLY,
    METAL_SMELTING: _CITE_TRADE_QUARTERLY,
}


def inspection_period(sector: str) -> str:
    """``"month"`` or ``"quarter"``: how often the principal must lead a major-hazard self-inspection.

    Mines: monthly (seed-002 §五; seed-004 三(二) item 9). 工贸 ``industry_trade``: quarterly;
    金属冶炼 ``metal_smelting``: monthly (seed-004 二(二), 工贸方案 第4项). ValueError if unknown.
    """
    try:
        return INSPECTION_PERIODS[sector]
    except KeyError:
        raise ValueError(f"unknown sector {sector!r}") from None


def period_key(sector: str, d: date) -> str:
    """Key of the inspection period containing ``d``: ``"2026-10"`` (month) or ``"2026-Q3"`` (quarter).

    Period per :func:`inspection_period` (seed-002 §五; seed-004 二(二)).
    """
    if inspection_period(sector) == PERIOD_QUARTER:
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    return f"{d.year}-{d.month:02d}"


def missing_self_inspections(sector: str, done_periods: set[str], start: date, today: date) -> list[str]:
    """Completed periods without a recorded self-inspection, oldest first (seed-002 §五; seed-004 二(二)).

    Periods run from the one containing ``start`` (the obligation covers every period the
    enterprise is supervised in, even partly) up to the last one that ended before ``today``; the
    current period is never missing. Keys as from :func:`period_key`.
    """
    step = 3 if inspection_period(sector) == PERIOD_QUARTER else 1
    first_month = start.month if step == 1 else 3 * ((start.month - 1) // 3) + 1
    period_start = date(start.year, first_month, 1)
    missing: list[str] = []
    while True:
        next_start = add_months(period_start, step)
        if next_start - timedelta(days=1) >= today:  # period not complete yet
            return missing
        key = period_key(sector, period_start)
        if key not in done_periods:
            missing.append(key)
        period_start = next_start
