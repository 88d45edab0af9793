"""Core models: the append-only, hash-chained audit log, background xlsx import runs and rate-limit hits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditChainHead", "AuditEntry", "ImportJob", "ThrottleHit", "TimestampedModel"]


class TimestampedModel(models.Model):
    """Abstract base: creation and last-update times."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit entry."""


class AuditEntry(models.Model):
    """One audited event: who did what to which object, with before/after JSON.

    Entries are written only by :func:`minesafe.core.audit.record` inside the service's transaction.
    Each entry stores the SHA-256 of its own canonical content chained to the previous entry's hash,
    so editing or deleting any row behind the application's back breaks the chain
    (``manage.py audit_verify`` reports the first broken link).
    """

    time = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_repr = models.CharField(_("actor"), max_length=150, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries are append-only")

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Fields whose value differs between ``before`` and ``after`` (timestamps left out)."""
        before = self.before if isinstance(self.before, dict) else {}
        after = self.after if isinstance(self.after, dict) else {}
        keys = [k for k in {**before, **after} if k not in ("updated_at", "created_at")]
        return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


class AuditChainHead(models.Model):
    """Single row holding the newest hash; locked while appending so concurrent writers serialise."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head ({self.count} entries)"


class ImportJob(models.Model):
    """One background xlsx import run of some kind ("registry.mines", "hazards.self_check", …).

    Written only by ``minesafe.core.jobs``, which runs the importer registered for ``kind``. The
    uploaded file is kept until the run ends; the counts and the row errors stay for the uploader,
    who alone may see the run (views filter on ``actor``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField(max_length=64, blank=True)
    filename = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(null=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [[row, column header, message], …]
    failure = models.TextField(blank=True)  # why the file was rejected as a whole
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        indexes = [
            # "Your recent imports" of one kind on the upload page.
            models.Index(fields=["actor", "kind", "-created_at"], name="core_importjob_actor"),
            # run_pending_imports / fail_stale_imports: only unfinished runs, so the index stays tiny.
            models.Index(fields=["status", "started_at"], name="core_importjob_pending",
                         condition=Q(status__in=["queued", "running"])),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    def get_absolute_url(self) -> str:
        from minesafe.core.jobs import importer_for  # jobs imports this module

        return importer_for(self.kind).url_for(self)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, int(100 * self.processed_rows / self.total_rows)) if self.total_rows else 0

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e[0] for e in self.errors})


class ThrottleHit(models.Model):
    """One counted attempt (a public form submission, …) for rate limiting; see ``minesafe.core.throttle``.

    ``key`` is an HMAC-SHA256 (hex) of the scope and the client key under a key derived from
    ``SECRET_KEY``: the client's address itself is never stored. Rows older than two days are purged.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            # allowed() / retry_after(): the hits of one client in one scope within the window.
            models.Index(fields=["scope", "key", "at"], name="core_throttle_lookup"),
            # purge(): everything older than the cut-off.
            models.Index(fields=["at"], name="core_throttle_at"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:12]}… {self.at:%Y-%m-%d %H:%M:%S}"
