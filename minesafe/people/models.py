"""People and qualifications: persons (ID numbers encrypted), posts at mines, training sessions and
drills, and the stored compliance findings per mine.

Rules live in ``minesafe.rules.people``; every write goes through ``people.services``, which also
recomputes the affected mines' findings (:class:`MineCheck` + :class:`Finding`).
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from minesafe.core.models import TimestampedModel
from minesafe.people.choices import Consequence, Education, EmploymentType, PostKind, Severity, TrainingKind
from minesafe.people.querysets import AttendanceQuerySet, MineScopedQuerySet, PersonQuerySet
from minesafe.registry.models import Enterprise, Mine

__all__ = ["Attendance", "Finding", "MineCheck", "Person", "Post", "TrainingSession"]


class Person(TimestampedModel):
    """Someone on an enterprise's roster.

    The ID number (GB 11643) is never stored in clear: ``id_cipher`` is its Fernet token,
    ``id_index`` a keyed HMAC (blind index) for duplicate detection, ``id_masked`` what every page,
    API answer and export shows. No birth date is stored: with the masked form it would give the
    whole number away. Revealing the full number is ``services.reveal_id_number`` (audited).
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="people",
                                   verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=50)
    id_cipher = models.TextField(editable=False)
    id_index = models.CharField(max_length=64, editable=False, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    education = models.CharField(_("education"), max_length=24, choices=Education.choices)
    major = models.CharField(_("major"), max_length=100, blank=True)
    core_discipline = models.BooleanField(_("major is the mine's core discipline"), default=False)
    years_experience = models.DecimalField(_("years of front-line mining experience"), max_digits=4,
                                           decimal_places=1, default=0)
    employment_type = models.CharField(_("employment type"), max_length=12, choices=EmploymentType.choices,
                                       default=EmploymentType.REGULAR)
    contractor = models.CharField(_("contractor"), max_length=200, blank=True)
    contractor_parent_employee = models.BooleanField(
        _("regular employee of the contractor's parent legal entity"), null=True, blank=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [models.UniqueConstraint(fields=["enterprise", "id_index"], name="people_person_unique_id")]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"

    def get_absolute_url(self) -> str:
        return reverse("people:person_detail", args=[self.pk])


class Post(TimestampedModel):
    """A post a person holds at a mine from ``start_date`` until ``end_date`` (open = current)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="posts", verbose_name=_("person"))
    mine = models.ForeignKey(Mine, on_delete=models.PROTECT, related_name="posts", verbose_name=_("mine"))
    kind = models.CharField(_("post"), max_length=32, choices=PostKind.choices)
    underground = models.BooleanField(_("works underground"), default=False)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    also_holds = models.JSONField(_("also holds"), default=list, blank=True)
    certificate_type = models.CharField(_("certificate type"), max_length=100, blank=True)
    certificate_no = models.CharField(_("certificate number"), max_length=64, blank=True)
    certificate_issued = models.DateField(_("certificate issued"), null=True, blank=True)
    certificate_expires = models.DateField(_("certificate expires"), null=True, blank=True, db_index=True)
    first_certified = models.DateField(_("first certified"), null=True, blank=True)
    first_underground_special_op = models.BooleanField(_("first underground special-operation certificate"),
                                                       default=False)

    objects = MineScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine_id", "kind", "id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [models.Index(fields=["mine", "end_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.person.name}"


class TrainingSession(TimestampedModel):
    """A training session or an emergency escape drill (kind ``drill``) at a mine, with its attendees."""

    mine = models.ForeignKey(Mine, on_delete=models.PROTECT, related_name="training_sessions",
                             verbose_name=_("mine"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("type"), max_length=20, choices=TrainingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    attendees = models.ManyToManyField(Person, through="Attendance", related_name="training_sessions")

    objects = MineScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        indexes = [models.Index(fields=["mine", "kind", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("people:training_detail", args=[self.pk])


class Attendance(models.Model):
    """One person attended one session."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendance")

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="people_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.person_id}"


class MineCheck(models.Model):
    """One evaluation of a mine's roster against ``rules.people`` (a snapshot; kept for the trend).

    Only the newest check of a mine keeps its :class:`Finding` rows; older checks keep their counts.
    """

    mine = models.ForeignKey(Mine, on_delete=models.CASCADE, related_name="people_checks")
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    as_of = models.DateField(_("as of"))
    rule_version = models.CharField(_("rule version"), max_length=32)
    is_current = models.BooleanField(default=True)
    findings_count = models.PositiveIntegerField(default=0)
    halt_count = models.PositiveIntegerField(default=0)
    by_consequence = models.JSONField(default=dict)
    employees = models.PositiveIntegerField(default=0)
    trained = models.PositiveIntegerField(default=0)
    training_rate = models.DecimalField(_("training rate (%)"), max_digits=4, decimal_places=1, null=True)
    last_drill = models.DateField(_("last drill"), null=True)

    objects = MineScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("compliance check")
        verbose_name_plural = _("compliance checks")
        indexes = [models.Index(fields=["mine", "is_current"]), models.Index(fields=["computed_at"])]
        constraints = [models.UniqueConstraint(fields=["mine"], condition=models.Q(is_current=True),
                                               name="people_one_current_check")]

    def __str__(self) -> str:
        return f"{self.mine_id} {self.as_of} ({self.findings_count})"


class Finding(models.Model):
    """One rule violation or warning from the newest :class:`MineCheck` of a mine."""

    check_run = models.ForeignKey(MineCheck, on_delete=models.CASCADE, related_name="findings")
    mine = models.ForeignKey(Mine, on_delete=models.CASCADE, related_name="people_findings")
    rule_id = models.CharField(_("rule"), max_length=64, db_index=True)
    message = models.TextField(_("finding"))
    citation = models.CharField(_("citation"), max_length=255)
    citation_note = models.TextField(blank=True)
    consequence = models.CharField(_("consequence"), max_length=24, choices=Consequence.choices, db_index=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(default=0)  # 0 low … 3 critical, for ordering
    subject = models.CharField(_("subject"), max_length=10)
    subject_ref = models.CharField(max_length=32, blank=True)
    post_kind = models.CharField(_("post"), max_length=32, choices=PostKind.choices, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = MineScopedQuerySet.as_manager()

    class Meta:
        ordering = ["mine_id", "-severity_rank", "rule_id", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.message}"


