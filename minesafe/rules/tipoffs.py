"""Whistle-blower reports (安全生产举报) and rewards: categories, lifecycle, deadlines, rewards, 核查处置率.

Pure rules: plain values in (``today`` and decision dates are always passed), values out. The
Django app ``minesafe.tipoffs`` stores reports and calls these rules; the rules never call back.

Sources and the decisions taken where they are silent:

- **Closed loop** 受理 → 核实 → 办理 → 反馈 → 追责, rewards paid promptly: seed-004 三(七) 第33项
  (非煤矿山方案); seed-002 三 (晋安办发〔2024〕94号: 严格落实安全生产举报奖励办法). The lifecycle
  (:data:`TRANSITIONS`) is MineSafe's reading of that loop:
  已接收 → 已受理 / 不予受理 → 核查中 → 已核查 (属实 / 不属实) → 已处置 (属实 only) → 已答复 →
  已决定奖励 (属实 only) → 已办结; a duplicate may be 合并 into an earlier report while not yet verified.
- **Rewards** (:func:`reward_for`): 《安全生产领域举报奖励办法》 安监总财〔2018〕19号 as recorded in
  DOMAIN §6 [V] S28, S29 — 15% of the fine, 3,000–300,000 元; a concealed or falsely reported
  accident 3/4/5/6万 元 per verified concealed death by grade, capped at 30万. The amounts are
  versioned (:data:`REWARD_SCHEDULES`), every :class:`Reward` records the schedule version and its
  inputs (:func:`replay_reward`). Only the first valid reporter of the same matter is rewarded
  (2012 办法 [V] S30; that the 2018 办法 keeps the rule is [U]).
- **Deadlines** (:class:`DeadlinePolicy`): 60 days from acceptance to finish, one or more
  extensions of at most 30 days in total with upper-level approval, the reporter told within 10
  days after verification (安监总财〔2012〕63号 [V] S30; the 2018 办法 believed to keep them [U]).
  The 15 days to decide on acceptance are a MineSafe policy figure by analogy with 信访 rules [U].
  Periods are counted in calendar days from the day after the event (民法典 Art. 201 [U]); no
  holiday shift is applied (no holiday calendar is held). A deadline is met on its last day and
  overdue from the day after.
- **核查处置率** target 100%: seed-004 一(二) 目标7 (:func:`disposal_rate`, :data:`DISPOSAL_TARGET`).
- **Categories** (:class:`Category`): seed-004 三(七) 第33项 (重大事故隐患及非法违法行为) and seed-002 三
  (隐蔽工作面作业、安全监控系统造假、违规分包转包、瞒报事故).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .sources import cite
from .types import Citation, Reason, Verdict

__all__ = [
    "ACTION_LABELS",
    "CATEGORY_CONSEQUENCES",
    "CATEGORY_CONSEQUENCE_CITATION",
    "CATEGORY_LABELS",
    "CONDITION_ANY",
    "CONDITION_NOT_VERIFIED_TRUE",
    "CONDITION_VERIFIED_FALSE",
    "CONDITION_VERIFIED_TRUE",
    "DEADLINE_CITATIONS",
    "DEFAULT_POLICY",
    "DISPOSAL_CITATION",
    "DISPOSAL_TARGET",
    "GRADE_LABELS",
    "OVERDUE_ACCEPT",
    "OVERDUE_ANSWER",
    "OVERDUE_HANDLE",
    "OVERDUE_LABELS",
    "REWARD_SCHEDULES",
    "RULE_VERSION",
    "STATUS_LABELS",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "WORKFLOW_CITATION",
    "AccidentGrade",
    "Action",
    "Category",
    "DeadlinePolicy",
    "Reward",
    "RewardSchedule",
    "Status",
    "accept_due",
    "allowed_actions",
    "answer_due",
    "check_action",
    "check_extension",
    "counts_as_accepted",
    "disposal_rate",
    "handling_due",
    "is_disposed",
    "next_status",
    "overdue_flags",
    "replay_reward",
    "reward_for",
    "schedule_for",
]

RULE_VERSION = "tipoffs-2024.1"


# --- enums and labels ----------------------------------------------------------------------


class Category(enum.StrEnum):
    """举报类别 (seed-004 三(七) 第33项; seed-002 三)."""

    MAJOR_HAZARD = "major_hazard"  # 重大事故隐患
    ILLEGAL_PRODUCTION = "illegal_production"  # 非法违法生产
    CONCEALED_ACCIDENT = "concealed_accident"  # 瞒报谎报事故
    HIDDEN_FACE = "hidden_face"  # 隐蔽工作面
    MONITORING_FALSIFIED = "monitoring_falsified"  # 监控造假
    ILLEGAL_SUBCONTRACTING = "illegal_subcontracting"  # 违规分包转包
    OTHER = "other"

    @property
    def label(self) -> str:
        """Chinese label."""
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.MAJOR_HAZARD: "重大事故隐患",
    Category.ILLEGAL_PRODUCTION: "非法违法生产建设",
    Category.CONCEALED_ACCIDENT: "瞒报谎报事故",
    Category.HIDDEN_FACE: "隐蔽工作面作业",
    Category.MONITORING_FALSIFIED: "安全监控系统造假",
    Category.ILLEGAL_SUBCONTRACTING: "违规分包转包",
    Category.OTHER: "其他安全生产违法行为",
}


class AccidentGrade(enum.StrEnum):
    """Accident grade of 生产安全事故报告和调查处理条例 Art. 3 (DOMAIN §7.1)."""

    GENERAL = "general"  # 一般
    LARGER = "larger"  # 较大
    MAJOR = "major"  # 重大
    EXTRAORDINARY = "extraordinary"  # 特别重大

    @property
    def label(self) -> str:
        """Chinese label."""
        return GRADE_LABELS[self]


GRADE_LABELS: dict[AccidentGrade, str] = {
    AccidentGrade.GENERAL: "一般",
    AccidentGrade.LARGER: "较大",
    AccidentGrade.MAJOR: "重大",
    AccidentGrade.EXTRAORDINARY: "特别重大",
}


class Status(enum.StrEnum):
    """Where a report stands in the closed loop (seed-004 三(七) 第33项); see :data:`TRANSITIONS`."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    HANDLED = "handled"
    ANSWERED = "answered"
    REWARD_DECIDED = "reward_decided"
    CLOSED = "closed"
    MERGED = "merged"

    @property
    def label(self) -> str:
        """Chinese label."""
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: "已接收",
    Status.ACCEPTED: "已受理",
    Status.DECLINED: "不予受理",
    Status.VERIFYING: "核查中",
    Status.VERIFIED: "已核查",
    Status.HANDLED: "已处置",
    Status.ANSWERED: "已答复",
    Status.REWARD_DECIDED: "已决定奖励",
    Status.CLOSED: "已办结",
    Status.MERGED: "已合并",
}

TERMINAL_STATUSES: frozenset[Status] = frozenset({Status.CLOSED, Status.MERGED})


class Action(enum.StrEnum):
    """Steps of the closed loop; ``ADD_INFORMATION`` is the reporter's, the others the regulator's."""

    ACCEPT = "accept"
    DECLINE = "decline"
    ASSIGN = "assign"
    VERIFY = "verify"
    HANDLE = "handle"
    ANSWER = "answer"
    DECIDE_REWARD = "decide_reward"
    RECORD_PAYMENT = "record_payment"
    CLOSE = "close"
    MERGE = "merge"
    EXTEND = "extend"
    ADD_INFORMATION = "add_information"

    @property
    def label(self) -> str:
        """Chinese label."""
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.ACCEPT: "受理",
    Action.DECLINE: "不予受理",
    Action.ASSIGN: "指派核查",
    Action.VERIFY: "记录核查结果",
    Action.HANDLE: "处置",
    Action.ANSWER: "答复举报人",
    Action.DECIDE_REWARD: "决定奖励",
    Action.RECORD_PAYMENT: "登记奖励发放",
    Action.CLOSE: "办结",
    Action.MERGE: "合并重复举报",
    Action.EXTEND: "延期",
    Action.ADD_INFORMATION: "补充举报材料",
}


# --- citations -----------------------------------------------------------------------------

WORKFLOW_CITATION = cite(
    "seed-004",
    "三(七)",
    "非煤矿山方案 第33项：完善并落实举报受理、核实、办理、反馈、追责等闭环管理机制，及时兑现举报奖励；"
    "环节划分与状态流转为 MineSafe 对该闭环的落实",
)
_C_CATEGORIES = cite(
    "seed-002",
    "三",
    "晋安办发〔2024〕94号 三：严格落实安全生产举报奖励办法，鼓励社会公众和从业人员举报违法违规行为；"
    "隐蔽工作面作业、安全监控系统造假、违规分包转包、瞒报事故等行为；seed-004 三(七) 第33项：举报重大事故隐患"
    "及非法违法行为",
)
CATEGORY_CONSEQUENCE_CITATION = cite(
    "seed-002",
    "三",
    "晋安办发〔2024〕94号 三：发现隐蔽工作面作业、整合技改期间偷采、安全监控系统造假、违规分包转包等行为的，依法依规"
    "责令停产整顿；瞒报事故等行为一律落实“行刑衔接”、联合惩戒措施，严肃追究企业实际控制人、主要负责人的责任",
)
_C_SCHEDULE_2018 = cite(
    "DOMAIN",
    "§6",
    "安监总财〔2018〕19号《安全生产领域举报奖励办法》：重大事故隐患、非法违法生产经营建设按行政处罚金额15%奖励，"
    "最低3000元、最高30万元；瞒报谎报事故按查实瞒报谎报死亡人数，一般3万、较大4万、重大5万、特别重大6万元/人，"
    "最高30万元 [V] S28, S29；施行日期按2018-01-01计 [U]",
)
_C_REWARD_FINE = cite(
    "DOMAIN",
    "§6",
    "安监总财〔2018〕19号：举报重大事故隐患、非法违法生产经营建设的，按行政处罚金额15%计算，最低3000元、最高30万元 "
    "[V] S28, S29；未处罚款的按0元计（即最低奖励）、按整元四舍五入为 MineSafe 处理 [U]",
)
_C_REWARD_CONCEALMENT = cite(
    "DOMAIN",
    "§6",
    "安监总财〔2018〕19号：举报瞒报谎报事故的，按查实的瞒报谎报死亡人数，一般事故每人3万、较大4万、重大5万、"
    "特别重大6万元，最高30万元 [V] S28, S29",
)
_C_REWARD_CONCEALMENT_NO_DEATHS = cite(
    "DOMAIN",
    "§6",
    "瞒报谎报事故但未查实瞒报谎报死亡人数的，按行政处罚金额15%（3000–30万元）计奖：MineSafe 处理，"
    "办法原文未核对 [U]",
)
_C_REWARD_NOT_VERIFIED = cite(
    "DOMAIN",
    "§6",
    "举报事项须经核查属实方予奖励（公式以查实数额为准）；未经查实不予奖励的表述未与办法原文核对 [U]",
)
_C_REWARD_FIRST_REPORTER = cite(
    "DOMAIN",
    "§6",
    "多人举报同一事项的，奖励最先举报的有效举报人；联名举报奖励给第一署名人或其委托人：安监总财〔2012〕63号 [V] S30；"
    "安监总财〔2018〕19号是否沿用 [U]",
)
_C_ACCEPT_DAYS = cite(
    "seed-004",
    "三(七)",
    "非煤矿山方案 第33项：举报受理闭环管理；收到之日起15日内决定是否受理为 MineSafe 平台政策，参照信访工作规定类推 [U]",
)
_C_HANDLING_DAYS = cite(
    "DOMAIN",
    "§6",
    "安监总财〔2012〕63号：自受理之日起60日内办结，情况复杂的经上一级批准可延长，延长期限不超过30日 [V] S30；"
    "2018年办法据信沿用 [U]",
)
_C_ANSWER_DAYS = cite(
    "DOMAIN",
    "§6",
    "安监总财〔2012〕63号：核查处理结束后10日内将结果告知举报人 [V] S30；2018年办法据信沿用 [U]",
)
_C_DAY_COUNT = cite(
    "民法典",
    "Art. 201",
    "按照日计算期间的，开始的当日不计入，自下一日开始计算 [U] 据通行文本，未与官方文本核对；期间届满日逢法定节假日"
    "顺延（Art. 203）未实现，平台无节假日历",
)
DISPOSAL_CITATION = cite(
    "seed-004",
    "一(二)",
    "非煤矿山方案 目标7：群众广泛参与的矿山安全生产举报处置机制运行更加顺畅，安全生产举报核查处置率达到100%",
)

DEADLINE_CITATIONS: dict[str, Citation] = {
    "accept": _C_ACCEPT_DAYS,
    "handle": _C_HANDLING_DAYS,
    "extension": _C_HANDLING_DAYS,
    "answer": _C_ANSWER_DAYS,
    "day_count": _C_DAY_COUNT,
}

# What a verified report of the category leads to, where the seeds say so (shown to the handler).
CATEGORY_CONSEQUENCES: dict[Category, str] = {
    Category.HIDDEN_FACE: "依法依规责令停产整顿",
    Category.MONITORING_FALSIFIED: "依法依规责令停产整顿",
    Category.ILLEGAL_SUBCONTRACTING: "依法依规责令停产整顿",
    Category.CONCEALED_ACCIDENT: "一律落实“行刑衔接”、联合惩戒措施，严肃追究企业实际控制人、主要负责人的责任",
}


# --- parsing helpers -------------------------------------------------------------------------


def _status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise ValueError(f"unknown tip-off status {value!r}") from None


def _action(value: str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise ValueError(f"unknown tip-off action {value!r}") from None


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        raise ValueError(f"unknown tip-off category {value!r}") from None


def _grade(value: str) -> AccidentGrade:
    try:
        return AccidentGrade(value)
    except ValueError:
        raise ValueError(f"unknown accident grade {value!r}") from None


def _non_negative_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return value


# --- reward schedules ------------------------------------------------------------------------


@dataclass(frozen=True)
class RewardSchedule:
    """Reward amounts in force from ``effective_from`` (DOMAIN §6; DOMAIN §0 alert 0.5: versioned rules).

    ``per_death`` is a plain dict so that :func:`dataclasses.asdict` works; treat it as read-only
    (a change of amounts is a new schedule with a new version, never an edit).
    """

    version: str
    effective_from: date
    rate: Decimal  # share of the administrative fine
    minimum: Decimal  # 元
    maximum: Decimal  # 元
    per_death: Mapping[AccidentGrade, Decimal] = field(hash=False)  # 元 per verified concealed death
    concealment_cap: Decimal  # 元
    citation: Citation


REWARD_SCHEDULES: tuple[RewardSchedule, ...] = (
    RewardSchedule(
        version="2018.1",
        effective_from=date(2018, 1, 1),
        rate=Decimal("0.15"),
        minimum=Decimal("3000"),
        maximum=Decimal("300000"),
        per_death={
            AccidentGrade.GENERAL: Decimal("30000"),
            AccidentGrade.LARGER: Decimal("40000"),
            AccidentGrade.MAJOR: Decimal("50000"),
            AccidentGrade.EXTRAORDINARY: Decimal("60000"),
        },
        concealment_cap=Decimal("300000"),
        citation=_C_SCHEDULE_2018,
    ),
)


def schedule_for(on: date) -> RewardSchedule:
    """The newest reward schedule in force on ``on`` (DOMAIN §6 amounts; DOMAIN §0 alert 0.5).

    A schedule is in force from its ``effective_from`` day inclusive. Raises LookupError for a
    date before the first schedule (2018-01-01).
    """
    for schedule in sorted(REWARD_SCHEDULES, key=lambda s: s.effective_from, reverse=True):
        if schedule.effective_from <= on:
            return schedule
    raise LookupError(f"no tip-off reward schedule in force on {on.isoformat()}")


# --- rewards -------------------------------------------------------------------------------

_ONE_YUAN = Decimal("1")


@dataclass(frozen=True)
class Reward:
    """A reward decision with its arithmetic; ``details`` (strings only) is stored for :func:`replay_reward`."""

    amount: Decimal  # whole yuan; Decimal("0") when no reward
    basis: str  # "fine" | "concealment" | "none"
    code: str  # "reward.fine", "reward.concealment", "reward.not_verified", "reward.not_first_reporter"
    message: str  # Chinese, with the arithmetic
    rule_version: str  # the schedule version
    citation: Citation
    details: Mapping[str, str] = field(hash=False)


def _yuan(amount: Decimal) -> str:
    """50000 → "50,000"; 20003.5 → "20,003.50"; 3000.5250 → "3,000.525"."""
    cents = amount.quantize(Decimal("0.01"))
    if amount == amount.to_integral_value():
        return f"{amount.quantize(_ONE_YUAN):,f}"
    if amount == cents:
        return f"{cents:,f}"
    return f"{amount.normalize():,f}"


def _percent(rate: Decimal) -> str:
    """Decimal("0.15") → "15"."""
    return f"{(rate * 100).normalize():f}"


def _check_fine(fine_amount: Decimal | None) -> Decimal | None:
    if fine_amount is None:
        return None
    if isinstance(fine_amount, bool) or not isinstance(fine_amount, Decimal | int):
        raise ValueError(f"fine_amount must be a Decimal, got {fine_amount!r}")
    fine = Decimal(fine_amount)
    if not fine.is_finite() or fine < 0:
        raise ValueError(f"fine_amount must be a finite amount ≥ 0, got {fine_amount!r}")
    return fine


def reward_for(
    *,
    category: str,
    verified_true: bool,
    first_reporter: bool,
    fine_amount: Decimal | None,
    accident_grade: str | None,
    concealed_deaths: int,
    decided_on: date,
) -> Reward:
    """The reward for a report under the schedule in force on ``decided_on`` (DOMAIN §6; seed-004 三(七) 第33项).

    In this order:

    1. not verified true → no reward (``reward.not_verified``);
    2. not the first valid reporter of the same matter (merged duplicates) → no reward
       (``reward.not_first_reporter``; 2012 办法 [V], 2018 [U]);
    3. ``concealed_accident`` with ``concealed_deaths`` ≥ 1 → ``per_death[grade] × deaths``, capped at
       ``concealment_cap`` (``reward.concealment``); ``fine_amount`` is then not used;
    4. otherwise (including a concealed accident with no verified concealed death [U]) →
       ``rate × fine`` rounded to whole yuan (ROUND_HALF_UP), then clamped to [minimum, maximum]
       (``reward.fine``); no fine (None) counts as 0, so the minimum applies.

    ``concealed_deaths`` and ``accident_grade`` matter only for ``concealed_accident``. Inputs are
    validated first, whatever the outcome: ValueError for a negative or non-finite fine, negative
    deaths, an unknown category or grade, or a concealed accident with deaths but no grade.
    LookupError (from :func:`schedule_for`) when ``decided_on`` is before the first schedule.
    """
    cat = _category(category)
    grade = None if accident_grade is None else _grade(accident_grade)
    deaths = _non_negative_int(concealed_deaths, "concealed_deaths")
    fine = _check_fine(fine_amount)
    concealment = cat is Category.CONCEALED_ACCIDENT and deaths >= 1
    if concealment and grade is None:
        raise ValueError("a concealed accident with concealed deaths needs an accident grade")
    schedule = schedule_for(decided_on)

    details: dict[str, str] = {
        "category": cat.value,
        "verified_true": "true" if verified_true else "false",
        "first_reporter": "true" if first_reporter else "false",
        "fine_amount": "" if fine is None else str(fine),
        "accident_grade": "" if grade is None else grade.value,
        "concealed_deaths": str(deaths),
        "decided_on": decided_on.isoformat(),
        "schedule_version": schedule.version,
        "rule_version": RULE_VERSION,
    }

    def _none(code: str, message: str, citation: Citation) -> Reward:
        return Reward(Decimal("0"), "none", code, message, schedule.version, citation, {**details, "amount": "0"})

    if not verified_true:
        return _none("reward.not_verified", "举报事项未经核查属实，不予奖励", _C_REWARD_NOT_VERIFIED)
    if not first_reporter:
        return _none(
            "reward.not_first_reporter",
            "同一事项已有他人先行有效举报，奖励给予最先举报人，本举报不予奖励",
            _C_REWARD_FIRST_REPORTER,
        )

    if concealment:
        assert grade is not None  # checked above
        per_death = schedule.per_death[grade]
        total = per_death * deaths
        amount = min(total, schedule.concealment_cap).quantize(_ONE_YUAN, rounding=ROUND_HALF_UP)
        message = (
            f"瞒报谎报{grade.label}事故，查实瞒报谎报死亡 {deaths} 人 × {_yuan(per_death)} 元/人 = {_yuan(total)} 元"
        )
        if total > schedule.concealment_cap:
            message += f"，超过最高奖励 {_yuan(schedule.concealment_cap)} 元，按 {_yuan(amount)} 元奖励"
        details.update(
            per_death=str(per_death),
            raw_amount=str(total),
            concealment_cap=str(schedule.concealment_cap),
            capped="true" if total > schedule.concealment_cap else "false",
            amount=str(amount),
        )
        return Reward(amount, "concealment", "reward.concealment", message, schedule.version,
                      _C_REWARD_CONCEALMENT, details)

    base = Decimal(0) if fine is None else fine
    raw = schedule.rate * base
    rounded = raw.quantize(_ONE_YUAN, rounding=ROUND_HALF_UP)
    amount = min(max(rounded, schedule.minimum), schedule.maximum).quantize(_ONE_YUAN)
    message = f"罚款 {_yuan(base)} 元 × {_percent(schedule.rate)}% = {_yuan(raw)} 元"
    if fine is None:
        message = "未处以罚款（按 0 元计）：" + message
    if rounded != raw:
        message += f"，按整元四舍五入为 {_yuan(rounded)} 元"
    clamped = ""
    if rounded < schedule.minimum:
        clamped = "minimum"
        message += f"，低于最低奖励 {_yuan(schedule.minimum)} 元，按 {_yuan(amount)} 元奖励"
    elif rounded > schedule.maximum:
        clamped = "maximum"
        message += f"，超过最高奖励 {_yuan(schedule.maximum)} 元，按 {_yuan(amount)} 元奖励"
    citation = _C_REWARD_FINE
    if cat is Category.CONCEALED_ACCIDENT:
        message = "瞒报谎报事故未查实瞒报谎报死亡人数，按罚款比例计奖：" + message
        citation = _C_REWARD_CONCEALMENT_NO_DEATHS
    details.update(
        rate=str(schedule.rate),
        minimum=str(schedule.minimum),
        maximum=str(schedule.maximum),
        raw_amount=str(raw),
        rounded_amount=str(rounded),
        clamped=clamped,
        amount=str(amount),
    )
    return Reward(amount, "fine", "reward.fine", message, schedule.version, citation, details)


def _flag(value: str, name: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"details[{name!r}] must be 'true' or 'false', got {value!r}")
    return value == "true"


def replay_reward(details: Mapping[str, str]) -> Reward:
    """Re-run :func:`reward_for` on the inputs stored in a :attr:`Reward.details` (DOMAIN §0 alert 0.5, §6).

    The schedule is chosen again by the stored ``decided_on``, so the result equals the stored
    decision as long as the schedule of that date is unchanged. Raises ValueError (or KeyError for a
    missing key) when the details are malformed.
    """
    fine = details["fine_amount"]
    grade = details["accident_grade"]
    return reward_for(
        category=details["category"],
        verified_true=_flag(details["verified_true"], "verified_true"),
        first_reporter=_flag(details["first_reporter"], "first_reporter"),
        fine_amount=Decimal(fine) if fine else None,
        accident_grade=grade or None,
        concealed_deaths=int(details["concealed_deaths"]),
        decided_on=date.fromisoformat(details["decided_on"]),
    )


# --- deadlines -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlinePolicy:
    """Deadline lengths in calendar days (DOMAIN §6; ``accept_days`` is MineSafe policy [U]).

    Citations per deadline in :data:`DEADLINE_CITATIONS`. ValueError for a length below 1 (0 for
    ``extension_max_days``).
    """

    accept_days: int = 15  # decide on acceptance within 15 days of receipt: 信访 analogy [U]
    handling_days: int = 60  # finish within 60 days of acceptance (2012 [V], 2018 [U])
    extension_max_days: int = 30  # extensions ≤ 30 days in total, with upper-level approval
    answer_days: int = 10  # tell the reporter within 10 days after verification

    def __post_init__(self) -> None:
        for name in ("accept_days", "handling_days", "answer_days"):
            if _non_negative_int(getattr(self, name), name) < 1:
                raise ValueError(f"{name} must be at least 1")
        _non_negative_int(self.extension_max_days, "extension_max_days")


DEFAULT_POLICY = DeadlinePolicy()


def accept_due(received_on: date, policy: DeadlinePolicy) -> date:
    """Last day to accept or decline: ``received_on + accept_days`` (seed-004 三(七) 第33项; 15 days [U]).

    The day of receipt is not counted (民法典 Art. 201 [U]): received 2024-02-14 → due 2024-02-29.
    """
    return received_on + timedelta(days=policy.accept_days)


def handling_due(accepted_on: date, extension_days: int, policy: DeadlinePolicy) -> date:
    """Last day to finish: ``accepted_on + handling_days + extension_days`` (DOMAIN §6: 60 + ≤ 30 days).

    ``extension_days`` is the total of approved extensions (see :func:`check_extension`). Raises
    ValueError when it is negative or above ``policy.extension_max_days``.
    """
    days = _non_negative_int(extension_days, "extension_days")
    if days > policy.extension_max_days:
        raise ValueError(f"extension_days {days} exceeds the maximum of {policy.extension_max_days}")
    return accepted_on + timedelta(days=policy.handling_days + days)


def answer_due(verified_on: date, policy: DeadlinePolicy) -> date:
    """Last day to tell the reporter the result: ``verified_on + answer_days`` (DOMAIN §6: 10 days)."""
    return verified_on + timedelta(days=policy.answer_days)


def check_extension(*, days: int, already_extended: int, policy: DeadlinePolicy) -> Verdict:
    """Whether an extension of ``days`` may be granted (DOMAIN §6: ≤ 30 days with upper-level approval).

    Extensions add up: ``already_extended + days`` must not exceed ``policy.extension_max_days``,
    so a second extension is allowed only within what remains; ``days`` must be at least 1. The
    upper-level approval itself is recorded by the app. Reason codes (field ``days``):
    tipoff.extension.exhausted, tipoff.extension.days_min, tipoff.extension.too_long. Raises
    ValueError for a non-int ``days`` or a negative ``already_extended``.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError(f"days must be an int, got {days!r}")
    already = _non_negative_int(already_extended, "already_extended")
    limit = policy.extension_max_days
    remaining = limit - already
    if remaining <= 0:
        return Verdict.deny(
            Reason(
                "tipoff.extension.exhausted",
                f"已延期 {already} 天，延长期限合计不得超过 {limit} 天，不能再延期",
                "days",
                _C_HANDLING_DAYS,
            )
        )
    if days < 1:
        return Verdict.deny(Reason("tipoff.extension.days_min", "延期天数至少为 1 天", "days", _C_HANDLING_DAYS))
    if days > remaining:
        return Verdict.deny(
            Reason(
                "tipoff.extension.too_long",
                f"延期天数不得超过 {remaining} 天（延长期限合计不超过 {limit} 天，已延期 {already} 天）",
                "days",
                _C_HANDLING_DAYS,
            )
        )
    return Verdict.allow()


OVERDUE_ACCEPT = "accept"
OVERDUE_HANDLE = "handle"
OVERDUE_ANSWER = "answer"
OVERDUE_LABELS: dict[str, str] = {
    OVERDUE_ACCEPT: "逾期未决定是否受理",
    OVERDUE_HANDLE: "逾期未办结",
    OVERDUE_ANSWER: "逾期未答复举报人",
}
_HANDLING_STATUSES = frozenset({Status.ACCEPTED, Status.VERIFYING, Status.VERIFIED})
_ANSWER_STATUSES = frozenset({Status.VERIFIED, Status.HANDLED})


def overdue_flags(
    *,
    status: str,
    today: date,
    accept_due: date | None,
    handling_due: date | None,
    answer_due: date | None,
) -> frozenset[str]:
    """Which deadlines a report has missed on ``today`` (DOMAIN §6; seed-004 三(七) 第33项).

    - ``"accept"``: still 已接收 and ``today > accept_due``;
    - ``"handle"``: 已受理 / 核查中 / 已核查 and ``today > handling_due``;
    - ``"answer"``: 已核查 / 已处置 and ``today > answer_due`` (the reporter not yet answered).

    A deadline is met on its last day: overdue from the day after. A missing due date raises no
    flag; 不予受理, 已答复 and later, 已办结 and 已合并 are never overdue. ValueError for an unknown status.
    """
    st = _status(status)
    flags: set[str] = set()
    if st is Status.RECEIVED and accept_due is not None and today > accept_due:
        flags.add(OVERDUE_ACCEPT)
    if st in _HANDLING_STATUSES and handling_due is not None and today > handling_due:
        flags.add(OVERDUE_HANDLE)
    if st in _ANSWER_STATUSES and answer_due is not None and today > answer_due:
        flags.add(OVERDUE_ANSWER)
    return frozenset(flags)


# --- lifecycle -----------------------------------------------------------------------------

# Conditions on the verification finding (verified_true) under which a transition is allowed.
CONDITION_ANY = "any"
CONDITION_VERIFIED_TRUE = "verified_true"  # verified_true is True
CONDITION_VERIFIED_FALSE = "verified_false"  # verified_true is False
CONDITION_NOT_VERIFIED_TRUE = "not_verified_true"  # verified_true is not True (declined, or false)

_S, _A = Status, Action


def _keep(status: Status) -> dict[Action, tuple[str, Status]]:
    return {_A.ADD_INFORMATION: (CONDITION_ANY, status)}


# status -> {action: (condition on verified_true, next status)}. 已办结 and 已合并 are terminal.
TRANSITIONS: dict[Status, dict[Action, tuple[str, Status]]] = {
    _S.RECEIVED: {
        _A.ACCEPT: (CONDITION_ANY, _S.ACCEPTED),
        _A.DECLINE: (CONDITION_ANY, _S.DECLINED),
        _A.MERGE: (CONDITION_ANY, _S.MERGED),
        **_keep(_S.RECEIVED),
    },
    _S.ACCEPTED: {
        _A.ASSIGN: (CONDITION_ANY, _S.VERIFYING),
        _A.MERGE: (CONDITION_ANY, _S.MERGED),
        _A.EXTEND: (CONDITION_ANY, _S.ACCEPTED),
        **_keep(_S.ACCEPTED),
    },
    _S.DECLINED: {
        _A.ANSWER: (CONDITION_ANY, _S.ANSWERED),
        **_keep(_S.DECLINED),
    },
    _S.VERIFYING: {
        _A.ASSIGN: (CONDITION_ANY, _S.VERIFYING),
        _A.VERIFY: (CONDITION_ANY, _S.VERIFIED),
        _A.MERGE: (CONDITION_ANY, _S.MERGED),
        _A.EXTEND: (CONDITION_ANY, _S.VERIFYING),
        **_keep(_S.VERIFYING),
    },
    _S.VERIFIED: {
        _A.HANDLE: (CONDITION_VERIFIED_TRUE, _S.HANDLED),
        _A.ANSWER: (CONDITION_VERIFIED_FALSE, _S.ANSWERED),
        _A.EXTEND: (CONDITION_ANY, _S.VERIFIED),
        **_keep(_S.VERIFIED),
    },
    _S.HANDLED: {
        _A.ANSWER: (CONDITION_ANY, _S.ANSWERED),
        **_keep(_S.HANDLED),
    },
    _S.ANSWERED: {
        _A.DECIDE_REWARD: (CONDITION_VERIFIED_TRUE, _S.REWARD_DECIDED),
        _A.CLOSE: (CONDITION_NOT_VERIFIED_TRUE, _S.CLOSED),
        **_keep(_S.ANSWERED),
    },
    _S.REWARD_DECIDED: {
        _A.RECORD_PAYMENT: (CONDITION_ANY, _S.REWARD_DECIDED),
        _A.CLOSE: (CONDITION_ANY, _S.CLOSED),
        **_keep(_S.REWARD_DECIDED),
    },
    _S.CLOSED: {},
    _S.MERGED: {},
}

_FINDING_PHRASES: dict[bool | None, str] = {True: "核查属实", False: "核查不属实", None: "无核查结果"}


def _condition_holds(condition: str, verified_true: bool | None) -> bool:
    if condition == CONDITION_ANY:
        return True
    if condition == CONDITION_VERIFIED_TRUE:
        return verified_true is True
    if condition == CONDITION_VERIFIED_FALSE:
        return verified_true is False
    if condition == CONDITION_NOT_VERIFIED_TRUE:
        return verified_true is not True
    raise ValueError(f"unknown transition condition {condition!r}")  # pragma: no cover - table is fixed


def allowed_actions(status: str, *, verified_true: bool | None = None) -> tuple[Action, ...]:
    """Actions allowed from ``status`` given the finding, in :class:`Action` order (seed-004 三(七) 第33项).

    Empty for 已办结 and 已合并. ValueError for an unknown status.
    """
    options = TRANSITIONS[_status(status)]
    return tuple(a for a in Action if a in options and _condition_holds(options[a][0], verified_true))


def check_action(status: str, action: str, *, verified_true: bool | None = None) -> Verdict:
    """Whether ``action`` may be taken on a report in ``status`` (seed-004 三(七) 第33项 closed loop).

    Table :data:`TRANSITIONS`: 受理/不予受理 from 已接收; 合并 from 已接收, 已受理, 核查中; 指派核查 from
    已受理 or 核查中; 记录核查结果 from 核查中; 处置 from 已核查 when 属实; 答复 from 已处置, from 已核查 when
    不属实, from 不予受理; 决定奖励 from 已答复 when 属实; 登记奖励发放 from 已决定奖励; 办结 from 已答复 when
    not 属实 and from 已决定奖励; 延期 from 已受理, 核查中, 已核查; 补充举报材料 from any status but 已办结 and
    已合并. ``verified_true`` is the recorded finding (None: none yet). Refusals carry code
    ``tipoff.action_not_allowed`` (field ``action``) and say what the state allows;
    ``tipoff.unknown_status`` / ``tipoff.unknown_action`` for values outside the enums.
    """
    try:
        st = Status(status)
    except ValueError:
        return Verdict.deny(Reason("tipoff.unknown_status", f"举报状态“{status}”无效", None, WORKFLOW_CITATION))
    try:
        act = Action(action)
    except ValueError:
        return Verdict.deny(Reason("tipoff.unknown_action", f"操作“{action}”无效", "action", WORKFLOW_CITATION))
    entry = TRANSITIONS[st].get(act)
    if entry is not None and _condition_holds(entry[0], verified_true):
        return Verdict.allow()

    if st is Status.CLOSED:
        message = f"举报已办结，不能再{act.label}"
    elif st is Status.MERGED:
        message = f"举报已合并到其他举报，不能再{act.label}，请在合并后的举报中办理"
    else:
        finding = f"（{_FINDING_PHRASES.get(verified_true, '无核查结果')}）" if entry is not None else ""
        allowed = "、".join(a.label for a in allowed_actions(st, verified_true=verified_true)) or "无"
        message = f"举报处于“{st.label}”状态{finding}，不能{act.label}；当前可以：{allowed}"
    return Verdict.deny(Reason("tipoff.action_not_allowed", message, "action", WORKFLOW_CITATION))


def next_status(status: str, action: str, *, verified_true: bool | None = None) -> str:
    """The status after an allowed ``action`` (seed-004 三(七) 第33项; table :data:`TRANSITIONS`).

    延期, 登记奖励发放, 补充举报材料 and 指派核查 from 核查中 keep the status. ValueError when the action is
    not allowed (see :func:`check_action`) or the status or action is unknown.
    """
    st, act = _status(status), _action(action)
    entry = TRANSITIONS[st].get(act)
    if entry is None or not _condition_holds(entry[0], verified_true):
        raise ValueError(f"action {act.value!r} is not allowed from tip-off status {st.value!r} "
                         f"(verified_true={verified_true!r})")
    return entry[1]


# --- 核查处置率 ----------------------------------------------------------------------------

DISPOSAL_TARGET = Decimal("1")

_VERIFIED_OR_LATER = frozenset({Status.VERIFIED, Status.HANDLED, Status.ANSWERED, Status.REWARD_DECIDED, Status.CLOSED})
_HANDLED_OR_LATER = frozenset({Status.HANDLED, Status.ANSWERED, Status.REWARD_DECIDED, Status.CLOSED})
_ALWAYS_ACCEPTED = frozenset(
    {Status.ACCEPTED, Status.VERIFYING, Status.VERIFIED, Status.HANDLED, Status.REWARD_DECIDED}
)


def is_disposed(status: str, verified_true: bool | None) -> bool:
    """Whether a report counts as 核查处置 for the 核查处置率 (seed-004 一(二) 目标7).

    Disposed = verified false (status 已核查 or later), or verified true and handled (已处置, 已答复,
    已决定奖励, 已办结). Without a finding nothing is disposed (declined and merged reports are
    outside the rate). ValueError for an unknown status.
    """
    st = _status(status)
    if verified_true is False:
        return st in _VERIFIED_OR_LATER
    if verified_true is True:
        return st in _HANDLED_OR_LATER
    return False


def counts_as_accepted(status: str, verified_true: bool | None) -> bool:
    """Whether a report belongs in the denominator (受理数) of the 核查处置率 (seed-004 一(二) 目标7).

    Accepted and not merged away: 已受理, 核查中, 已核查, 已处置, 已决定奖励 always; 已答复 and 已办结 only
    with a finding (a declined report is answered and closed without one); never 已接收, 不予受理,
    已合并. An app holding the acceptance date should prefer it. ValueError for an unknown status.
    """
    st = _status(status)
    if st in _ALWAYS_ACCEPTED:
        return True
    if st in (Status.ANSWERED, Status.CLOSED):
        return verified_true is not None
    return False


def disposal_rate(disposed: int, due: int) -> Decimal | None:
    """核查处置率 = disposed / due (accepted reports), target 100% (seed-004 一(二) 目标7; :data:`DISPOSAL_TARGET`).

    A fraction with 4 decimal places, rounded **down** so that ``Decimal("1.0000")`` means every
    accepted report was disposed (99,999 of 100,000 → 0.9999). None when ``due`` is 0. ValueError
    for negative counts or ``disposed > due``.
    """
    done = _non_negative_int(disposed, "disposed")
    total = _non_negative_int(due, "due")
    if done > total:
        raise ValueError(f"disposed ({done}) cannot exceed due ({total})")
    if total == 0:
        return None
    return (Decimal(done) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR)
