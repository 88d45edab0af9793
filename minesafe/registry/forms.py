"""Registry forms: shape validation and scoped choices. Rules and writes are in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms.fields import InvalidJSONInput
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minesafe.accounts.forms import EnterpriseAccountForm
from minesafe.accounts.models import Division
from minesafe.core.querysets import scope_of
from minesafe.registry.choices import MineStatus
from minesafe.registry.models import Enterprise, Mine
from minesafe.registry.services import ENTERPRISE_FIELDS, MINE_FIELDS

__all__ = ["EnterpriseAccountForm", "EnterpriseForm", "ImportForm", "MineCreateForm", "MineForm", "StatusChangeForm"]


def counties_for(user: Any):
    scope = scope_of(user)
    qs = Division.objects.filter(level="county")
    if scope.is_regulator:
        return qs.filter(code__startswith=scope.division_prefix)
    return qs.none()


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = list(ENTERPRISE_FIELDS)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = counties_for(user)
        parents = Enterprise.objects.visible_to(user)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents

    def validate_unique(self) -> None:
        """Uniqueness is checked by the service, with the normalised code."""


class BoundaryField(forms.JSONField):
    """The boundary polygon as JSON; malformed or absurdly nested input is a field error, not a 500."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except (ValueError, RecursionError):
            raise forms.ValidationError(_("Enter valid JSON: a list of [longitude, latitude] points."),
                                        code="invalid") from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        # Re-displaying the rejected text must not parse it again.
        try:
            return super().bound_data(data, initial)
        except (ValueError, RecursionError):
            return InvalidJSONInput(data)


class MineForm(forms.ModelForm):
    class Meta:
        model = Mine
        fields = list(MINE_FIELDS)
        widgets = {
            "mining_licence_valid_until": forms.DateInput(attrs={"type": "date"}),
            "safety_licence_valid_until": forms.DateInput(attrs={"type": "date"}),
            "boundary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties_for(user)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("id", "name")
        self.fields["boundary"] = BoundaryField(label=self.fields["boundary"].label, required=False,
                                                help_text=self.fields["boundary"].help_text,
                                                widget=forms.Textarea(attrs={"rows": 3}))


class MineCreateForm(MineForm):
    status = forms.ChoiceField(label=_("Initial status"), choices=MineStatus.choices,
                               initial=MineStatus.CONSTRUCTION)


class StatusChangeForm(forms.Form):
    target = forms.ChoiceField(label=_("New status"), choices=())
    effective_date = forms.DateField(label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"}))
    document_no = forms.CharField(label=_("Document no."), max_length=100, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = targets
        self.fields["effective_date"].initial = timezone.localdate()


class ImportForm(forms.Form):
    file = forms.FileField(label=_("xlsx file"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file."))
        if f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB.")
                                        % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
        return f
