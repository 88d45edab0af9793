"""Wording of the tip-off timeline, in the reader's language (like ``hazards/timeline.py``).

Events store codes and data (``TipoffEvent.kind``, ``data``) plus, in ``message``, only what a
person typed (a note, a reason, an answer, the reporter's added information). The sentence shown
to a regulator is composed here when the page is rendered.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from minesafe.tipoffs.choices import EventKind
from minesafe.tipoffs.models import TipoffEvent
from minesafe.tipoffs.services import format_code

__all__ = ["describe", "format_receipt"]


def format_receipt(code: str) -> str:
    """``JB23456789AB`` → ``JB-23456-789AB`` (services.format_code, tolerant of empty values)."""
    return format_code(code) if code else "—"


def _yuan(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{amount:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _then_typed(text: str, typed: str) -> str:
    return f"{text}\n{typed}" if typed and text else (text or typed)


def _basis(basis: str) -> str:
    return {"fine": _("share of the fine"), "concealment": _("per concealed death"),
            "none": _("no reward")}.get(basis, basis)


def _sentence(event: TipoffEvent) -> str:
    data: dict[str, Any] = event.data or {}
    kind = event.kind
    if kind == EventKind.RECEIVED:
        n = int(data.get("attachments") or 0)
        return _("Received with %(n)d attached file(s).") % {"n": n} if n else ""
    if kind == EventKind.ASSIGNED and data.get("assignee_name"):
        return _("Verification assigned to %(who)s.") % {"who": data["assignee_name"]}
    if kind == EventKind.VERIFIED and "verified_true" in data:
        return _("Found true.") if data["verified_true"] else _("Found untrue.")
    if kind == EventKind.HANDLED:
        parts = []
        if data.get("hazard"):
            parts.append(_("Hazard ledger entry #%(id)s.") % {"id": data["hazard"]})
        if data.get("fine_amount") not in (None, ""):
            parts.append(_("Fine: %(amount)s yuan.") % {"amount": _yuan(data["fine_amount"])})
        return " ".join(parts)
    if kind == EventKind.REWARD and "amount" in data:
        return _("Reward %(amount)s yuan (%(basis)s; rules %(version)s).") % {
            "amount": _yuan(data["amount"]), "basis": _basis(data.get("basis", "")),
            "version": data.get("rule_version") or "—"}
    if kind == EventKind.PAID and data.get("paid_on"):
        return _("Reward paid on %(d)s.") % {"d": data["paid_on"]}
    if kind == EventKind.MERGED:
        if data.get("primary"):
            return _("Merged into report %(code)s.") % {"code": format_receipt(data.get("code", ""))}
        if data.get("duplicate"):
            return _("Report %(code)s was merged into this one.") % {"code": format_receipt(data.get("code", ""))}
    if kind == EventKind.EXTENDED and data.get("days"):
        return _("Handling period extended by %(days)s days (%(total)s days in all).") % {
            "days": data["days"], "total": data.get("total", data["days"])}
    if kind == EventKind.INFORMATION and data.get("files"):
        return _("Files: %(names)s") % {"names": _(", ").join(str(n) for n in data["files"])}
    if kind == EventKind.IDENTIFIED and data.get("mine_name"):
        return _("Mine identified: %(name)s.") % {"name": data["mine_name"]}
    return ""


def describe(event: TipoffEvent) -> str:
    """The event's details line: a sentence for the kinds that have one, followed by what was typed."""
    return _then_typed(_sentence(event), event.message)
