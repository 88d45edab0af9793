"""Background xlsx imports with progress, for every app.

An app registers each of its importers once, from its ``AppConfig.ready()``::

    register_importer("registry.mines", label=_("Mines"), permission="registry.import", require=require,
                      run=import_mines, detail_url_name="registry:mine_import_job")

``run(actor=, data=, request_id=, progress=)`` parses the whole sheet first and raises ``SheetError``
when the file as a whole is unusable, then writes row by row, calling ``progress(done, total)``, and
returns a result with ``created`` (``updated`` if it updates), and ``errors`` (objects with ``row``,
``field``, ``message``). Core sits below ``accounts`` in the layering, so the app hands in its
permission check (``accounts.permissions.require``) with the permission name.

:func:`start_import` stores the upload as an :class:`ImportJob` and, once the request's transaction
commits, runs it in a thread of the web process (inline when ``settings.IMPORT_RUN_INLINE``); the
job page polls the row for progress. Should the process die mid-run, ``manage.py run_imports``
picks up queued runs and fails stale ones. No broker is needed, so `make run` stays one process.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import close_old_connections, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from minesafe.core import audit
from minesafe.core.errors import FieldErrors, PermissionDenied
from minesafe.core.models import ImportJob
from minesafe.core.xlsx import SheetError

__all__ = [
    "Importer",
    "fail_stale_imports",
    "importer_for",
    "importers",
    "jobs_of",
    "progress_payload",
    "register_importer",
    "run_import",
    "run_pending_imports",
    "start_import",
]

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 0.5
STALE_AFTER = dt.timedelta(hours=2)

Progress = Callable[[int, int], None]
PermissionCheck = Callable[[Any, str], None]


class RowProblem(Protocol):
    row: int
    field: str
    message: str


class ImportOutcome(Protocol):
    """What an importer returns (``registry.io.ImportResult``, ``hazards.io.ImportResult``, …).
    ``updated`` is read when present; importers that only create need not have it."""

    created: int
    errors: Sequence[RowProblem]


class ImportRun(Protocol):
    def __call__(self, *, actor: Any, data: bytes, request_id: str, progress: Progress) -> ImportOutcome: ...


@dataclass(frozen=True)
class Importer:
    """A registered kind of import: who may start it, what runs it and where its job page is."""

    kind: str
    label: str | Promise
    permission: str
    require: PermissionCheck
    run: ImportRun
    detail_url_name: str

    def url_for(self, job: ImportJob) -> str:
        return reverse(self.detail_url_name, args=[job.pk])


_IMPORTERS: dict[str, Importer] = {}


def register_importer(kind: str, *, label: str | Promise, permission: str, require: PermissionCheck,
                      run: ImportRun, detail_url_name: str) -> Importer:
    """Declare an importer for ``kind`` (``"<app>.<what>"``). Registering the same importer again
    (``ready()`` may run twice) is harmless; registering a different one under a taken kind is a bug."""
    if not kind or len(kind) > ImportJob._meta.get_field("kind").max_length:
        raise ValueError(f"bad import kind {kind!r}")
    importer = Importer(kind=kind, label=label, permission=permission, require=require, run=run,
                        detail_url_name=detail_url_name)
    existing = _IMPORTERS.get(kind)
    if existing is not None and existing != importer:
        raise ValueError(f"import kind {kind!r} is already registered")
    _IMPORTERS[kind] = importer
    return importer


def importer_for(kind: str) -> Importer:
    try:
        return _IMPORTERS[kind]
    except KeyError:
        raise LookupError(f"no importer registered for {kind!r}") from None


def importers() -> list[Importer]:
    return sorted(_IMPORTERS.values(), key=lambda i: i.kind)


def start_import(kind: str, *, actor: AbstractBaseUser, filename: str, data: bytes,
                 request_id: str = "") -> ImportJob:
    """Queue an import of ``data`` for ``actor`` and start it after commit (inline when configured).

    Raises ``PermissionDenied`` (from the importer's check) and ``FieldErrors`` on ``file`` for an
    empty upload; nothing is stored then.
    """
    importer = importer_for(kind)
    importer.require(actor, importer.permission)
    if not data:
        raise FieldErrors.single("file", _("The file is empty."))
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, actor=actor, filename=filename[:255], content=data,
                                       request_id=request_id[:64])
        audit.record(actor=actor, action=f"{kind}.import.start", obj=job,
                     after={"kind": kind, "filename": job.filename, "bytes": len(data)}, request_id=request_id)
        if settings.IMPORT_RUN_INLINE:
            transaction.on_commit(lambda: run_import(job.pk))
        else:
            transaction.on_commit(lambda: _start_thread(job.pk, kind))
    return job


def jobs_of(actor: AbstractBaseUser, kind: str) -> QuerySet[ImportJob]:
    """The runs of ``kind`` that ``actor`` uploaded (a run, its errors and its file belong to the
    uploader alone), newest first, without the stored file."""
    return ImportJob.objects.filter(actor=actor, kind=kind).defer("content")


def progress_payload(job: ImportJob) -> dict[str, Any]:
    """The JSON the job page polls (``static/js/import-progress.js``)."""
    return {"status": job.status, "processed": job.processed_rows, "total": job.total_rows,
            "percent": job.percent, "finished": job.finished}


def _start_thread(job_id: int, kind: str) -> None:
    threading.Thread(target=_thread_main, args=(job_id,), name=f"import-{kind}-{job_id}", daemon=True).start()


def _thread_main(job_id: int) -> None:
    try:
        run_import(job_id)
    except Exception:
        log.exception("import %s crashed", job_id)
    finally:
        close_old_connections()


def run_import(job_id: int) -> bool:
    """Claim a queued import (compare-and-set) and run it; False when another worker had it."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return False
    job = ImportJob.objects.select_related("actor").get(pk=job_id)
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done in (0, total) or now - last >= PROGRESS_EVERY_SECONDS:
            last = now
            ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    try:
        importer = importer_for(job.kind)
        result = importer.run(actor=job.actor, data=bytes(job.content or b""), request_id=job.request_id,
                              progress=progress)
    except SheetError as exc:
        _finish(job_id, ImportJob.Status.FAILED, failure=str(exc))
        return True
    except (FieldErrors, PermissionDenied) as exc:
        # Refused as a whole by a service (e.g. the uploader's account lost its enterprise or its
        # permission after queueing): the reason is the user's to read, not an internal error.
        reason = " ".join(m for ms in exc.errors.values() for m in ms) if isinstance(exc, FieldErrors) else _(
            "You no longer have permission to import this file.")
        _finish(job_id, ImportJob.Status.FAILED, failure=reason)
        return True
    except Exception as exc:
        log.exception("import %s (%s) failed", job_id, job.kind)
        _finish(job_id, ImportJob.Status.FAILED, failure=_("Internal error: %(kind)s") % {"kind": type(exc).__name__})
        return True
    _finish(
        job_id, ImportJob.Status.DONE, created_count=result.created, updated_count=getattr(result, "updated", 0),
        errors=[[e.row, e.field, str(e.message)] for e in result.errors],
    )
    return True


def _finish(job_id: int, status: str, **fields: object) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=status, finished_at=timezone.now(), content=None, **fields)


def run_pending_imports() -> int:
    """Run every queued import of every kind in this process (``manage.py run_imports``); returns how many ran."""
    ran = 0
    queued = ImportJob.objects.filter(status=ImportJob.Status.QUEUED).order_by("id")
    for job_id in queued.values_list("pk", flat=True):
        ran += run_import(job_id)
    return ran


def fail_stale_imports(now: dt.datetime | None = None) -> int:
    """Mark runs that started long ago and never finished (their process died) as failed."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING, started_at__lt=cutoff).update(
        status=ImportJob.Status.FAILED, finished_at=timezone.now(), content=None,
        failure=_("The import was interrupted; upload the file again."),
    )
