"""Administrative divisions, organisations, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from minesafe.accounts.choices import DivisionLevel, OrgKind, Role
from minesafe.core.models import TimestampedModel
from minesafe.core.scope import NO_SCOPE, Scope

__all__ = ["ApiToken", "Division", "Organisation", "User"]

NATIONAL_CODE = "CN"


class Division(models.Model):
    """An administrative division (国家统计局 statistical codes, 2023 edition).

    The primary key is the code itself: 2 digits for a province, 4 for a city, 6 for a county, so a
    county's code starts with its city's and its province's. Scoping "this division and everything
    below" is therefore a ``startswith`` on a code column with no join. The national root is ``CN``.
    """

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=10, choices=DivisionLevel.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    full_name = models.CharField(_("full name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")

    def __str__(self) -> str:
        return self.full_name or self.name

    @property
    def scope_prefix(self) -> str:
        """Code prefix shared by this division and all divisions below it ("" = national)."""
        return "" if self.level == DivisionLevel.NATIONAL else self.code

    def contains(self, code: str) -> bool:
        return code.startswith(self.scope_prefix)


class Organisation(TimestampedModel):
    """A regulator at a division, an enterprise (linked from registry.Enterprise), or the platform operator."""

    kind = models.CharField(_("kind"), max_length=12, choices=OrgKind.choices)
    name = models.CharField(_("name"), max_length=200)
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations",
        verbose_name=_("division"),
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="regulator") | models.Q(division__isnull=False),
                name="regulator_has_division",
            )
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person with exactly one role in exactly one organisation."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    must_change_password = models.BooleanField(default=False)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def scope(self) -> Scope:
        """The business data this user may read; see :class:`minesafe.core.scope.Scope`."""
        org = self.organisation
        if not self.is_active or org is None:
            return NO_SCOPE
        if org.kind == OrgKind.REGULATOR and self.role in (Role.REG_INSPECTOR, Role.REG_LEADER):
            prefix = "" if org.division_id == NATIONAL_CODE else (org.division_id or "")
            if org.division_id is None:
                return NO_SCOPE
            return Scope(kind="regulator", division_prefix=prefix, organisation_id=org.pk)
        if org.kind == OrgKind.ENTERPRISE and self.role in (Role.ENT_PRINCIPAL, Role.ENT_SAFETY):
            return Scope(kind="enterprise", organisation_id=org.pk)
        return NO_SCOPE

    @property
    def is_regulator(self) -> bool:
        return self.scope.is_regulator

    @property
    def is_enterprise_user(self) -> bool:
        return self.scope.is_enterprise


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenManager(models.Manager["ApiToken"]):
    def issue(self, *, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token; the raw value is returned once and only its SHA-256 is stored."""
        raw = "ms_" + secrets.token_urlsafe(32)
        token = self.create(user=user, name=name, key_hash=_hash_token(raw), prefix=raw[:10])
        return token, raw

    def for_raw(self, raw: str) -> ApiToken | None:
        return (
            self.select_related("user", "user__organisation")
            .filter(key_hash=_hash_token(raw), revoked_at__isnull=True)
            .first()
        )


class ApiToken(TimestampedModel):
    """Bearer token for machine clients; acts with its user's role and scope."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=10)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: Any = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
