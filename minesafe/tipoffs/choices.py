"""Choices of the tip-off register; the values are those of ``minesafe.rules.tipoffs``."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minesafe.rules import tipoffs as rules


class TipoffCategory(models.TextChoices):
    MAJOR_HAZARD = rules.Category.MAJOR_HAZARD.value, _("Major accident hazard")
    ILLEGAL_PRODUCTION = rules.Category.ILLEGAL_PRODUCTION.value, _("Illegal production or construction")
    CONCEALED_ACCIDENT = rules.Category.CONCEALED_ACCIDENT.value, _("Concealed or falsely reported accident")
    HIDDEN_FACE = rules.Category.HIDDEN_FACE.value, _("Hidden working face")
    MONITORING_FALSIFIED = rules.Category.MONITORING_FALSIFIED.value, _("Falsified monitoring")
    ILLEGAL_SUBCONTRACTING = rules.Category.ILLEGAL_SUBCONTRACTING.value, _("Illegal subcontracting")
    OTHER = rules.Category.OTHER.value, _("Other")


class TipoffStatus(models.TextChoices):
    RECEIVED = rules.Status.RECEIVED.value, _("Received")
    ACCEPTED = rules.Status.ACCEPTED.value, _("Accepted")
    DECLINED = rules.Status.DECLINED.value, _("Declined")
    VERIFYING = rules.Status.VERIFYING.value, _("Being verified")
    VERIFIED = rules.Status.VERIFIED.value, _("Verified")
    HANDLED = rules.Status.HANDLED.value, _("Handled")
    ANSWERED = rules.Status.ANSWERED.value, _("Answered")
    REWARD_DECIDED = rules.Status.REWARD_DECIDED.value, _("Reward decided")
    CLOSED = rules.Status.CLOSED.value, pgettext_lazy("tip-off status", "Closed")
    MERGED = rules.Status.MERGED.value, _("Merged")


STATUS_COLOURS = {
    TipoffStatus.RECEIVED: "red", TipoffStatus.ACCEPTED: "orange", TipoffStatus.DECLINED: "grey",
    TipoffStatus.VERIFYING: "orange", TipoffStatus.VERIFIED: "blue", TipoffStatus.HANDLED: "blue",
    TipoffStatus.ANSWERED: "blue", TipoffStatus.REWARD_DECIDED: "blue", TipoffStatus.CLOSED: "green",
    TipoffStatus.MERGED: "grey",
}

# What the reporter reads about the state of the report: the internal steps stay internal.
PUBLIC_STATUS = {
    TipoffStatus.RECEIVED: _("Received, awaiting acceptance"),
    TipoffStatus.ACCEPTED: _("Accepted, verification being arranged"),
    TipoffStatus.DECLINED: _("Not accepted"),
    TipoffStatus.VERIFYING: _("Being verified"),
    TipoffStatus.VERIFIED: _("Verified, being handled"),
    TipoffStatus.HANDLED: _("Handled, answer being prepared"),
    TipoffStatus.ANSWERED: _("Answered"),
    TipoffStatus.REWARD_DECIDED: _("Answered, reward decided"),
    TipoffStatus.CLOSED: pgettext_lazy("tip-off status", "Closed"),
    TipoffStatus.MERGED: _("Merged with an earlier report of the same matter"),
}


class AccidentGrade(models.TextChoices):
    GENERAL = rules.AccidentGrade.GENERAL.value, _("General accident")
    LARGER = rules.AccidentGrade.LARGER.value, _("Larger accident")
    MAJOR = rules.AccidentGrade.MAJOR.value, _("Major accident")
    EXTRAORDINARY = rules.AccidentGrade.EXTRAORDINARY.value, _("Extraordinarily serious accident")


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Report received")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ASSIGNED = "assigned", _("Verification assigned")
    VERIFIED = "verified", _("Verification result")
    HANDLED = "handled", _("Handled")
    ANSWERED = "answered", _("Answer to the reporter")
    REWARD = "reward", _("Reward decided")
    PAID = "paid", _("Reward paid")
    CLOSED = "closed", pgettext_lazy("tip-off status", "Closed")
    MERGED = "merged", _("Merged")
    EXTENDED = "extended", _("Handling period extended")
    INFORMATION = "information", _("Additional information from the reporter")
    REVEALED = "revealed", _("Reporter identity viewed")
    IDENTIFIED = "identified", _("Mine identified")
