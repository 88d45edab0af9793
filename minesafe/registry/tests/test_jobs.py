"""Background imports: progress, claiming, the real thread path, stale runs, ownership."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from minesafe.core.models import AuditEntry
from minesafe.registry import jobs
from minesafe.registry.io import MINE_COLUMNS
from minesafe.registry.models import Mine, MineImport
from minesafe.testing.factories import World, uscc_for

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
    job = MineImport.objects.create(actor=world.county_leader, filename="a.xlsx", content=data)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_SECONDS", 0.0)
    assert jobs.run_import(job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.created_count, job.total_rows, job.processed_rows) == ("done", 30, 30, 30)
    assert job.content is None and job.finished_at is not None
    assert Mine.objects.filter(name__startswith="批量矿").count() == 30
    assert jobs.run_import(job.pk) is False  # already claimed: never runs twice
    assert AuditEntry.objects.filter(action="registry.mine.import").count() == 1


@pytest.mark.django_db
def test_too_many_rows_rejects_the_whole_file(world: World, settings) -> None:
    settings.IMPORT_MAX_ROWS = 5
    data = _sheet(6, uscc_for("210323"))
    job = MineImport.objects.create(actor=world.county_leader, filename="big.xlsx", content=data)
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "5" in job.failure
    assert not Mine.objects.filter(name__startswith="批量矿").exists()  # nothing half-imported


@pytest.mark.django_db(transaction=True)
def test_background_thread_path(world: World) -> None:
    job = jobs.start_import(actor=world.county_leader, filename="t.xlsx", data=_sheet(20, uscc_for("210323")))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job.status == "done", job.failure
    assert job.created_count == 20


@pytest.mark.django_db
def test_stale_runs_fail_and_queued_runs_resume(world: World) -> None:
    stale = MineImport.objects.create(actor=world.county_leader, filename="s.xlsx", content=b"x", status="running",
                                      started_at=timezone.now() - dt.timedelta(hours=3))
    queued = MineImport.objects.create(actor=world.county_leader, filename="q.xlsx",
                                       content=_sheet(2, uscc_for("210323")))
    assert jobs.fail_stale_imports() == 1
    assert jobs.run_pending_imports() == 1
    stale.refresh_from_db()
    queued.refresh_from_db()
    assert stale.status == "failed" and queued.status == "done"


@pytest.mark.django_db
def test_only_the_uploader_sees_an_import(world: World) -> None:
    job = MineImport.objects.create(actor=world.county_leader, filename="own.xlsx")
    for user, code in ((world.county_leader, 200), (world.county_inspector, 404), (world.province_leader, 404)):
        client = Client()
        client.force_login(user)
        assert client.get(f"/registry/mines/import/{job.pk}/").status_code == code
        assert client.get(f"/registry/mines/import/{job.pk}/progress/").status_code == code


@pytest.mark.django_db
def test_progress_callback_counts_every_row(world: World) -> None:
    from minesafe.registry.io import import_mines

    calls: list[tuple[int, int]] = []
    import_mines(actor=world.county_leader, data=_sheet(4, uscc_for("210323")),
                 progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
