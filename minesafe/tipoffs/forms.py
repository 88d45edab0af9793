"""Forms of the regulator's tip-off pages: one per action on the detail page. Shape only; the rules
and every write are in ``services`` (fields the service checks are optional here, so that the
service's own message is what the user sees)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minesafe.hazards.choices import ProductionStop
from minesafe.hazards.forms import category_choices, item_choices
from minesafe.hazards.models import Hazard
from minesafe.registry.models import Mine
from minesafe.rules.hazard_standards import ALL_STANDARDS
from minesafe.tipoffs.choices import AccidentGrade

__all__ = [
    "ACTION_FORMS", "AcceptForm", "AnswerForm", "AssignForm", "CloseForm", "DeclineForm", "ExtendForm", "HandleForm",
    "IdentifyForm", "MergeForm", "PaymentForm", "RevealForm", "RewardForm", "VerifyForm",
]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label: Any, rows: int = 3, *, required: bool = False, max_length: int = 5000) -> forms.CharField:
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), required=required,
                           max_length=max_length)


class ActionForm(forms.Form):
    """An action form; ``rule_required`` fields get an asterisk although the service checks them."""

    rule_required: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")  # several forms on one page
        super().__init__(*args, **kwargs)

    action = ""


class AcceptForm(ActionForm):
    action = "accept"
    note = _text(_("Note"), 2, max_length=2000)


class DeclineForm(ActionForm):
    action = "decline"
    rule_required = ("reason",)
    reason = _text(_("Reason (the reporter reads it)"), max_length=2000)


class AssignForm(ActionForm):
    action = "assign"
    assignee = forms.TypedChoiceField(label=_("Verifier"), coerce=int, choices=())
    note = _text(_("Note"), 2, max_length=2000)

    def __init__(self, *args: Any, users: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {u.pk: u for u in users}
        self.fields["assignee"].choices = [("", "---------")] + [
            (u.pk, f"{u}（{u.organisation or ''} · {u.get_role_display()}）") for u in users]


class VerifyForm(ActionForm):
    action = "verify"
    rule_required = ("findings",)
    verified_true = forms.TypedChoiceField(
        label=_("Result"), widget=forms.RadioSelect, coerce=lambda v: v == "true",
        choices=(("true", _("Found true")), ("false", _("Found untrue"))))
    findings = _text(_("Verification findings"), 4)


class IdentifyForm(ActionForm):
    action = "identify"
    mine = forms.ModelChoiceField(label=_("Mine"), queryset=Mine.objects.none())

    def __init__(self, *args: Any, mines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = mines
        self.fields["mine"].label_from_instance = lambda m: f"{m.name}（{m.enterprise.name}）"


HAZARD_NONE, HAZARD_NEW, HAZARD_LINK = "none", "new", "link"


Groups = list[tuple[str, list[tuple[str, str]]]]


def _for_sector(groups: Groups, sector: str) -> Groups:
    """The hazard category (or item) choices of the standards covering the mine's sector."""
    if not sector:
        return groups
    prefixes = tuple(f"{s.code}." for s in ALL_STANDARDS if sector in s.sectors)
    kept = [(label, [o for o in options if o[0].startswith(prefixes)]) for label, options in groups]
    return [(label, options) for label, options in kept if options]
HAZARD_FIELDS = ("category_code", "item_code", "description", "location", "found_on", "found_by", "production_stop")


class HandleForm(ActionForm):
    """How a verified report was handled; optionally the hazard-ledger entry it becomes."""

    action = "handle"
    rule_required = ("note",)
    note = _text(_("Handling"), 4)
    fine_amount = forms.DecimalField(label=_("Fine (yuan)"), max_digits=12, decimal_places=2, min_value=0,
                                     required=False)
    accident_grade = forms.ChoiceField(label=_("Accident grade"), choices=[("", "---------"), *AccidentGrade.choices],
                                       required=False)
    concealed_deaths = forms.IntegerField(label=_("Concealed deaths"), min_value=0, max_value=1000, initial=0,
                                          required=False)
    hazard_mode = forms.ChoiceField(
        label=_("Hazard ledger"), widget=forms.RadioSelect, initial=HAZARD_NONE, required=False,
        choices=((HAZARD_NONE, _("No hazard-ledger entry")), (HAZARD_NEW, _("Register a new major hazard")),
                 (HAZARD_LINK, _("Link an existing hazard of this mine"))))
    hazard = forms.TypedChoiceField(label=_("Existing hazard"), coerce=int, choices=(), required=False)
    category_code = forms.ChoiceField(label=_("Hazard category"), choices=(), required=False)
    item_code = forms.ChoiceField(label=_("Item of the standard"), choices=(), required=False)
    description = _text(_("Hazard description"), 3)
    location = forms.CharField(label=_("Location in the mine"), max_length=200, required=False)
    found_on = forms.DateField(label=_("Found on"), widget=_date_input(), required=False)
    found_by = forms.CharField(label=_("Found by"), max_length=100, required=False)
    production_stop = forms.ChoiceField(label=_("Production stopped"), choices=ProductionStop.choices,
                                        initial=ProductionStop.NONE, required=False)

    def __init__(self, *args: Any, hazards: Any, concealed: bool, with_mine: bool, sector: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.concealed, self.with_mine, self.hazards = concealed, with_mine, {h.pk: h for h in hazards}
        if not concealed:
            del self.fields["accident_grade"], self.fields["concealed_deaths"]
        if not with_mine:  # a hazard needs a registered mine: identify it first
            for name in ("hazard_mode", "hazard", *HAZARD_FIELDS):
                del self.fields[name]
            return
        self.fields["hazard"].choices = [("", "---------")] + [
            (h.pk, f"#{h.pk} {h.found_on:%Y-%m-%d} {h.get_status_display()} · {h.description[:40]}") for h in hazards]
        self.fields["category_code"].choices = [("", "---------"), *_for_sector(category_choices(today), sector)]
        self.fields["item_code"].choices = [("", "---------"), *_for_sector(item_choices(today), sector)]
        self.fields["found_on"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("hazard_mode") == HAZARD_LINK and not data.get("hazard"):
            self.add_error("hazard", _("Select a hazard of this mine."))
        return data

    def hazard_data(self) -> dict[str, Any] | None:
        """The new hazard's fields for hazards.services.register_hazard (None: no new hazard)."""
        if not self.with_mine or self.cleaned_data.get("hazard_mode") != HAZARD_NEW:
            return None
        data = {name: self.cleaned_data.get(name) for name in HAZARD_FIELDS}
        data["production_stop"] = data["production_stop"] or ProductionStop.NONE
        return {k: ("" if v is None and k != "found_on" else v) for k, v in data.items()}

    def linked_hazard(self) -> Hazard | None:
        if not self.with_mine or self.cleaned_data.get("hazard_mode") != HAZARD_LINK:
            return None
        return self.hazards.get(self.cleaned_data.get("hazard"))


class AnswerForm(ActionForm):
    action = "answer"
    rule_required = ("text",)
    text = _text(_("Answer to the reporter"), 4)


class RewardForm(ActionForm):
    """Decide the reward: the page shows the rule's computation; ``expected`` is the amount shown."""

    action = "reward"
    expected = forms.CharField(widget=forms.HiddenInput, required=False)
    confirm = forms.BooleanField(label=_("I have checked the amount and its basis"))
    note = _text(_("Note"), 2, max_length=2000)


class PaymentForm(ActionForm):
    action = "payment"
    paid_on = forms.DateField(label=_("Paid on"), widget=_date_input())
    note = _text(_("Note"), 2, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class CloseForm(ActionForm):
    action = "close"


class MergeForm(ActionForm):
    action = "merge"
    primary = forms.CharField(label=_("Earlier report (receipt code or number)"), max_length=40)
    note = _text(_("Note"), 2, max_length=2000)


class ExtendForm(ActionForm):
    action = "extend"
    rule_required = ("reason",)
    days = forms.IntegerField(label=_("Days"), min_value=1)
    reason = _text(_("Reason"), 3, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs["max"] = settings.TIPOFF_EXTENSION_MAX_DAYS  # the rule says why


class RevealForm(ActionForm):
    action = "reveal"


ACTION_FORMS: dict[str, type[ActionForm]] = {
    f.action: f for f in (AcceptForm, DeclineForm, AssignForm, VerifyForm, IdentifyForm, HandleForm, AnswerForm,
                          RewardForm, PaymentForm, CloseForm, MergeForm, ExtendForm, RevealForm)
}
