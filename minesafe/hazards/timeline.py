"""Wording of the hazard timeline, in the reader's language.

Events store codes and data (``HazardEvent.kind``, ``data``) plus, in ``message``, only what a
person typed (a note, a reason, a description, a document number) or a rule's own Chinese
message. The sentence shown is composed here when the page or the API is rendered, so a timeline
written by a user of one language reads correctly in the other.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from minesafe.hazards.choices import EventKind
from minesafe.hazards.models import HazardEvent
from minesafe.rules.hazards import NOTIFY_TARGET_LABELS

__all__ = ["describe"]


def _notification(event: HazardEvent) -> str:
    names = []
    for target in event.data.get("targets", []):
        if target == "actual_controller":
            who = event.data.get("actual_controller") or ""
            names.append(_("the actual controller (%(name)s)") % {"name": who} if who else _("the actual controller"))
        elif target == "principal":
            names.append(_("the enterprise's principal"))
        else:
            names.append(NOTIFY_TARGET_LABELS.get(target, target))
    return _("Notified: %(who)s") % {"who": _("; ").join(names)} if names else event.message


def _then_typed(text: str, typed: str) -> str:
    return f"{text}\n{typed}" if typed else text


def describe(event: HazardEvent) -> str:
    """The event's details line: a sentence for the kinds that have one, followed by what was typed."""
    data, typed = event.data or {}, event.message
    if event.kind == EventKind.PLAN and data.get("deadline"):
        text = _("Five-in-place plan recorded; responsible: %(who)s; deadline %(d)s") % {
            "who": data.get("responsible_person") or "—", "d": data["deadline"]}
        return _then_typed(text, typed)
    if event.kind == EventKind.NOTIFICATION:
        return _notification(event)
    if event.kind == EventKind.EXTENSION_REQUESTED and data.get("to"):
        text = _("Deadline %(old)s → %(new)s requested") % {"old": data.get("from") or "—", "new": data["to"]}
        return _then_typed(text, typed)
    if event.kind == EventKind.EXTENSION_DECIDED and "approved" in data:
        text = (_("Extension to %(d)s approved") if data["approved"] else _("Extension to %(d)s rejected")) % {
            "d": data.get("to") or "—"}
        return _then_typed(text, typed)
    if event.kind == EventKind.LISTED and data.get("deadline"):
        return _("Document %(doc)s; supervision deadline %(d)s") % {"doc": typed or "—", "d": data["deadline"]}
    return typed
