"""Test helper for background imports (``core.jobs``)."""

from __future__ import annotations

import threading
from typing import Any

from minesafe.core.models import ImportJob


def join_import_thread(job: ImportJob, timeout: float = 60) -> ImportJob:
    """Wait for the worker thread ``core.jobs.start_import`` started for ``job`` and return the job reloaded.

    Joining instead of polling the row matters on SQLite: the test database is a shared-cache
    in-memory database, where a reader in the test thread holds a table lock that the worker's
    writes then fail on ("database table is locked").
    """
    for thread in threading.enumerate():
        if thread.name.startswith("import-") and thread.name.endswith(f"-{job.pk}"):
            thread.join(timeout=timeout)
            assert not thread.is_alive(), f"import {job.pk} still running after {timeout} s"
    job.refresh_from_db()
    return job


def record_progress(monkeypatch: Any, kind: str, job: ImportJob) -> list[tuple[int, int]]:
    """Wrap the importer of ``kind`` so every progress report is followed by a read of the job row, and
    report after every row; returns the list the (processed, total) pairs the polling page would see
    are appended to while ``run_import`` runs."""
    from minesafe.core import jobs

    seen: list[tuple[int, int]] = []
    importer = jobs.importer_for(kind)

    def spy(**kw: Any) -> Any:
        progress = kw["progress"]

        def recording(done: int, total: int) -> None:
            progress(done, total)
            seen.append(ImportJob.objects.values_list("processed_rows", "total_rows").get(pk=job.pk))

        return importer.run(**{**kw, "progress": recording})

    monkeypatch.setitem(jobs._IMPORTERS, kind, jobs.Importer(**{**importer.__dict__, "run": spy}))
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_SECONDS", 0.0)
    return seen
