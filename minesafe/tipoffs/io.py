"""xlsx exports of the tip-off register: the filtered list and the KPI table.

The sheets always use Chinese labels, whatever the UI language (as the hazard ledger does). The
reporter's identity and contact are never exported (they are sealed and only revealed one report at
a time, audited); everything else is exported as it is, unmasked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from minesafe.core.xlsx import Column, date_or_none, text, write_workbook
from minesafe.rules import tipoffs as rules
from minesafe.tipoffs.models import Tipoff
from minesafe.tipoffs.services import format_code

__all__ = ["KPI_COLUMNS", "LIST_COLUMNS", "export_kpi", "export_tipoffs", "list_rows"]

LIST_SHEET_TITLE = "举报台账"
KPI_SHEET_TITLE = "举报核查处置统计"
_STATUS = {s.value: label for s, label in rules.STATUS_LABELS.items()}
_CATEGORY = {c.value: label for c, label in rules.CATEGORY_LABELS.items()}
_GRADE = {g.value: label for g, label in rules.GRADE_LABELS.items()}
_BASIS = {"fine": "按罚款比例", "concealment": "按瞒报死亡人数", "none": "不予奖励"}
_CHANNEL = {"web": "网站", "api": "接口"}


def _yes_no(value: Any) -> str:
    return "" if value is None else ("是" if value else "否")


def _found(value: Any) -> str:
    return "" if value is None else ("属实" if value else "不属实")


def _label(labels: dict[str, str]) -> Any:
    return lambda v: labels.get(v, v or "")


LIST_COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", text, width=6),
    Column("code", "回执码", text, width=16),
    Column("received_at", "接收时间", text, width=17),
    Column("channel", "渠道", text, export=_label(_CHANNEL), width=6),
    Column("city", "所在市", text, width=10),
    Column("county", "处理区县", text, width=16),
    Column("mine", "矿山名称", text, width=26),
    Column("mine_description", "举报人描述的矿山", text, width=26),
    Column("category", "举报类别", text, export=_label(_CATEGORY), width=16),
    Column("description", "举报内容", text, width=48),
    Column("place", "地点", text, width=18),
    Column("occurred_on", "事项发生日期", date_or_none, width=11),
    Column("anonymous", "匿名举报", text, export=_yes_no, width=8),
    Column("has_contact", "留有联系方式", text, export=_yes_no, width=8),
    Column("attachments", "附件数", text, width=6),
    Column("status", "状态", text, export=_label(_STATUS), width=10),
    Column("overdue", "逾期情况", text, width=18),
    Column("accept_due", "受理期限", date_or_none, width=11),
    Column("accepted_on", "受理日期", date_or_none, width=11),
    Column("decline_reason", "不予受理理由", text, width=30),
    Column("handling_due", "办结期限", date_or_none, width=11),
    Column("extension_days", "延期天数", text, width=8),
    Column("assignee", "核查人", text, width=12),
    Column("verified_on", "核查日期", date_or_none, width=11),
    Column("verified_true", "核查结论", text, export=_found, width=8),
    Column("findings", "核查情况", text, width=36),
    Column("handled_on", "处置日期", date_or_none, width=11),
    Column("handling_note", "处置情况", text, width=36),
    Column("fine_amount", "罚款金额(元)", text, width=12),
    Column("accident_grade", "事故等级", text, export=_label(_GRADE), width=8),
    Column("concealed_deaths", "瞒报死亡人数", text, width=8),
    Column("hazard", "隐患编号", text, width=9),
    Column("answer_due", "答复期限", date_or_none, width=11),
    Column("answered_on", "答复日期", date_or_none, width=11),
    Column("answer", "答复内容", text, width=36),
    Column("reward_amount", "奖励金额(元)", text, width=12),
    Column("reward_basis", "奖励依据", text, export=_label(_BASIS), width=14),
    Column("reward_rule_version", "奖励标准版本", text, width=10),
    Column("reward_decided_on", "奖励决定日期", date_or_none, width=11),
    Column("reward_paid_on", "奖励发放日期", date_or_none, width=11),
    Column("closed_on", "办结日期", date_or_none, width=11),
    Column("merged_into", "合并至", text, width=16),
)


def _city(division: Any) -> str:
    parent = division.parent
    return parent.name if parent is not None and parent.level == "city" else ""


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def list_rows(tipoffs: Iterable[Tipoff], today: dt.date) -> Iterator[dict[str, Any]]:
    """Row dicts of :data:`LIST_COLUMNS` (``attachment_count`` annotated, relations selected)."""
    for seq, t in enumerate(tipoffs, start=1):
        flags = t.overdue_flags(today)
        yield {
            "seq": seq, "code": format_code(t.receipt_code), "received_at": _local(t.received_at),
            "channel": t.channel, "city": _city(t.division), "county": t.division.name,
            "mine": t.mine.name if t.mine else "", "mine_description": t.mine_description, "category": t.category,
            "description": t.description, "place": t.place, "occurred_on": t.occurred_on, "anonymous": t.anonymous,
            "has_contact": t.has_contact, "attachments": getattr(t, "attachment_count", None),
            "status": t.status,
            "overdue": "；".join(rules.OVERDUE_LABELS[f] for f in sorted(flags)),
            "accept_due": t.accept_due, "accepted_on": t.accepted_on, "decline_reason": t.decline_reason,
            "handling_due": t.handling_due, "extension_days": t.extension_days or "",
            "assignee": str(t.assignee) if t.assignee else "", "verified_on": t.verified_on,
            "verified_true": t.verified_true, "findings": t.findings, "handled_on": t.handled_on,
            "handling_note": t.handling_note, "fine_amount": t.fine_amount, "accident_grade": t.accident_grade,
            "concealed_deaths": t.concealed_deaths or "", "hazard": t.hazard_id or "", "answer_due": t.answer_due,
            "answered_on": t.answered_on, "answer": t.answer, "reward_amount": t.reward_amount,
            "reward_basis": t.reward_basis, "reward_rule_version": t.reward_rule_version,
            "reward_decided_on": t.reward_decided_on, "reward_paid_on": t.reward_paid_on, "closed_on": t.closed_on,
            "merged_into": format_code(t.merged_into.receipt_code) if t.merged_into else "",
        }


def export_tipoffs(tipoffs: QuerySet[Tipoff], *, today: dt.date | None = None) -> bytes:
    """The given (already scoped, filtered and sorted) reports as the regulator's register workbook."""
    today = today or timezone.localdate()
    qs = (tipoffs.select_related("division", "division__parent", "mine", "assignee", "merged_into")
          .annotate(attachment_count=Count("attachments")))
    return write_workbook(LIST_COLUMNS, list_rows(qs.iterator(chunk_size=1000), today), title=LIST_SHEET_TITLE)


def _rate(value: Any) -> str:
    """Decimal("66.66") → "66.66%", Decimal("100.00") → "100%"."""
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".") + "%"


KPI_COLUMNS: tuple[Column, ...] = (
    Column("name", "单位", text, width=22),
    Column("received", "接收举报", text, width=9),
    Column("accepted", "受理", text, width=7),
    Column("declined", "不予受理", text, width=9),
    Column("verified", "已核查", text, width=7),
    Column("verified_true", "核查属实", text, width=9),
    Column("disposed", "核查处置", text, width=9),
    Column("in_time", "按期办结", text, width=9),
    Column("rate_percent", "核查处置率", text, export=_rate, width=11),
    Column("overdue", "当前逾期", text, width=9),
    Column("rewards_decided", "决定奖励(件)", text, width=11),
    Column("reward_sum", "决定奖励金额(元)", text, width=15),
    Column("rewards_paid", "已发放奖励(件)", text, width=12),
    Column("paid_sum", "已发放金额(元)", text, width=15),
)


def export_kpi(rows: list[dict[str, Any]], totals: dict[str, Any]) -> bytes:
    """The KPI table (one row per child, then the totals row) as a workbook."""
    return write_workbook(KPI_COLUMNS, [*rows, {**totals, "name": "合计"}], title=KPI_SHEET_TITLE)
