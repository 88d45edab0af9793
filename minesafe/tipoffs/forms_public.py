"""Forms of the public reporting pages (/report/). They only shape the input: every rule (what is
required, lengths, the mine or a described mine, identity) is checked by ``services``, whose field
errors are put back on these forms, so a refused report keeps everything the reporter typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from minesafe.accounts.choices import DivisionLevel
from minesafe.accounts.models import Division
from minesafe.core.uploads import allowed_types_text
from minesafe.registry.models import Mine
from minesafe.tipoffs.choices import TipoffCategory
from minesafe.tipoffs.services import ATTACHMENT_TYPES, MAX_ATTACHMENTS

__all__ = ["CheckForm", "InformationForm", "ReportForm", "attachment_help", "county_choices"]

ACCEPT = ",".join(ATTACHMENT_TYPES)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks their number, type, content and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class SecretInput(forms.TextInput):
    """A text box that never renders its value: the secret is never sent back to the browser."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


def attachment_help() -> str:
    return _("Photos, PDF or Word documents (%(types)s), at most %(n)d files of %(size)s each.") % {
        "types": allowed_types_text(ATTACHMENT_TYPES), "n": MAX_ATTACHMENTS,
        "size": filesizeformat(settings.TIPOFF_ATTACHMENT_MAX_BYTES)}


def county_choices() -> list[tuple[str, str]]:
    """Counties that hold at least one registered mine, labelled with their full name."""
    counties = (Division.objects.filter(level=DivisionLevel.COUNTY, code__in=Mine.objects.values("county_id"))
                .order_by("code").values_list("code", "full_name", "name"))
    return [("", _("— select the county —")), *((code, full or name) for code, full, name in counties)]


class ReportForm(forms.Form):
    county = forms.ChoiceField(label=_("County where the mine is"), required=False)
    mine_query = forms.CharField(label=_("Find the mine by name"), required=False, max_length=200,
                                 widget=forms.TextInput(attrs={"autocomplete": "off", "id": "mine-search"}))
    mine = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    mine_description = forms.CharField(
        label=_("Or describe the mine"), required=False, max_length=200,
        help_text=_("If the mine is not in the list (or you cannot search): its name, where it is, who runs it."))
    category = forms.ChoiceField(label=_("What is it about"), required=False,
                                 choices=[("", _("— select —")), *TipoffCategory.choices])
    description = forms.CharField(
        label=_("What did you see"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("At least 10 characters: what happens, where underground, since when, who is involved."))
    place = forms.CharField(label=_("Place"), required=False, max_length=200,
                            help_text=_("E.g. the working face, level or road."))
    occurred_on = forms.DateField(label=_("When"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                  help_text=_("The date you saw it, if you know it."))
    attachments = MultipleFileField(label=_("Photos or documents"))
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False, initial=True)
    name = forms.CharField(label=_("Your name"), required=False, max_length=100,
                           help_text=_("Leave empty when you report anonymously."))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=100,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.CharField(label=_("Email"), required=False, max_length=100,
                            widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}))
    other = forms.CharField(label=_("Other contact"), required=False, max_length=500,
                            help_text=_("E.g. a WeChat account, or when and how to reach you."))

    required_marks = ("category", "description")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = county_choices()
        self.fields["attachments"].help_text = attachment_help()

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the shape ``services.submit_tipoff`` reads."""
        data = self.cleaned_data
        return {key: data.get(key) for key in ("county", "mine", "mine_description", "category", "description",
                                                "place", "occurred_on", "anonymous", "name", "phone", "email",
                                                "other")}


class CheckForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false", "placeholder": "JB-XXXXX-XXXXX"}))
    secret = forms.CharField(label=_("Secret"), max_length=40,
                             widget=SecretInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                       "spellcheck": "false", "placeholder": "XXXX-XXXX-XXXX"}))


class InformationForm(forms.Form):
    text = forms.CharField(label=_("Additional information"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Photos or documents"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachment_help()
