"""People forms: shape and scoped choices only. Rules and writes are in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minesafe.people.choices import Education, EmploymentType, PostKind, TrainingKind
from minesafe.people.models import Person, Post
from minesafe.registry.models import Mine

__all__ = ["AttendeesForm", "ImportForm", "PersonForm", "PostForm", "RevealForm", "TrainingForm"]

_DATE = forms.DateInput(attrs={"type": "date"})
IMPORT_KINDS = (("roster", _("Roster (persons and posts)")), ("training", _("Training attendance")))


class PersonForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=30)
    education = forms.ChoiceField(label=_("education"), choices=Education.choices)
    major = forms.CharField(label=_("major"), max_length=100, required=False)
    core_discipline = forms.BooleanField(label=_("major is the mine's core discipline"), required=False)
    years_experience = forms.DecimalField(label=_("years of front-line mining experience"), min_value=0,
                                          max_value=80, decimal_places=1, initial=0)
    employment_type = forms.ChoiceField(label=_("employment type"), choices=EmploymentType.choices)
    contractor = forms.CharField(label=_("contractor"), max_length=200, required=False)
    contractor_parent_employee = forms.NullBooleanField(
        label=_("regular employee of the contractor's parent legal entity"), required=False)

    def __init__(self, *args: Any, instance: Person | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {f: getattr(instance, f) for f in (
                "name", "education", "major", "core_discipline", "years_experience", "employment_type",
                "contractor", "contractor_parent_employee")})
        super().__init__(*args, **kwargs)
        if instance is not None:
            # The stored number is never sent to the browser: leave blank to keep it.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Stored: %(masked)s. Leave blank to keep it.") % {
                "masked": instance.id_masked}


class PostForm(forms.Form):
    mine = forms.ModelChoiceField(label=_("mine"), queryset=Mine.objects.none())
    kind = forms.ChoiceField(label=_("post"), choices=PostKind.choices)
    underground = forms.BooleanField(label=_("works underground"), required=False)
    start_date = forms.DateField(label=_("start date"), widget=_DATE)
    end_date = forms.DateField(label=_("end date"), widget=_DATE, required=False)
    also_holds = forms.MultipleChoiceField(label=_("also holds"), choices=PostKind.choices, required=False,
                                           widget=forms.SelectMultiple(attrs={"size": 4}))
    certificate_type = forms.CharField(label=_("certificate type"), max_length=100, required=False)
    certificate_no = forms.CharField(label=_("certificate number"), max_length=64, required=False)
    certificate_issued = forms.DateField(label=_("certificate issued"), widget=_DATE, required=False)
    certificate_expires = forms.DateField(label=_("certificate expires"), widget=_DATE, required=False)
    first_certified = forms.DateField(label=_("first certified"), widget=_DATE, required=False)
    first_underground_special_op = forms.BooleanField(label=_("first underground special-operation certificate"),
                                                      required=False)

    def __init__(self, *args: Any, person: Person, user: Any, instance: Post | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {f: getattr(instance, f) for f in self.base_fields if f != "mine"}
                              | {"mine": instance.mine_id})
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = Mine.objects.visible_to(user).filter(enterprise_id=person.enterprise_id)
        if instance is not None:
            self.fields["mine"].disabled = True
        else:
            self.fields["start_date"].initial = timezone.localdate()


class TrainingForm(forms.Form):
    mine = forms.ModelChoiceField(label=_("mine"), queryset=Mine.objects.none())
    date = forms.DateField(label=_("date"), widget=_DATE)
    kind = forms.ChoiceField(label=_("type"), choices=TrainingKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    hours = forms.DecimalField(label=_("hours"), min_value=0, max_value=1000, decimal_places=1, required=False)
    attendees = forms.ModelMultipleChoiceField(label=_("attendees"), queryset=Person.objects.none(), required=False,
                                               widget=forms.SelectMultiple(attrs={"size": 10}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mine"].queryset = Mine.objects.visible_to(user).select_related("enterprise")
        self.fields["attendees"].queryset = Person.objects.visible_to(user)
        self.fields["date"].initial = timezone.localdate()


class AttendeesForm(forms.Form):
    attendees = forms.ModelMultipleChoiceField(label=_("attendees"), queryset=Person.objects.none(),
                                               widget=forms.SelectMultiple(attrs={"size": 10}))

    def __init__(self, *args: Any, user: Any, enterprise_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = Person.objects.visible_to(user).filter(enterprise_id=enterprise_id)


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500, required=False,
                             help_text=_("Recorded in the audit log with your name."))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("type"), choices=IMPORT_KINDS)
    file = forms.FileField(label=_("xlsx file"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file."))
        if f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB.")
                                        % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
        return f
