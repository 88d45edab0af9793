"""The self-check import as a background core.ImportJob (kind "hazards.self_check"): progress, row
errors and good rows kept, whole-file refusals, crashes, the thread path and who sees a run."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from minesafe.core import jobs
from minesafe.core.errors import PermissionDenied
from minesafe.core.models import AuditEntry, ImportJob
from minesafe.hazards import services
from minesafe.hazards.io import IMPORT_COLUMNS, SELF_CHECK_IMPORT_KIND
from minesafe.hazards.models import Hazard
from minesafe.testing.factories import World
from minesafe.testing.jobs import join_import_thread, record_progress

KIND = SELF_CHECK_IMPORT_KIND
HEADERS = [c.header for c in IMPORT_COLUMNS]
FOUND = dt.date.today() - dt.timedelta(days=10)


def _sheet(world: World, n: int, bad: tuple[int, ...] = (), headers: list[str] = HEADERS) -> bytes:
    """``n`` distinct hazards at mine_a; the rows at the 0-based positions in ``bad`` lack a description."""
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for i in range(n):
        row = {"矿山编号": world.mine_a.pk, "隐患类别代码": "metal-ug-2022.1", "隐患部位": "-120m中段",
               "隐患描述": None if i in bad else f"安全出口被堵塞第{i}处", "发现日期": FOUND, "发现人": "张检查",
               "来源": "执法检查"}
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _job(world: World, data: bytes, actor: Any = None) -> ImportJob:
    return ImportJob.objects.create(kind=KIND, actor=actor or world.county_leader, filename="list.xlsx",
                                    content=data)


@pytest.mark.django_db
def test_job_records_progress_keeps_good_rows_and_the_row_errors(world: World, monkeypatch) -> None:
    job = _job(world, _sheet(world, 6, bad=(1, 4)))
    seen = record_progress(monkeypatch, KIND, job)
    assert jobs.run_import(job.pk) is True
    assert seen == [(i, 6) for i in range(7)]  # every row, then the end, visible to the polling page
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count, job.total_rows, job.percent) == ("done", 4, 0, 6, 100)
    assert job.rejected_rows == [3, 6]  # spreadsheet rows (header is row 1)
    assert {(row, column) for row, column, _message in job.errors} == {(3, "隐患描述"), (6, "隐患描述")}
    assert job.content is None
    assert Hazard.objects.filter(mine=world.mine_a, registered_by=world.county_leader).count() == 4
    summary = AuditEntry.objects.get(action="hazards.hazard.import")
    assert summary.after["rejected_rows"] == [3, 6]
    assert jobs.run_import(job.pk) is False  # never runs twice


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "reason"), [("unreadable", "无法读取"), ("missing_column", "缺少必填列"),
                                              ("too_many_rows", "2")])
def test_a_file_rejected_as_a_whole_fails_the_job_and_writes_nothing(world: World, settings, case: str,
                                                                     reason: str) -> None:
    if case == "unreadable":
        data = b"PK\x03\x04 not a workbook"
    elif case == "missing_column":
        data = _sheet(world, 3, headers=[h for h in HEADERS if h != "发现人"])
    else:
        settings.IMPORT_MAX_ROWS = 2
        data = _sheet(world, 3)
    job = _job(world, data)
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and reason in job.failure
    assert (job.created_count, job.errors, job.content) == (0, [], None)
    assert not Hazard.objects.exists()
    assert not AuditEntry.objects.filter(action="hazards.hazard.import").exists()


@pytest.mark.django_db
def test_a_crash_fails_the_job_with_the_error_kind_only(world: World, monkeypatch) -> None:
    def broken(**kw: Any) -> None:
        raise RuntimeError("connection details nobody should see")

    monkeypatch.setattr(services, "register_hazard", broken)
    job = _job(world, _sheet(world, 2))
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "RuntimeError" in job.failure and "nobody" not in job.failure
    assert job.content is None and not Hazard.objects.exists()


@pytest.mark.django_db
def test_start_needs_the_permission_and_a_file(world: World) -> None:
    from minesafe.core.errors import FieldErrors

    with pytest.raises(PermissionDenied):
        jobs.start_import(KIND, actor=world.sys_admin, filename="list.xlsx", data=_sheet(world, 1))
    with pytest.raises(FieldErrors):
        jobs.start_import(KIND, actor=world.county_leader, filename="list.xlsx", data=b"")
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_enterprise_job_registers_self_check_findings(world: World) -> None:
    job = _job(world, _sheet(world, 2), actor=world.ent_principal)
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 2)
    assert set(Hazard.objects.values_list("source", flat=True)) == {"self_check"}


@pytest.mark.django_db(transaction=True)
def test_background_thread_path(world: World) -> None:
    job = jobs.start_import(KIND, actor=world.county_leader, filename="t.xlsx", data=_sheet(world, 5, bad=(0,)))
    assert AuditEntry.objects.filter(action="hazards.self_check.import.start", object_id=str(job.pk)).exists()
    job = join_import_thread(job)
    assert job.status == "done", job.failure
    assert (job.created_count, job.rejected_rows) == (4, [2]), job.errors


@pytest.mark.django_db
def test_only_the_uploader_sees_a_run(world: World) -> None:
    job = _job(world, _sheet(world, 2, bad=(1,)), actor=world.ent_safety)
    jobs.run_import(job.pk)
    page_url, progress_url = reverse("hazards:import_job", args=[job.pk]), reverse("hazards:import_progress",
                                                                                  args=[job.pk])
    client = Client()
    client.force_login(world.ent_safety)
    page = client.get(page_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="import-created">1<' in body and "<td>3</td>" in body and "隐患描述" in body
    assert client.get(progress_url).json() == {"status": "done", "processed": 2, "total": 2, "percent": 100,
                                               "finished": True}
    # same enterprise, its regulators, the province: none of them uploaded it
    for user in (world.ent_principal, world.county_leader, world.province_leader):
        client.force_login(user)
        assert client.get(page_url).status_code == 404
        assert client.get(progress_url).status_code == 404
        assert "list.xlsx" not in client.get(reverse("hazards:import")).content.decode()
    client.force_login(world.sec_admin)
    assert client.get(page_url).status_code == 403


@pytest.mark.django_db
def test_a_mine_import_is_not_a_hazard_import(world: World) -> None:
    job = ImportJob.objects.create(kind="registry.mines", actor=world.county_leader, filename="m.xlsx")
    client = Client()
    client.force_login(world.county_leader)
    assert client.get(reverse("hazards:import_job", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_running_page_polls_for_progress(world: World) -> None:
    job = _job(world, _sheet(world, 2))
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=1, total_rows=4)
    client = Client()
    client.force_login(world.county_leader)
    body = client.get(reverse("hazards:import_job", args=[job.pk])).content.decode()
    assert f'data-progress-url="{reverse("hazards:import_progress", args=[job.pk])}"' in body
    assert 'data-status="running"' in body and "width:25%" in body and "import-progress.js" in body
    assert 'id="import-result"' not in body
