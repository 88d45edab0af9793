"""Writing and verifying the hash-chained audit log.

Services call :func:`record` inside their ``transaction.atomic`` block, never signals: the audit
entry commits or rolls back with the change it describes. The chain head row is locked with
``SELECT … FOR UPDATE`` so two concurrent writers on PostgreSQL cannot both chain to the same
predecessor (SQLite serialises writers already).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from minesafe.core.models import AuditChainHead, AuditEntry

__all__ = ["GENESIS_HASH", "ChainBreak", "jsonable", "record", "snapshot", "verify_chain"]

GENESIS_HASH = "0" * 64


def jsonable(value: Any) -> Any:
    """Convert a value to plain JSON types, deterministically (Decimals and dates become strings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Concrete field values of ``obj`` as JSON (foreign keys as their raw id)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.name in ("password",):
            continue
        data[field.attname] = jsonable(getattr(obj, field.attname))
    return data


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "time": entry.time.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_repr": entry.actor_repr,
        "request_id": entry.request_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "before": entry.before,
        "after": entry.after,
        "message": entry.message,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry) -> str:
    """SHA-256 over the canonical JSON of the entry, which includes the previous hash."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
    request_id: str = "",
) -> AuditEntry:
    """Append one entry to the audit chain. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    head = AuditChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        # Created by migration core.0002 and never deleted by the application: a missing head means
        # someone removed it, and silently starting a new chain would hide that.
        raise RuntimeError("audit chain head is missing; run `manage.py audit_verify` and investigate")
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    entry = AuditEntry(
        time=timezone.now(),
        actor=actor if is_user else None,
        actor_repr=(actor.get_username() if is_user else str(actor or "system"))[:150],
        request_id=(request_id or "")[:64],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        message=message,
        prev_hash=head.last_hash,
    )
    entry.hash = compute_hash(entry)
    entry.save(force_insert=True)
    AuditChainHead.objects.filter(id=1).update(last_hash=entry.hash, count=models.F("count") + 1)
    return entry


@dataclass(frozen=True)
class ChainBreak:
    """The first entry whose stored hash or link does not match what the chain says."""

    entry_id: int | None
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _entries(limit: int, batch: int = 2000) -> Iterator[AuditEntry]:
    last_id = 0
    remaining = limit
    while remaining > 0:
        chunk = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[: min(batch, remaining)])
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1].id
        remaining -= len(chunk)


def verify_chain() -> VerifyResult:
    """Walk the log in id order; report the first entry whose link or content was altered.

    The chain head is read first and exactly ``head.count`` entries are checked against it, so
    entries appended while the walk runs are simply not part of this check (no false alarm).
    Ids follow chain order because entries are inserted while the head row is locked. A deleted
    tail shows as fewer entries than the head counts, or a last hash that differs from the head's.
    """
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None:
        if AuditEntry.objects.exists():
            return VerifyResult(0, ChainBreak(None, "chain head row is missing"))
        return VerifyResult(0, None)
    expected_prev = GENESIS_HASH
    checked = 0
    for entry in _entries(head.count):
        if entry.prev_hash != expected_prev:
            return VerifyResult(checked, ChainBreak(entry.id, "prev_hash does not match the previous entry"))
        if compute_hash(entry) != entry.hash:
            return VerifyResult(checked, ChainBreak(entry.id, "content does not match its hash"))
        expected_prev = entry.hash
        checked += 1
    if checked != head.count or expected_prev != head.last_hash:
        return VerifyResult(
            checked,
            ChainBreak(None, f"chain head expects {head.count} entries ending in {head.last_hash[:12]}…, "
                             f"found {checked}"),
        )
    return VerifyResult(checked, None)
