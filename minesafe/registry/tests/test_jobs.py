"""The mine import as a background core.ImportJob: progress, claiming, the real thread path, stale runs,
ownership, and the rows moved over from the former registry table."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from minesafe.core import jobs
from minesafe.core.models import AuditEntry, ImportJob
from minesafe.registry.io import MINE_COLUMNS
from minesafe.registry.models import MINE_IMPORT_KIND, Mine, MineImport
from minesafe.testing.factories import World, uscc_for
from minesafe.testing.jobs import join_import_thread

HEADERS = [c.header for c in MINE_COLUMNS]


def _sheet(n: int, uscc: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for i in range(n):
        row = {"矿山名称": f"批量矿{i:04d}", "企业统一社会信用代码": uscc, "企业名称": "批量企业", "区县代码": "210323",
               "行业类别": "金属非金属露天矿山", "规模": "小型"}
        ws.append([row.get(h) for h in HEADERS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.django_db
def test_run_import_reports_progress_and_results(world: World, monkeypatch) -> None:
    data = _sheet(30, uscc_for("210323"))
    job = ImportJob.objects.create(kind=MINE_IMPORT_KIND, actor=world.county_leader, filename="a.xlsx", content=data)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_SECONDS", 0.0)
    assert jobs.run_import(job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.created_count, job.total_rows, job.processed_rows) == ("done", 30, 30, 30)
    assert job.content is None and job.finished_at is not None
    assert Mine.objects.filter(name__startswith="批量矿").count() == 30
    assert jobs.run_import(job.pk) is False  # already claimed: never runs twice
    assert AuditEntry.objects.filter(action="registry.mine.import").count() == 1
    assert job.get_absolute_url() == f"/registry/mines/import/{job.pk}/"


@pytest.mark.django_db
def test_too_many_rows_rejects_the_whole_file(world: World, settings) -> None:
    settings.IMPORT_MAX_ROWS = 5
    data = _sheet(6, uscc_for("210323"))
    job = ImportJob.objects.create(kind=MINE_IMPORT_KIND, actor=world.county_leader, filename="big.xlsx", content=data)
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "5" in job.failure
    assert not Mine.objects.filter(name__startswith="批量矿").exists()  # nothing half-imported


@pytest.mark.django_db(transaction=True)
def test_background_thread_path(world: World) -> None:
    job = jobs.start_import(MINE_IMPORT_KIND, actor=world.county_leader, filename="t.xlsx",
                            data=_sheet(20, uscc_for("210323")))
    job = join_import_thread(job)
    assert job.status == "done", job.failure
    assert job.created_count == 20
    start = AuditEntry.objects.get(action="registry.mines.import.start")
    assert (start.object_type, start.object_id) == ("core.importjob", str(job.pk))


@pytest.mark.django_db
def test_stale_runs_fail_and_queued_runs_resume(world: World) -> None:
    stale = ImportJob.objects.create(kind=MINE_IMPORT_KIND, actor=world.county_leader, filename="s.xlsx",
                                     content=b"x", status="running", started_at=timezone.now() - dt.timedelta(hours=3))
    queued = ImportJob.objects.create(kind=MINE_IMPORT_KIND, actor=world.county_leader, filename="q.xlsx",
                                      content=_sheet(2, uscc_for("210323")))
    assert jobs.fail_stale_imports() == 1
    assert jobs.run_pending_imports() == 1
    stale.refresh_from_db()
    queued.refresh_from_db()
    assert stale.status == "failed" and queued.status == "done"


@pytest.mark.django_db
def test_only_the_uploader_sees_an_import(world: World) -> None:
    job = ImportJob.objects.create(kind=MINE_IMPORT_KIND, actor=world.county_leader, filename="own.xlsx")
    for user, code in ((world.county_leader, 200), (world.county_inspector, 404), (world.province_leader, 404)):
        client = Client()
        client.force_login(user)
        assert client.get(f"/registry/mines/import/{job.pk}/").status_code == code
        assert client.get(f"/registry/mines/import/{job.pk}/progress/").status_code == code


@pytest.mark.django_db
def test_runs_of_another_kind_are_not_mine_imports(world: World) -> None:
    """The uploader's own hazard import is not reachable through the registry's pages."""
    other = ImportJob.objects.create(kind="hazards.self_check", actor=world.county_leader, filename="h.xlsx")
    mine = MineImport.objects.create(actor=world.county_leader, filename="m.xlsx")
    assert mine.kind == MINE_IMPORT_KIND
    assert list(MineImport.objects.values_list("pk", flat=True)) == [mine.pk]
    client = Client()
    client.force_login(world.county_leader)
    assert client.get(f"/registry/mines/import/{other.pk}/").status_code == 404
    assert client.get(f"/registry/mines/import/{other.pk}/progress/").status_code == 404
    page = client.get("/registry/mines/import/").content.decode()
    assert "m.xlsx" in page and "h.xlsx" not in page


@pytest.mark.django_db
def test_run_imports_command_runs_pending_jobs(world: World) -> None:
    from django.core.management import call_command

    queued = ImportJob.objects.create(kind=MINE_IMPORT_KIND, actor=world.county_leader, filename="q.xlsx",
                                      content=_sheet(1, uscc_for("210323")))
    out = io.StringIO()
    call_command("run_imports", stdout=out)
    queued.refresh_from_db()
    assert queued.status == "done" and "1 imports run" in out.getvalue()


@pytest.mark.django_db
def test_progress_callback_counts_every_row(world: World) -> None:
    from minesafe.registry.io import import_mines

    calls: list[tuple[int, int]] = []
    import_mines(actor=world.county_leader, data=_sheet(4, uscc_for("210323")),
                 progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.django_db(transaction=True)
def test_migration_moves_mine_imports_to_core_keeping_their_ids(world: World) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("registry", "0002_mine_import")]
    executor = MigrationExecutor(connection)
    after = executor.loader.graph.leaf_nodes()  # forward again to every app's latest (some depend on ours)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("registry", "MineImport")
    uploaded = timezone.now() - dt.timedelta(days=3)
    done = old.objects.create(id=41, actor_id=world.county_leader.pk, filename="old.xlsx", status="done",
                              created_count=3, errors=[[4, "区县代码", "Unknown county code."]], request_id="r1")
    old.objects.filter(pk=done.pk).update(created_at=uploaded)
    old.objects.create(id=42, actor_id=world.province_leader.pk, filename="queued.xlsx", content=b"xlsx")
    executor = MigrationExecutor(connection)
    executor.migrate(after)

    moved = ImportJob.objects.get(pk=41)
    assert (moved.kind, moved.actor_id, moved.filename, moved.status, moved.created_count, moved.request_id) == (
        MINE_IMPORT_KIND, world.county_leader.pk, "old.xlsx", "done", 3, "r1")
    assert moved.errors == [[4, "区县代码", "Unknown county code."]] and moved.created_at == uploaded
    assert bytes(ImportJob.objects.get(pk=42).content) == b"xlsx"
    fresh = ImportJob.objects.create(kind=MINE_IMPORT_KIND, actor=world.county_leader, filename="new.xlsx")
    assert fresh.pk > 42  # the id sequence moved past the copied rows (PostgreSQL)
    client = Client()
    client.force_login(world.county_leader)
    assert client.get("/registry/mines/import/41/").status_code == 200
    # and back: the registry's own table again, core keeps only other kinds
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("registry", "MineImport")
    assert sorted(old.objects.values_list("pk", flat=True)) == [41, 42, fresh.pk]
    assert old.objects.get(pk=41).created_at == uploaded and not ImportJob.objects.exists()
    executor = MigrationExecutor(connection)
    executor.migrate(after)
