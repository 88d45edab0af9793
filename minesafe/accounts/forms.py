"""Account forms. They validate shape only; rules and writes live in ``services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from minesafe.accounts.choices import OrgKind, Role
from minesafe.accounts.models import Division, Organisation


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput, strip=False)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    new_password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.all())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, strip=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


class OrganisationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(OrgKind.REGULATOR, _("Regulator")),
                                                       (OrgKind.PLATFORM, _("Platform operator"))])
    name = forms.CharField(label=_("Name"), max_length=200)
    division = forms.ModelChoiceField(label=_("Division"), required=False,
                                      queryset=Division.objects.exclude(level="county").order_by("code"))
    county = forms.CharField(label=_("or county code"), max_length=6, required=False,
                             help_text=_("Six digits, e.g. 210323 for 岫岩满族自治县"))

    def clean(self) -> dict:
        data = super().clean() or {}
        code = (data.get("county") or "").strip()
        if code:
            county = Division.objects.filter(code=code, level="county").first()
            if county is None:
                self.add_error("county", _("Unknown county code."))
            else:
                data["division"] = county
        return data


class EnterpriseAccountForm(forms.Form):
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=30)
