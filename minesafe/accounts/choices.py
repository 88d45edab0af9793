"""Choices for divisions, organisations and roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DivisionLevel(models.TextChoices):
    NATIONAL = "national", pgettext_lazy("division level", "National")
    PROVINCE = "province", pgettext_lazy("division level", "Province")
    CITY = "city", pgettext_lazy("division level", "City")
    COUNTY = "county", pgettext_lazy("division level", "County")


class OrgKind(models.TextChoices):
    REGULATOR = "regulator", _("Regulator")
    ENTERPRISE = "enterprise", _("Enterprise")
    PLATFORM = "platform", _("Platform operator")


class Role(models.TextChoices):
    """Roles. The three admin roles are separated (三员分立) and read no business data."""

    REG_INSPECTOR = "reg_inspector", _("Regulator inspector")
    REG_LEADER = "reg_leader", _("Regulator leader")
    ENT_PRINCIPAL = "ent_principal", _("Enterprise principal")
    ENT_SAFETY = "ent_safety", _("Enterprise safety manager")
    SYS_ADMIN = "sys_admin", _("System administrator")
    SEC_ADMIN = "sec_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


REGULATOR_ROLES = frozenset({Role.REG_INSPECTOR, Role.REG_LEADER})
ENTERPRISE_ROLES = frozenset({Role.ENT_PRINCIPAL, Role.ENT_SAFETY})
ADMIN_ROLES = frozenset({Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN})
ROLES_BY_ORG_KIND = {
    OrgKind.REGULATOR: REGULATOR_ROLES,
    OrgKind.ENTERPRISE: ENTERPRISE_ROLES,
    OrgKind.PLATFORM: ADMIN_ROLES,
}
