"""The tip-off register (举报台账): reports from the public, their timeline and attachments.

State changes only through ``minesafe.tipoffs.services`` (rules: ``minesafe.rules.tipoffs``).
The reporter's identity and contact are sealed with ``REPORTER_KEY`` (core.crypto); the secret the
reporter returns with is stored only as a password hash.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minesafe.accounts.models import Division
from minesafe.hazards.models import Hazard
from minesafe.registry.models import Mine
from minesafe.rules import tipoffs as rules
from minesafe.tipoffs.choices import AccidentGrade, EventKind, TipoffCategory, TipoffStatus
from minesafe.tipoffs.querysets import ByTipoffQuerySet, TipoffQuerySet


class Tipoff(models.Model):
    """One report. ``division`` is the county that handles it: the mine's county, or the county the
    reporter chose when describing a mine the register does not hold."""

    receipt_code = models.CharField(_("receipt code"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=128)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    mine = models.ForeignKey(Mine, null=True, blank=True, on_delete=models.PROTECT, related_name="tipoffs",
                             verbose_name=_("mine"))
    mine_description = models.CharField(_("mine as described"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=32, choices=TipoffCategory.choices)
    description = models.TextField(_("description"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    occurred_on = models.DateField(_("date of the matter"), null=True, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    identity_sealed = models.TextField(blank=True)  # core.crypto Sealer("REPORTER_KEY") of a JSON object
    has_contact = models.BooleanField(_("contact given"), default=False)
    channel = models.CharField(_("channel"), max_length=16, default="web")  # web / api

    status = models.CharField(_("status"), max_length=16, choices=TipoffStatus.choices,
                              default=TipoffStatus.RECEIVED, db_index=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    accept_due = models.DateField(_("accept by"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    handling_due = models.DateField(_("handle by"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("extension (days)"), default=0)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("verifier"))
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    verified_true = models.BooleanField(_("found true"), null=True, blank=True)
    findings = models.TextField(_("verification findings"), blank=True)
    answer_due = models.DateField(_("answer by"), null=True, blank=True)
    handled_on = models.DateField(_("handled on"), null=True, blank=True)
    handling_note = models.TextField(_("handling"), blank=True)
    hazard = models.ForeignKey(Hazard, null=True, blank=True, on_delete=models.PROTECT, related_name="tipoffs",
                               verbose_name=_("hazard ledger entry"))
    fine_amount = models.DecimalField(_("fine (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    accident_grade = models.CharField(_("accident grade"), max_length=16, choices=AccidentGrade.choices,
                                      blank=True)
    concealed_deaths = models.PositiveSmallIntegerField(_("concealed deaths"), default=0)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answer = models.TextField(_("answer to the reporter"), blank=True)
    reward_amount = models.DecimalField(_("reward (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    reward_basis = models.CharField(max_length=16, blank=True)
    reward_code = models.CharField(max_length=64, blank=True)
    reward_rule_version = models.CharField(max_length=16, blank=True)
    reward_details = models.JSONField(default=dict, blank=True)
    reward_decided_on = models.DateField(_("reward decided on"), null=True, blank=True)
    reward_paid_on = models.DateField(_("reward paid on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="duplicates", verbose_name=_("merged into"))
    updated_at = models.DateTimeField(auto_now=True)

    objects = TipoffQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("tip-off")
        verbose_name_plural = _("tip-offs")
        indexes = [
            models.Index(fields=["division", "status"], name="tipoff_division_status"),
            models.Index(fields=["division", "received_at"], name="tipoff_division_received"),
        ]

    def __str__(self) -> str:
        return self.receipt_code

    def overdue_flags(self, today: dt.date) -> frozenset[str]:
        return rules.overdue_flags(status=self.status, today=today, accept_due=self.accept_due,
                                   handling_due=self.handling_due, answer_due=self.answer_due)

    @property
    def disposed(self) -> bool:
        return rules.is_disposed(self.status, self.verified_true)


class TipoffEvent(models.Model):
    """One step on a report's timeline. ``public`` events are what the reporter reads with the code;
    ``message`` holds only what a person typed (the rest is worded on display from ``kind`` and ``data``)."""

    tipoff = models.ForeignKey(Tipoff, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    public = models.BooleanField(default=False)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = ByTipoffQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.tipoff_id}:{self.kind}"


class TipoffAttachment(models.Model):
    """A file from the reporter (with the report or added later) or from the verifier; type and size
    are checked and the SHA-256 kept. Downloaded only through scoped views, never from MEDIA_URL."""

    tipoff = models.ForeignKey(Tipoff, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="tipoffs/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    from_reporter = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ByTipoffQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
