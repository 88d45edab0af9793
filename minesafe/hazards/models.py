"""The major-accident-hazard ledger (重大事故隐患台账): hazards, their timeline, extensions,
listed supervision (挂牌督办), evidence files, rule decisions and monthly self-inspections.

Every write goes through ``hazards.services``; rules live in ``minesafe.rules.hazards`` and
``minesafe.rules.hazard_standards``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from minesafe.core.models import TimestampedModel
from minesafe.hazards.choices import (
    EventKind,
    ExtensionStatus,
    HazardSource,
    HazardStatus,
    ProductionStop,
    VerificationMethod,
)
from minesafe.hazards.querysets import ByHazardQuerySet, ByMineQuerySet, HazardQuerySet
from minesafe.registry.models import Mine
from minesafe.rules import hazards as rules

__all__ = [
    "Evidence", "Extension", "Hazard", "HazardEvent", "HazardTally", "Listing", "RuleDecision", "SelfInspection",
]


class Hazard(TimestampedModel):
    """One major accident hazard at a mine, from finding to close-out (销号).

    ``deadline`` is the latest approved deadline (original or extended, rules.effective_deadline);
    ``original_deadline`` stays as first planned. ``listed`` mirrors an active 挂牌督办. The 五落实
    plan fields are filled when rectification starts and must all be present
    (rules.check_five_in_place).
    """

    mine = models.ForeignKey(Mine, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("mine"))
    source = models.CharField(_("source"), max_length=12, choices=HazardSource.choices)
    standard_code = models.CharField(_("standard"), max_length=32)
    category_code = models.CharField(_("category"), max_length=48, db_index=True)
    category_family = models.CharField(max_length=48, db_index=True)
    item_code = models.CharField(_("item"), max_length=64, blank=True)
    description = models.TextField(_("description"))
    location = models.CharField(_("location in the mine"), max_length=200)
    found_on = models.DateField(_("found on"))
    found_by = models.CharField(_("found by"), max_length=100)
    production_stop = models.CharField(_("production stopped"), max_length=8, choices=ProductionStop.choices,
                                       default=ProductionStop.NONE)
    status = models.CharField(_("status"), max_length=24, choices=HazardStatus.choices,
                              default=HazardStatus.REGISTERED, db_index=True)
    # 五落实 plan
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    measures = models.TextField(_("measures"), blank=True)
    funds_yuan = models.DecimalField(_("funds (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    contingency_plan = models.TextField(_("contingency plan"), blank=True)
    original_deadline = models.DateField(_("original deadline"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    # 销号 application: the day the enterprise applied, and whether that was on or before the
    # deadline then in force (rules.hazards.is_overdue: an application in time stops the clock).
    applied_on = models.DateField(_("applied for close-out on"), null=True, blank=True)
    deadline_met = models.BooleanField(default=False)
    # close-out
    closed_on = models.DateField(_("closed out on"), null=True, blank=True)
    verification_method = models.CharField(_("verification"), max_length=10, choices=VerificationMethod.choices,
                                           blank=True)
    listed = models.BooleanField(_("listed for supervision"), default=False, db_index=True)
    penalty_code = models.CharField(_("penalty recommendation"), max_length=40, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = HazardQuerySet.as_manager()

    class Meta:
        ordering = ["-found_on", "-id"]
        verbose_name = _("major accident hazard")
        verbose_name_plural = _("major accident hazards")
        indexes = [
            models.Index(fields=["mine", "status"]),
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["mine", "category_family", "closed_on"]),
            # Measured with bench/hazards.py (1M hazards): the open-ledger list and the dashboard's
            # open-hazard figures read only this partial index; closed_on/found_on covers serve the
            # "closed this month/year" and trend figures without touching the table.
            models.Index(fields=["mine", "status", "source", "found_on", "deadline", "listed", "deadline_met"],
                         condition=~models.Q(status="closed"), name="hazard_open_by_mine_v2"),
            models.Index(fields=["closed_on", "mine", "status", "found_on", "source"], name="hazard_closed_on_cover"),
            models.Index(fields=["found_on", "mine"], name="hazard_found_on_cover"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.mine_id} {self.category_code}"

    def get_absolute_url(self) -> str:
        return reverse("hazards:hazard_detail", args=[self.pk])

    def is_overdue(self, today: dt.date) -> bool:
        """rules.hazards.is_overdue for this hazard (the SQL twin is HazardQuerySet.overdue)."""
        return rules.is_overdue(self.status, self.deadline, today, applied_on=self.applied_on)


class HazardTally(models.Model):
    """How many hazards of a county were found in a month and closed out in a month (0 = still open).

    A counter kept by ``hazards.tally`` in the same transaction as every write that changes it
    (registration, close-out, a mine moving county), so division dashboards add up a few hundred
    rows instead of reading a year of the ledger. ``manage.py hazards_tally`` checks it against the
    ledger and rebuilds it (after bulk loads). Months are ``year * 100 + month`` (202611).
    """

    county_code = models.CharField(max_length=12)
    found_month = models.PositiveIntegerField()
    closed_month = models.PositiveIntegerField(default=0)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "found_month", "closed_month"],
                                               name="hazard_tally_key")]
        indexes = [models.Index(fields=["closed_month", "county_code", "found_month", "n"],
                                name="hazard_tally_closed")]

    def __str__(self) -> str:
        return f"{self.county_code} {self.found_month}→{self.closed_month or '-'}: {self.n}"


class HazardEvent(models.Model):
    """The hazard's timeline: every lifecycle step, in order (the audit log is the forensic trail)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = ByHazardQuerySet.as_manager()

    class Meta:
        ordering = ["time", "id"]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.kind}"


class Extension(models.Model):
    """A request to move the deadline; approval updates ``Hazard.deadline`` (the original is kept)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="extensions")
    previous_deadline = models.DateField()
    requested_deadline = models.DateField(_("requested deadline"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = ByHazardQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.hazard_id}: {self.previous_deadline} → {self.requested_deadline} ({self.status})"


class Listing(models.Model):
    """挂牌督办: a regulator lists the hazard for supervision with a document, level and deadline."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="listings")
    level = models.CharField(_("level"), max_length=10)  # the listing regulator's division level
    document_no = models.CharField(_("document no."), max_length=100)
    deadline = models.DateField(_("supervision deadline"))
    note = models.TextField(_("note"), blank=True)
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation_name = models.CharField(max_length=200)
    listed_at = models.DateTimeField(auto_now_add=True)
    lifted_on = models.DateField(null=True, blank=True)

    objects = ByHazardQuerySet.as_manager()

    class Meta:
        ordering = ["-listed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.document_no}"


class Evidence(models.Model):
    """A file attached to a hazard (finding photos, rectification proof); type and size are checked
    and its SHA-256 stored, so a later copy can be matched to what was uploaded."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="hazards/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    purpose = models.CharField(max_length=16, default="finding")  # finding / rectification
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ByHazardQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class RuleDecision(models.Model):
    """A decision produced by a versioned rule (penalty, closure proposal, repeat offence,
    escalation), with the inputs it saw, so ``rules.hazards.replay`` can reproduce it."""

    mine = models.ForeignKey(Mine, on_delete=models.CASCADE, related_name="hazard_decisions")
    hazard = models.ForeignKey(Hazard, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions")
    rule = models.CharField(max_length=40, db_index=True)
    rule_version = models.CharField(max_length=40)
    code = models.CharField(max_length=40, db_index=True)
    message = models.TextField()
    citation = models.CharField(max_length=200)
    inputs = models.JSONField(default=dict)
    details = models.JSONField(default=dict)
    decided_at = models.DateTimeField(auto_now_add=True)

    objects = ByMineQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.rule}@{self.rule_version}: {self.code}"


class SelfInspection(models.Model):
    """The principal's monthly full-system major-hazard investigation (seed-002 §五)."""

    mine = models.ForeignKey(Mine, on_delete=models.CASCADE, related_name="self_inspections")
    period = models.CharField(_("period"), max_length=7)  # "2026-10" or "2026-Q3"
    organised_on = models.DateField(_("organised on"))
    organiser = models.CharField(_("organiser"), max_length=100)
    hazards_found = models.PositiveIntegerField(_("major hazards found"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ByMineQuerySet.as_manager()

    class Meta:
        ordering = ["-period"]
        constraints = [models.UniqueConstraint(fields=["mine", "period"], name="one_self_inspection_per_period")]

    def __str__(self) -> str:
        return f"{self.mine_id} {self.period}"
