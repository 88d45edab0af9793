"""core.jobs: the registry of importers and the generic run machinery, with a fake importer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from minesafe.core import jobs
from minesafe.core.errors import FieldErrors, PermissionDenied
from minesafe.core.models import AuditEntry, ImportJob
from minesafe.core.xlsx import RowError, SheetError
from minesafe.testing.factories import World
from minesafe.testing.jobs import record_progress

KIND = "tests.fake"


@dataclass
class Created:
    """A result without ``updated``: importers that only create need not have it."""

    created: int = 0
    errors: list[RowError] = field(default_factory=list)


def _require(user: Any, perm: str) -> None:
    if not (perm == "tests.import" and user.username == "county_leader"):
        raise PermissionDenied(perm)


def _run(*, actor: Any, data: bytes, request_id: str, progress: jobs.Progress) -> Created:
    """b"5" → five rows, the third rejected; b"sheet" → the whole file refused; b"boom" → a bug."""
    if data == b"sheet":
        raise SheetError("缺少必填列：名称")
    if data == b"boom":
        raise RuntimeError("bug")
    if data == b"refused":
        raise FieldErrors.single("__all__", "该账号未关联企业")
    total = int(data)
    result = Created()
    for done in range(total):
        progress(done, total)
        if done == 2:
            result.errors.append(RowError(done + 2, "名称", "必填"))
        else:
            result.created += 1
    progress(total, total)
    return result


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> jobs.Importer:
    monkeypatch.setattr(jobs, "_IMPORTERS", dict(jobs._IMPORTERS))
    return jobs.register_importer(KIND, label="Fake", permission="tests.import", require=_require, run=_run,
                                  detail_url_name="registry:mine_import_job")


def _job(world: World, data: bytes | None, **kw: Any) -> ImportJob:
    return ImportJob.objects.create(kind=kw.pop("kind", KIND), actor=kw.pop("actor", world.county_leader),
                                    filename="f.xlsx", content=data, **kw)


def test_apps_register_their_importers() -> None:
    kinds = {i.kind: i for i in jobs.importers()}
    assert {"registry.mines", "hazards.self_check"} <= set(kinds)
    assert kinds["hazards.self_check"].permission == "hazards.import"
    assert kinds["registry.mines"].permission == "registry.import"


def test_registering_is_idempotent_but_a_kind_is_taken_once(fake: jobs.Importer) -> None:
    assert jobs.register_importer(KIND, label="Fake", permission="tests.import", require=_require, run=_run,
                                  detail_url_name="registry:mine_import_job") == fake
    with pytest.raises(ValueError, match="already registered"):
        jobs.register_importer(KIND, label="Other", permission="tests.import", require=_require, run=_run,
                               detail_url_name="registry:mine_import_job")
    for bad in ("", "x" * 65):
        with pytest.raises(ValueError):
            jobs.register_importer(bad, label="Bad", permission="p", require=_require, run=_run, detail_url_name="n")
    with pytest.raises(LookupError):
        jobs.importer_for("tests.unknown")


@pytest.mark.django_db
def test_start_checks_the_permission_and_the_file_and_audits(world: World, fake: jobs.Importer,
                                                              django_capture_on_commit_callbacks) -> None:
    with pytest.raises(PermissionDenied):
        jobs.start_import(KIND, actor=world.county_inspector, filename="f.xlsx", data=b"5")
    with pytest.raises(FieldErrors) as exc:
        jobs.start_import(KIND, actor=world.county_leader, filename="f.xlsx", data=b"")
    assert list(exc.value.errors) == ["file"]
    assert not ImportJob.objects.exists()
    with pytest.raises(LookupError):
        jobs.start_import("tests.unknown", actor=world.county_leader, filename="f.xlsx", data=b"5")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.start_import(KIND, actor=world.county_leader, filename="x" * 300 + ".xlsx", data=b"5",
                                request_id="req-1")
    assert len(callbacks) == 1  # runs only after commit
    assert (job.kind, job.status, len(job.filename), bytes(job.content)) == (KIND, "queued", 255, b"5")
    entry = AuditEntry.objects.get(action=f"{KIND}.import.start")
    assert (entry.object_type, entry.object_id, entry.request_id) == ("core.importjob", str(job.pk), "req-1")
    assert entry.after == {"kind": KIND, "filename": job.filename, "bytes": 1}
    assert job.get_absolute_url() == f"/registry/mines/import/{job.pk}/"


@pytest.mark.django_db
def test_inline_mode_runs_in_the_request(world: World, fake: jobs.Importer, settings,
                                         django_capture_on_commit_callbacks) -> None:
    settings.IMPORT_RUN_INLINE = True
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_import(KIND, actor=world.county_leader, filename="f.xlsx", data=b"5")
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count, job.content) == ("done", 4, 0, None)


@pytest.mark.django_db
def test_run_records_progress_counts_and_row_errors(world: World, fake: jobs.Importer, monkeypatch) -> None:
    job = _job(world, b"5")
    seen = record_progress(monkeypatch, KIND, job)
    assert jobs.run_import(job.pk) is True
    assert seen == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count, job.percent) == ("done", 4, 0, 100)
    assert job.errors == [[4, "名称", "必填"]] and job.rejected_rows == [4]
    assert job.content is None and job.started_at <= job.finished_at
    assert jobs.run_import(job.pk) is False  # claimed once: never runs twice


@pytest.mark.django_db
def test_progress_writes_are_throttled(world: World, fake: jobs.Importer, monkeypatch) -> None:
    job = _job(world, b"50")
    writes: list[dict[str, Any]] = []
    update = QuerySet.update

    def counting(qs: QuerySet, **fields: Any) -> int:
        if "processed_rows" in fields and "status" not in fields:
            writes.append(fields)
        return update(qs, **fields)

    monkeypatch.setattr(QuerySet, "update", counting)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_SECONDS", 3600.0)
    jobs.run_import(job.pk)
    assert writes == [{"processed_rows": 0, "total_rows": 50}, {"processed_rows": 50, "total_rows": 50}]


@pytest.mark.django_db
def test_failures_keep_the_reason_and_drop_the_file(world: World, fake: jobs.Importer) -> None:
    refused, crashed, orphan = _job(world, b"sheet"), _job(world, b"boom"), _job(world, b"5", kind="tests.gone")
    for job in (refused, crashed, orphan):
        assert jobs.run_import(job.pk) is True
        job.refresh_from_db()
        assert job.status == "failed" and job.content is None and job.finished_at is not None
    assert refused.failure == "缺少必填列：名称"
    assert "RuntimeError" in crashed.failure and "bug" not in crashed.failure  # no internals shown
    assert "LookupError" in orphan.failure


@pytest.mark.django_db
def test_a_service_refusing_the_whole_file_is_shown_as_its_reason(world: World, fake: jobs.Importer) -> None:
    job = _job(world, b"refused")
    assert jobs.run_import(job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.failure) == ("failed", "该账号未关联企业")


@pytest.mark.django_db
def test_pending_runs_of_every_kind_resume_and_stale_runs_fail(world: World, fake: jobs.Importer) -> None:
    hours_ago = timezone.now() - dt.timedelta(hours=3)
    stale = _job(world, b"5", status="running", started_at=hours_ago)
    fresh = _job(world, b"5", status="running", started_at=timezone.now())
    queued = [_job(world, b"5"), _job(world, None, kind="registry.mines")]  # no file: the sheet is refused
    assert jobs.fail_stale_imports() == 1
    assert jobs.run_pending_imports() == 2
    states = {j.pk: j.status for j in ImportJob.objects.all()}
    assert states == {stale.pk: "failed", fresh.pk: "running", queued[0].pk: "done", queued[1].pk: "failed"}
    assert ImportJob.objects.get(pk=stale.pk).content is None
    assert jobs.run_pending_imports() == 0


@pytest.mark.django_db
def test_jobs_of_is_the_uploaders_runs_of_one_kind(world: World, fake: jobs.Importer) -> None:
    own = _job(world, b"5")
    _job(world, b"5", actor=world.county_inspector)
    _job(world, b"5", kind="registry.mines")
    runs = list(jobs.jobs_of(world.county_leader, KIND))
    assert runs == [own]
    assert "content" in runs[0].get_deferred_fields()
    payload = jobs.progress_payload(own)
    assert payload == {"status": "queued", "processed": 0, "total": 0, "percent": 0, "finished": False}
