"""Forms of the alarm and falsification-flag pages: one per action. Shape only; the rules and every
write are in ``minesafe.monitoring.alarms`` (fields the service checks are optional here, so that the
service's own message is what the user sees)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minesafe.hazards.choices import ProductionStop
from minesafe.hazards.forms import category_choices, item_choices
from minesafe.rules.hazard_standards import ALL_STANDARDS

__all__ = ["ACTION_FORMS", "AcknowledgeForm", "AlarmActionForm", "AssignForm", "ClearForm", "CommentForm",
           "ConfirmHazardForm", "FlagDecideForm"]

NOTE_MAX = 2000
FULL_WIDTH = "width:100%"  # the action forms sit in narrow cards


def _text(label: Any, rows: int = 3, *, required: bool = False, max_length: int = 5000) -> forms.CharField:
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows, "style": FULL_WIDTH}),
                           required=required, max_length=max_length)


class AlarmActionForm(forms.Form):
    """An action form; ``rule_required`` fields get an asterisk although the service checks them."""

    action = ""
    rule_required: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")  # several forms on one page
        super().__init__(*args, **kwargs)


class AcknowledgeForm(AlarmActionForm):
    action = "ack"
    note = _text(_("Note"), 2, max_length=NOTE_MAX)


class AssignForm(AlarmActionForm):
    action = "assign"
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int, choices=())

    def __init__(self, *args: Any, users: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {u.pk: u for u in users}
        self.fields["assignee"].widget.attrs["style"] = FULL_WIDTH
        self.fields["assignee"].choices = [("", "---------")] + [
            (u.pk, f"{u}（{u.organisation or ''} · {u.get_role_display()}）") for u in users]


class ClearForm(AlarmActionForm):
    action = "clear"
    rule_required = ("note",)
    note = _text(_("Cause and measures taken"), 3, max_length=NOTE_MAX)


class CommentForm(AlarmActionForm):
    action = "comment"
    rule_required = ("text",)
    text = _text(_("Comment"), 3)


Groups = list[tuple[str, list[tuple[str, str]]]]


def _for_sector(groups: Groups, sector: str) -> Groups:
    """The hazard category (or item) choices of the standards covering the mine's sector."""
    prefixes = tuple(f"{s.code}." for s in ALL_STANDARDS if sector in s.sectors)
    kept = [(label, [o for o in options if o[0].startswith(prefixes)]) for label, options in groups]
    return [(label, options) for label, options in kept if options]


HAZARD_FIELDS = ("category_code", "item_code", "description", "location", "found_on", "found_by", "production_stop")


class ConfirmHazardForm(AlarmActionForm):
    """Confirm a 瓦斯超限作业 / 明停暗开 candidate into the hazard ledger (seed-004; DOMAIN §2.1): the
    new ledger entry's fields, prefilled from the alarm."""

    action = "confirm"
    rule_required = ("category_code", "description", "location", "found_on", "found_by")
    category_code = forms.ChoiceField(label=_("Hazard category"), choices=(), required=False)
    item_code = forms.ChoiceField(label=_("Item of the standard"), choices=(), required=False)
    description = _text(_("Hazard description"), 3)
    location = forms.CharField(label=_("Location in the mine"), max_length=200, required=False)
    found_on = forms.DateField(label=_("Found on"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    found_by = forms.CharField(label=_("Found by"), max_length=100, required=False)
    production_stop = forms.ChoiceField(label=_("Production stopped"), choices=ProductionStop.choices,
                                        initial=ProductionStop.NONE, required=False)

    def __init__(self, *args: Any, sector: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["category_code"].choices = [("", "---------"), *_for_sector(category_choices(today), sector)]
        self.fields["item_code"].choices = [("", "---------"), *_for_sector(item_choices(today), sector)]
        for name in ("category_code", "item_code", "location", "found_by"):
            self.fields[name].widget.attrs["style"] = FULL_WIDTH

    def hazard_data(self) -> dict[str, Any]:
        """The new hazard's fields for ``alarms.confirm_hazard`` (→ hazards.services.register_hazard)."""
        data = {name: self.cleaned_data.get(name) for name in HAZARD_FIELDS}
        data["production_stop"] = data["production_stop"] or ProductionStop.NONE
        return {k: ("" if v is None and k != "found_on" else v) for k, v in data.items()}


class FlagDecideForm(AlarmActionForm):
    """Confirm or dismiss a suspicion of falsified monitoring data (安全监控系统造假)."""

    action = "decide"
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=(("confirm", _("Confirm: the data were falsified")),
                                          ("dismiss", _("Dismiss: explained otherwise"))))
    note = _text(_("Reasons"), 3, max_length=NOTE_MAX)
    rule_required = ("note",)

    @property
    def confirm(self) -> bool:
        return self.cleaned_data.get("decision") == "confirm"


ACTION_FORMS: dict[str, type[AlarmActionForm]] = {
    f.action: f for f in (AcknowledgeForm, AssignForm, ClearForm, CommentForm, ConfirmHazardForm)
}
