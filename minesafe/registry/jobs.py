"""Background xlsx imports with progress.

``start_import`` stores the upload and, once the request's transaction commits, runs it in a
thread of the web process; the page polls ``MineImport`` for progress. Should the process die
mid-run, ``manage.py run_imports`` (or the next start) picks up queued runs and fails stale ones.
No broker is needed, so `make run` stays a single process.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.models import User
from minesafe.accounts.permissions import require
from minesafe.core import audit
from minesafe.core.errors import FieldErrors
from minesafe.core.xlsx import SheetError
from minesafe.registry.io import import_mines
from minesafe.registry.models import MineImport

__all__ = ["fail_stale_imports", "run_import", "run_pending_imports", "start_import"]

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 0.5
STALE_AFTER = dt.timedelta(hours=2)


def start_import(*, actor: User, filename: str, data: bytes, request_id: str = "") -> MineImport:
    """Queue an import of ``data`` for ``actor`` and start it after commit (inline when configured)."""
    require(actor, "registry.import")
    if not data:
        raise FieldErrors.single("file", _("The file is empty."))
    with transaction.atomic():
        job = MineImport.objects.create(actor=actor, filename=filename[:255], content=data, request_id=request_id)
        audit.record(actor=actor, action="registry.mine.import.start", obj=job,
                     after={"filename": job.filename, "bytes": len(data)}, request_id=request_id)
        if settings.IMPORT_RUN_INLINE:
            transaction.on_commit(lambda: run_import(job.pk))
        else:
            transaction.on_commit(lambda: _start_thread(job.pk))
    return job


def _start_thread(job_id: int) -> None:
    threading.Thread(target=_thread_main, args=(job_id,), name=f"mine-import-{job_id}", daemon=True).start()


def _thread_main(job_id: int) -> None:
    try:
        run_import(job_id)
    except Exception:
        log.exception("mine import %s crashed", job_id)
    finally:
        close_old_connections()


def run_import(job_id: int) -> bool:
    """Claim a queued import (compare-and-set) and run it; False when another worker had it."""
    claimed = MineImport.objects.filter(pk=job_id, status=MineImport.Status.QUEUED).update(
        status=MineImport.Status.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return False
    job = MineImport.objects.select_related("actor").get(pk=job_id)
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done in (0, total) or now - last >= PROGRESS_EVERY_SECONDS:
            last = now
            MineImport.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    try:
        result = import_mines(actor=job.actor, data=bytes(job.content or b""), request_id=job.request_id,
                              progress=progress)
    except SheetError as exc:
        _finish(job_id, MineImport.Status.FAILED, failure=str(exc))
        return True
    except Exception as exc:
        log.exception("mine import %s failed", job_id)
        _finish(job_id, MineImport.Status.FAILED, failure=_("Internal error: %(kind)s") % {"kind": type(exc).__name__})
        return True
    _finish(
        job_id, MineImport.Status.DONE, created_count=result.created, updated_count=result.updated,
        errors=[[e.row, e.field, e.message] for e in result.errors],
    )
    return True


def _finish(job_id: int, status: str, **fields: object) -> None:
    MineImport.objects.filter(pk=job_id).update(status=status, finished_at=timezone.now(), content=None, **fields)


def run_pending_imports() -> int:
    """Run every queued import in this process (for `manage.py run_imports`); returns how many ran."""
    ran = 0
    queued = MineImport.objects.filter(status=MineImport.Status.QUEUED).order_by("id")
    for job_id in queued.values_list("pk", flat=True):
        ran += run_import(job_id)
    return ran


def fail_stale_imports(now: dt.datetime | None = None) -> int:
    """Mark runs that started long ago and never finished (their process died) as failed."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return MineImport.objects.filter(status=MineImport.Status.RUNNING, started_at__lt=cutoff).update(
        status=MineImport.Status.FAILED, finished_at=timezone.now(), content=None,
        failure=_("The import was interrupted; upload the file again."),
    )
