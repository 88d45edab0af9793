"""Monitoring data: sensors and their thresholds, mine gateways, raw readings (partitioned by month on
PostgreSQL), minute aggregates, alarms with their handling, and falsification flags.

Readings are written only by ``minesafe.monitoring.ingest`` (bulk, idempotent on sensor + time);
alarms only by ``minesafe.monitoring.alarms`` (the engine worker and the handling services).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minesafe.core.models import TimestampedModel
from minesafe.core.querysets import ScopedQuerySet
from minesafe.registry.models import Mine

from .choices import AlarmKind, FalsificationPattern, FlagStatus, SensorKind, SensorLocation, Severity


class ByMineQuerySet(ScopedQuerySet):
    """Rows reachable through their mine: regulators see their division's mines, enterprises their own."""

    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"


class BySensorQuerySet(ScopedQuerySet):
    division_field = "sensor__mine__county__code"
    organisation_field = "sensor__mine__enterprise__organisation_id"


class Sensor(TimestampedModel):
    """A measuring point (测点). Thresholds default from ``rules.monitoring.default_thresholds`` by kind
    and location; an override is written through ``services.set_thresholds`` with an audit entry, and
    a threshold looser than the rule is flagged (DOMAIN §5 engine notes)."""

    mine = models.ForeignKey(Mine, on_delete=models.PROTECT, related_name="sensors", verbose_name=_("mine"))
    code = models.CharField(_("point code"), max_length=40)
    kind = models.CharField(_("type"), max_length=16, choices=SensorKind.choices)
    location = models.CharField(_("location"), max_length=16, choices=SensorLocation.choices)
    place = models.CharField(_("installed at"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=12, blank=True)
    range_low = models.FloatField(_("range low"), null=True, blank=True)
    range_high = models.FloatField(_("range high"), null=True, blank=True)
    alarm_high = models.FloatField(_("upper alarm level"), null=True, blank=True)
    alarm_low = models.FloatField(_("lower alarm level"), null=True, blank=True)
    cut_high = models.FloatField(_("power-cut level"), null=True, blank=True)
    restore_high = models.FloatField(_("power-restore level"), null=True, blank=True)
    thresholds_overridden = models.BooleanField(_("thresholds overridden"), default=False)
    min_duration_s = models.PositiveIntegerField(_("alarm after (seconds)"), default=0)
    repeat_count = models.PositiveSmallIntegerField(_("or after this many exceedances"), default=0)
    repeat_window_s = models.PositiveIntegerField(_("within (seconds)"), default=0)
    stale_after_s = models.PositiveIntegerField(_("no data after (seconds)"), default=120)
    feed_sensor = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("linked feed sensor"))
    active = models.BooleanField(_("active"), default=True)

    objects = ByMineQuerySet.as_manager()

    class Meta:
        ordering = ["mine_id", "code"]
        constraints = [models.UniqueConstraint(fields=["mine", "code"], name="sensor_code_unique_per_mine")]
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"


class Gateway(TimestampedModel):
    """A mine's data gateway: authenticates the HTTP bulk endpoint (``Authorization: Gateway <token>``).
    Only a SHA-256 of the token is stored."""

    mine = models.ForeignKey(Mine, on_delete=models.PROTECT, related_name="gateways", verbose_name=_("mine"))
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    active = models.BooleanField(_("active"), default=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)

    objects = ByMineQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class Reading(models.Model):
    """One raw reading. The table is created by migration SQL (``managed = False``): on PostgreSQL it
    is partitioned by month on ``ts`` (``partitions.ensure``); ``seq`` is the order of arrival, which
    the engine worker follows. Unique on (sensor, ts): the same reading twice is stored once."""

    seq = models.BigAutoField(primary_key=True)
    sensor = models.ForeignKey(Sensor, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    ts = models.DateTimeField()
    value = models.FloatField()
    status = models.IntegerField(default=0)  # DOMAIN §5 point-status bitmask (4 = 标校 calibrating)
    received_at = models.DateTimeField()

    objects = BySensorQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "monitoring_reading"

    def __str__(self) -> str:
        return f"{self.sensor_id}@{self.ts:%Y-%m-%d %H:%M:%S}={self.value}"


class MinuteAggregate(models.Model):
    """Per sensor and minute: count, min, max, sum and the last value (for charts; kept ≥ 2 years)."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    n = models.PositiveIntegerField()
    min_value = models.FloatField()
    max_value = models.FloatField()
    sum_value = models.FloatField()
    last_value = models.FloatField()
    last_ts = models.DateTimeField()

    objects = BySensorQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sensor", "minute"], name="aggregate_sensor_minute")]

    def __str__(self) -> str:
        return f"{self.sensor_id}@{self.minute:%Y-%m-%d %H:%M}"


class EngineCursor(models.Model):
    """How far the engine worker of one shard has read the readings (``seq``)."""

    shard = models.CharField(max_length=32, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.shard}:{self.last_seq}"


# An alarm the operators still have to deal with: not ended and not cleared (lists, counts, the map).
ACTIVE_ALARM = Q(ended_at__isnull=True, cleared_at__isnull=True)


class Alarm(models.Model):
    """One alarm episode: at most one open alarm per sensor (or per mine for mine-level kinds) and kind."""

    mine = models.ForeignKey(Mine, on_delete=models.PROTECT, related_name="alarms", verbose_name=_("mine"))
    sensor = models.ForeignKey(Sensor, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms",
                               verbose_name=_("sensor"))
    kind = models.CharField(_("kind"), max_length=20, choices=AlarmKind.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    peak_value = models.FloatField(_("peak value"), null=True, blank=True)
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    inhibited_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="inhibits",
                                     verbose_name=_("suppressed by"))
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("acknowledged by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("assigned to"))
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("cleared by"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    hazard = models.ForeignKey("hazards.Hazard", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("hazard ledger entry"))
    details = models.JSONField(default=dict, blank=True)

    objects = ByMineQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sensor", "kind"], condition=Q(ended_at__isnull=True, sensor__isnull=False),
                                    name="one_open_alarm_per_sensor_kind"),
            models.UniqueConstraint(fields=["mine", "kind"], condition=Q(ended_at__isnull=True, sensor__isnull=True),
                                    name="one_open_alarm_per_mine_kind"),
        ]
        indexes = [models.Index(fields=["mine", "ended_at"], name="alarm_mine_open")]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def active(self) -> bool:
        """The row form of ``ACTIVE_ALARM``."""
        return self.ended_at is None and self.cleared_at is None


class AlarmComment(models.Model):
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class FalsificationFlag(models.Model):
    """A suspicion of falsified monitoring data (安全监控系统造假) with the detector's explanation."""

    mine = models.ForeignKey(Mine, on_delete=models.PROTECT, related_name="falsification_flags",
                             verbose_name=_("mine"))
    sensor = models.ForeignKey(Sensor, null=True, blank=True, on_delete=models.PROTECT, related_name="flags",
                               verbose_name=_("sensor"))
    pattern = models.CharField(_("pattern"), max_length=16, choices=FalsificationPattern.choices)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("to"))
    score = models.FloatField(_("score"))
    explanation = models.TextField(_("explanation"))
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ByMineQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["sensor", "pattern", "window_start"],
                                               name="one_flag_per_sensor_pattern_window")]

    def __str__(self) -> str:
        return f"{self.get_pattern_display()} {self.window_start:%Y-%m-%d %H:%M}"
