"""Registry: enterprises, mines and the mine status history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from minesafe.accounts.models import Division, Organisation
from minesafe.core.models import ImportJob, TimestampedModel
from minesafe.registry.choices import (
    GasGrade,
    Hydrogeology,
    MineStatus,
    Scale,
    Sector,
    SpontaneousCombustion,
    StandardizationGrade,
    TailingsGrade,
)
from minesafe.registry.querysets import EnterpriseQuerySet, MineQuerySet, StatusChangeQuerySet

__all__ = ["MINE_IMPORT_KIND", "Enterprise", "Mine", "MineImport", "MineStatusChange"]


class Enterprise(TimestampedModel):
    """A mining enterprise (矿山企业), identified by its 统一社会信用代码 (GB 32100-2015).

    Enterprise users belong to ``organisation``; they see this enterprise's mines and nothing else.
    """

    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered county"),
        limit_choices_to={"level": "county"},
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subsidiaries",
        verbose_name=_("parent company"),
    )
    actual_controller = models.CharField(_("actual controller"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    organisation = models.OneToOneField(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="enterprise",
    )

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:enterprise_detail", args=[self.pk])


class Mine(TimestampedModel):
    """A mine or tailings pond under supervision.

    Status changes only through ``registry.services.change_mine_status`` (rule:
    ``minesafe.rules.mine_status``); every change is kept in :class:`MineStatusChange`.
    Cross-field consistency (sector-specific attributes) is ``rules.mine_attributes``.
    """

    name = models.CharField(_("name"), max_length=200)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="mines",
                                   verbose_name=_("enterprise"))
    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"),
                               limit_choices_to={"level": "county"})
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=MineStatus.choices, db_index=True,
                              default=MineStatus.CONSTRUCTION)
    status_since = models.DateField(_("status since"), null=True, blank=True)
    scale = models.CharField(_("scale"), max_length=8, choices=Scale.choices)
    approved_capacity = models.DecimalField(
        _("approved capacity"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("10,000 t/a (tailings ponds: leave blank, use total capacity)"),
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    boundary = models.JSONField(_("boundary polygon"), null=True, blank=True,
                                help_text=_("List of [longitude, latitude] points"))
    depth_m = models.DecimalField(_("mining depth (m)"), max_digits=7, decimal_places=1, null=True, blank=True)
    # Disaster ratings
    gas_grade = models.CharField(_("gas grade"), max_length=10, choices=GasGrade.choices, blank=True)
    hydrogeology = models.CharField(_("hydrogeology type"), max_length=14, choices=Hydrogeology.choices,
                                    blank=True)
    rock_burst = models.BooleanField(_("rock-burst mine"), null=True, blank=True)
    spontaneous_combustion = models.CharField(_("spontaneous combustion"), max_length=10,
                                              choices=SpontaneousCombustion.choices, blank=True)
    standardization_grade = models.CharField(_("standardization grade"), max_length=8,
                                             choices=StandardizationGrade.choices, blank=True)
    # Underground operations
    production_levels = models.PositiveSmallIntegerField(_("simultaneous production levels"), null=True,
                                                         blank=True)
    headcount_cap = models.PositiveIntegerField(_("underground headcount cap"), null=True, blank=True)
    # Licences
    mining_licence_no = models.CharField(_("mining licence no."), max_length=64, blank=True)
    mining_licence_valid_until = models.DateField(_("mining licence valid until"), null=True, blank=True,
                                                  db_index=True)
    safety_licence_no = models.CharField(_("safety production licence no."), max_length=64, blank=True)
    safety_licence_valid_until = models.DateField(_("safety licence valid until"), null=True, blank=True,
                                                  db_index=True)
    # Tailings ponds
    dam_height_m = models.DecimalField(_("dam height (m)"), max_digits=6, decimal_places=1, null=True, blank=True)
    tailings_capacity = models.DecimalField(_("total capacity (10,000 m³)"), max_digits=10, decimal_places=1,
                                            null=True, blank=True)
    tailings_grade = models.PositiveSmallIntegerField(_("tailings pond class"), choices=TailingsGrade.choices,
                                                      null=True, blank=True)
    downstream_population = models.BooleanField(_("residents downstream"), null=True, blank=True)

    objects = MineQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("mine")
        verbose_name_plural = _("mines")
        indexes = [models.Index(fields=["county", "sector", "status"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:mine_detail", args=[self.pk])


class MineStatusChange(models.Model):
    """One entry in a mine's status history, written by ``change_mine_status`` (and on creation)."""

    mine = models.ForeignKey(Mine, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=16, choices=MineStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=MineStatus.choices)
    effective_date = models.DateField(_("effective date"))
    reason = models.TextField(_("reason"))
    document_no = models.CharField(_("document no."), max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("mine status change")
        verbose_name_plural = _("mine status changes")

    def __str__(self) -> str:
        return f"{self.mine_id}: {self.from_status or '-'} → {self.to_status}"


MINE_IMPORT_KIND = "registry.mines"


class MineImportManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(kind=MINE_IMPORT_KIND)


class MineImport(ImportJob):
    """The mine-registry runs among ``core.ImportJob`` (kind ``"registry.mines"``).

    The runs live in core's table since background imports became generic (``core.jobs``); this
    proxy keeps the registry's name for them. New code uses ``core.jobs.jobs_of(user, kind)``.
    """

    objects = MineImportManager()

    class Meta:
        proxy = True
        verbose_name = _("mine import")
        verbose_name_plural = _("mine imports")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.kind:
            self.kind = MINE_IMPORT_KIND
        super().save(*args, **kwargs)
