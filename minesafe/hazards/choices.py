"""Choices for the major-hazard ledger. Values equal the codes in ``minesafe.rules.hazards``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HazardStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    RECTIFYING = "rectifying", _("Under rectification")
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting close-out verification")
    CLOSED = "closed", _("Closed out")


HAZARD_STATUS_COLOURS = {
    HazardStatus.REGISTERED: "red",
    HazardStatus.RECTIFYING: "orange",
    HazardStatus.AWAITING_VERIFICATION: "blue",
    HazardStatus.CLOSED: "green",
}


class HazardSource(models.TextChoices):
    SELF_CHECK = "self_check", _("Enterprise self-check")
    INSPECTION = "inspection", _("Enforcement inspection")
    TIP_OFF = "tip_off", _("Public tip-off")
    MONITORING = "monitoring", _("Monitoring alarm")


class ProductionStop(models.TextChoices):
    NONE = "none", _("Not stopped")
    PARTIAL = "partial", _("Partly stopped")
    FULL = "full", _("Fully stopped")


class VerificationMethod(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    DOCUMENT = "document", _("By documents")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    PLAN = "plan", _("Five-in-place plan")
    STATUS = "status", _("Status change")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
    EXTENSION_DECIDED = "extension_decided", _("Extension decided")
    LISTED = "listed", _("Listed for supervision")
    EVIDENCE = "evidence", _("Evidence added")
    DECISION = "decision", _("Rule decision")
    NOTIFICATION = "notification", _("Notification")
