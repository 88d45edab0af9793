"""Hazard-ledger forms: shape validation and scoped choices. Rules and writes are in ``services``.

Fields the rules check (五落实, evidence, verification method, reason, listing) are optional here so
that the rule's own message, with its citation, is what the user sees.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from minesafe.core.querysets import scope_of
from minesafe.hazards.choices import HazardSource, ProductionStop, VerificationMethod
from minesafe.registry.choices import MineStatus, Sector
from minesafe.registry.models import Mine
from minesafe.rules.hazard_standards import ALL_STANDARDS, HazardCategory, HazardStandard

__all__ = [
    "ApplyForm",
    "ExtensionForm",
    "HazardForm",
    "ListingForm",
    "MultipleFileField",
    "PlanForm",
    "RejectForm",
    "SelfInspectionForm",
    "VerifyForm",
    "category_choices",
    "category_label",
    "item_choices",
]



def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> reads


# --- category and item choices from the versioned determination standards -----------------------


def _sector_label(sector: str) -> str:
    return str(dict(Sector.choices).get(sector, sector))


def _standards(today: dt.date) -> list[HazardStandard]:
    """Standards in force today first (in registry order), then superseded versions."""
    current = [s for s in ALL_STANDARDS if s.in_force(today)]
    older = [s for s in ALL_STANDARDS if not s.in_force(today) and s.effective_from <= today]
    return current + older


def _group_label(standard: HazardStandard, today: dt.date) -> str:
    sectors = "、".join(_sector_label(s) for s in sorted(standard.sectors))
    label = f"{sectors} — {standard.title}"
    if not standard.in_force(today):
        label += f" ({standard.effective_from:%Y-%m-%d} – {standard.effective_to:%Y-%m-%d})"
    return label


def category_number(category: HazardCategory) -> str:
    return category.code.rsplit(".", 1)[-1]


def _numbered(category: HazardCategory, text: str) -> str:
    """``(2) text`` for the standard's numbered categories; unnumbered ones (防治水, 其他) as they are."""
    number = category_number(category)
    return f"({number}) {text}" if number.isdigit() else text


def category_label(standard: HazardStandard, category: HazardCategory, width: int = 48) -> str:
    """``煤矿 · (2) 瓦斯超限作业``."""
    sectors = "、".join(_sector_label(s) for s in sorted(standard.sectors))
    return f"{sectors} · {_numbered(category, str(Truncator(category.title).chars(width)))}"


def category_choices(today: dt.date | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Categories grouped by standard: the versions in force today, then superseded ones (for
    findings dated before a new version came into force)."""
    today = today or timezone.localdate()
    return [
        (_group_label(s, today), [(c.code, category_label(s, c)) for c in s.categories])
        for s in _standards(today)
    ]


def item_choices(today: dt.date | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Items grouped by category (optional on a hazard)."""
    today = today or timezone.localdate()
    groups = []
    for standard in _standards(today):
        suffix = "" if standard.in_force(today) else f" ({standard.code})"
        for category in standard.categories:
            options = [(i.code, _numbered(category, f"{i.code.rsplit('.', 1)[-1]}. {Truncator(i.text).chars(60)}"))
                       for i in category.items]
            groups.append((category_label(standard, category) + suffix, options))
    return groups


# --- multiple file upload ------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each file's type, content and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf,.docx,.xlsx"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


EVIDENCE_HELP = _("JPG, PNG, PDF, DOCX or XLSX; several files may be selected.")


# --- forms ---------------------------------------------------------------------------------------


def visible_mines(user: Any, *, open_only: bool = False) -> Any:
    qs = (Mine.objects.visible_to(user).select_related("county").only("id", "name", "county__name")
          .order_by("name", "pk"))
    if open_only:
        qs = qs.exclude(status=MineStatus.CLOSED)
    return qs


class MineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Mine) -> str:
        return f"{obj.name}（{obj.county.name}）"


class HazardForm(forms.Form):
    """Register a major hazard (services.register_hazard)."""

    mine = MineChoiceField(label=_("Mine"), queryset=Mine.objects.none())
    source = forms.ChoiceField(label=_("Source"), choices=HazardSource.choices)
    category_code = forms.ChoiceField(label=_("Hazard category"), choices=())
    item_code = forms.ChoiceField(label=_("Item of the standard"), choices=(), required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    location = forms.CharField(label=_("Location in the mine"), max_length=200)
    found_on = forms.DateField(label=_("Found on"), widget=_date_input())
    found_by = forms.CharField(label=_("Found by"), max_length=100)
    production_stop = forms.ChoiceField(label=_("Production stopped"), choices=ProductionStop.choices,
                                        initial=ProductionStop.NONE)
    evidence = MultipleFileField(label=_("Evidence files"), help_text=EVIDENCE_HELP)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["mine"].queryset = visible_mines(user)
        self.fields["found_on"].initial = today
        if scope_of(user).is_enterprise:
            self.fields["source"].choices = [(HazardSource.SELF_CHECK.value, HazardSource.SELF_CHECK.label)]
            self.fields["source"].initial = HazardSource.SELF_CHECK
        else:
            self.fields["source"].initial = HazardSource.INSPECTION
        self.fields["category_code"].choices = [("", "---------"), *category_choices(today)]
        self.fields["item_code"].choices = [("", "---------"), *item_choices(today)]
        self.fields["item_code"].help_text = _("Optional: the sub-condition of the category.")


class PlanForm(forms.Form):
    """五落实: responsibility, measures, funds, deadline, contingency plan (services.start_rectification)."""

    rule_required = ("responsible_person", "measures", "funds_yuan", "deadline", "contingency_plan")

    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100, required=False)
    measures = forms.CharField(label=_("Measures"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    funds_yuan = forms.DecimalField(label=_("Funds (yuan)"), max_digits=14, decimal_places=2, required=False,
                                    help_text=_("0 when only management measures are needed."))
    deadline = forms.DateField(label=_("Deadline"), widget=_date_input(), required=False)
    contingency_plan = forms.CharField(label=_("Contingency plan"), widget=forms.Textarea(attrs={"rows": 3}),
                                       required=False)


class ApplyForm(forms.Form):
    """Apply for close-out with rectification evidence (services.apply_for_closure)."""

    rule_required = ("evidence",)

    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    evidence = MultipleFileField(label=_("Rectification evidence"), help_text=EVIDENCE_HELP)


class VerifyForm(forms.Form):
    """Close-out verification (services.verify_closure)."""

    rule_required = ("verification_method",)

    verification_method = forms.ChoiceField(label=_("Verification"), choices=VerificationMethod.choices,
                                            widget=forms.RadioSelect, required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RejectForm(forms.Form):
    """Verification failed (services.reject_closure)."""

    rule_required = ("reason",)

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ExtensionForm(forms.Form):
    """Request a later deadline (services.request_extension)."""

    rule_required = ("reason",)

    requested_deadline = forms.DateField(label=_("Requested deadline"), widget=_date_input())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ListingForm(forms.Form):
    """挂牌督办 (services.list_for_supervision)."""

    rule_required = ("document_no", "deadline")

    document_no = forms.CharField(label=_("Document no."), max_length=100, required=False)
    deadline = forms.DateField(label=_("Supervision deadline"), widget=_date_input(), required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class SelfInspectionForm(forms.Form):
    """The principal's monthly major-hazard self-inspection (services.record_self_inspection)."""

    rule_required = ("organised_on", "organiser")

    mine = MineChoiceField(label=_("Mine"), queryset=Mine.objects.none())
    organised_on = forms.DateField(label=_("Organised on"), widget=_date_input(), required=False)
    period = forms.CharField(label=_("Period"), max_length=7, required=False,
                             help_text=_("YYYY-MM (or YYYY-Qn); left empty: the period of the date organised."))
    organiser = forms.CharField(label=_("Organiser"), max_length=100, required=False)
    hazards_found = forms.IntegerField(label=_("Major hazards found"), min_value=0, max_value=10000, initial=0,
                                       required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = visible_mines(user, open_only=True)
        self.fields["organised_on"].initial = timezone.localdate()
