"""Core models: the append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditChainHead", "AuditEntry", "TimestampedModel"]


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
