"""Registry forms: shape validation and scoped choices. Rules and writes are in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
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
        return f
