"""Test helper for background imports (``core.jobs``)."""

from __future__ import annotations

import threading

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
