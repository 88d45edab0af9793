"""Roster and training imports as background core.ImportJob runs (kinds "people.roster" and
"people.training"): progress, row errors and good rows kept, whole-file refusals shown on the job
page, form-level refusals, the thread path and who sees a run."""

from __future__ import annotations

import io as bytes_io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from minesafe.accounts.models import Role
from minesafe.core import jobs
from minesafe.core.errors import FieldErrors, PermissionDenied
from minesafe.core.models import AuditEntry, ImportJob
from minesafe.people.io import ROSTER_IMPORT_KIND, TRAINING_IMPORT_KIND
from minesafe.people.models import Attendance, Person, TrainingSession
from minesafe.people.tests.helpers import make_id, person, post
from minesafe.testing import factories
from minesafe.testing.factories import World
from minesafe.testing.jobs import join_import_thread, record_progress

ROSTER_HEADERS = ["姓名", "身份证号", "学历", "用工形式"]
TRAINING_HEADERS = ["矿山编号", "培训日期", "培训类型", "培训名称", "学时", "身份证号", "姓名"]


def _sheet(headers: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = bytes_io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _roster(n: int, bad: tuple[int, ...] = ()) -> bytes:
    """``n`` new persons; the rows at the 0-based positions in ``bad`` carry an invalid ID number."""
    return _sheet(ROSTER_HEADERS, [[f"职工{i}", "bad" if i in bad else make_id(), "高中", "正式"] for i in range(n)])


def _job(world: World, data: bytes, kind: str = ROSTER_IMPORT_KIND, actor: Any = None) -> ImportJob:
    return ImportJob.objects.create(kind=kind, actor=actor or world.ent_principal, filename="roster.xlsx",
                                    content=data)


def _upload(data: bytes, name: str = "roster.xlsx") -> bytes_io.BytesIO:
    f = bytes_io.BytesIO(data)
    f.name = name
    return f


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_both_kinds_are_registered_with_the_job_page() -> None:
    for kind in (ROSTER_IMPORT_KIND, TRAINING_IMPORT_KIND):
        importer = jobs.importer_for(kind)
        assert (importer.permission, importer.detail_url_name) == ("people.import", "people:import_job")


@pytest.mark.django_db
def test_roster_job_records_progress_keeps_good_rows_and_the_row_errors(world: World, monkeypatch) -> None:
    job = _job(world, _roster(6, bad=(1, 4)))
    seen = record_progress(monkeypatch, ROSTER_IMPORT_KIND, job)
    assert jobs.run_import(job.pk) is True
    assert seen == [(i, 6) for i in range(7)]  # every row, then the end, visible to the polling page
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count, job.total_rows, job.percent) == ("done", 4, 0, 6, 100)
    assert job.rejected_rows == [3, 6]  # spreadsheet rows (header is row 1)
    assert {(row, column) for row, column, _message in job.errors} == {(3, "身份证号"), (6, "身份证号")}
    assert job.content is None
    assert set(Person.objects.values_list("name", flat=True)) == {"职工0", "职工2", "职工3", "职工5"}
    assert AuditEntry.objects.get(action="people.roster.import").after["rejected_rows"] == [3, 6]
    assert jobs.run_import(job.pk) is False  # never runs twice


@pytest.mark.django_db
def test_roster_job_counts_updates(world: World) -> None:
    number = make_id()
    person(world.ent_principal, name="旧名", id_number=number)
    job = _job(world, _sheet(ROSTER_HEADERS, [["新名", number, "本科", "正式"]]))
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count, job.errors) == ("done", 0, 1, [])
    assert list(Person.objects.values_list("name", flat=True)) == ["新名"]


@pytest.mark.django_db
def test_training_job_keeps_good_rows_and_the_row_errors(world: World) -> None:
    number = make_id()
    p = person(world.ent_principal, id_number=number)
    post(world.ent_principal, p, world.mine_a)
    data = _sheet(TRAINING_HEADERS, [
        [world.mine_a.pk, "2026-03-01", "全员", "全员安全培训", 24, number, p.name],
        [world.mine_a.pk, "2026-03-01", "全员", "全员安全培训", 24, make_id(), "不在名册"],  # row 3
        [world.mine_b.pk, "2026-03-01", "全员", "全员安全培训", 24, number, p.name],  # row 4: other enterprise
    ])
    job = _job(world, data, kind=TRAINING_IMPORT_KIND, actor=world.ent_safety)
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_rows, job.total_rows) == ("done", 1, [3, 4], 3)
    assert TrainingSession.objects.count() == 1 and Attendance.objects.count() == 1
    assert AuditEntry.objects.filter(action="people.training.import").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "reason"), [("unreadable", "无法读取"), ("missing_column", "缺少必填列"),
                                              ("too_many_rows", "2")])
def test_a_file_rejected_as_a_whole_fails_the_job_and_the_page_says_why(world: World, settings, case: str,
                                                                        reason: str) -> None:
    if case == "unreadable":
        data = b"PK\x03\x04 not a workbook"
    elif case == "missing_column":
        data = _sheet(["姓名", "学历"], [["张三", "高中"]])
    else:
        settings.IMPORT_MAX_ROWS = 2
        data = _roster(3)
    job = _job(world, data)
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and reason in job.failure
    assert (job.created_count, job.errors, job.content) == (0, [], None)
    assert not Person.objects.exists()
    assert not AuditEntry.objects.filter(action="people.roster.import").exists()
    body = _client(world.ent_principal).get(reverse("people:import_job", args=[job.pk])).content.decode()
    assert 'id="import-failure"' in body and reason in body and 'id="import-result"' not in body


@pytest.mark.django_db
def test_a_crash_fails_the_job_with_the_error_kind_only(world: World, monkeypatch) -> None:
    from minesafe.people import services

    def broken(**kw: Any) -> None:
        raise RuntimeError("connection details nobody should see")

    monkeypatch.setattr(services, "create_person", broken)
    job = _job(world, _roster(2))
    jobs.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "RuntimeError" in job.failure and "nobody" not in job.failure
    assert job.content is None and not Person.objects.exists()


@pytest.mark.django_db
def test_start_needs_the_permission_and_a_file(world: World) -> None:
    with pytest.raises(PermissionDenied):
        jobs.start_import(ROSTER_IMPORT_KIND, actor=world.county_inspector, filename="r.xlsx", data=_roster(1))
    with pytest.raises(FieldErrors):
        jobs.start_import(TRAINING_IMPORT_KIND, actor=world.ent_principal, filename="t.xlsx", data=b"")
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_upload_queues_a_job_and_the_job_page_shows_the_result(world: World, settings,
                                                                django_capture_on_commit_callbacks) -> None:
    settings.IMPORT_RUN_INLINE = True
    client = _client(world.ent_principal)
    url = reverse("people:import")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"kind": "roster", "file": _upload(_roster(3, bad=(2,)))})
    job = ImportJob.objects.get()
    assert (job.kind, job.actor, job.filename) == (ROSTER_IMPORT_KIND, world.ent_principal, "roster.xlsx")
    assert response.status_code == 302 and response["Location"] == reverse("people:import_job", args=[job.pk])
    assert (job.status, job.created_count, job.rejected_rows, job.content) == ("done", 2, [4], None)
    body = client.get(response["Location"]).content.decode()
    assert 'id="import-result"' in body and 'id="import-created">2<' in body and 'id="import-rejected">1<' in body
    assert 'id="import-errors"' in body and "身份证号" in body
    assert Person.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"kind": "training", "file": _upload(_sheet(TRAINING_HEADERS, []), "t.xlsx")})
    training = ImportJob.objects.get(kind=TRAINING_IMPORT_KIND)
    assert response["Location"] == reverse("people:import_job", args=[training.pk])
    page = client.get(url).content.decode()  # both runs listed under the user's recent imports, with their type
    assert 'id="import-recent"' in page and "roster.xlsx" in page and "t.xlsx" in page
    assert reverse("people:import_job", args=[job.pk]) in page
    assert str(jobs.importer_for(TRAINING_IMPORT_KIND).label) in page


@pytest.mark.django_db
def test_form_refusals_queue_nothing(world: World, settings) -> None:
    client = _client(world.ent_principal)
    url = reverse("people:import")
    response = client.post(url, {"kind": "roster", "file": _upload(b"a,b\n", "roster.csv")})
    assert response.status_code == 200 and response.context["form"].errors["file"]
    response = client.post(url, {"kind": "roster", "file": _upload(b"")})
    assert response.status_code == 200 and response.context["form"].errors["file"]
    settings.IMPORT_MAX_BYTES = 1024
    response = client.post(url, {"kind": "roster", "file": _upload(b"x" * 2048)})
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_roster_needs_an_enterprise_account_before_queueing(world: World) -> None:
    orphan = factories.user("orphan_principal", Role.ENT_PRINCIPAL, None)
    response = _client(orphan).post(reverse("people:import"), {"kind": "roster", "file": _upload(_roster(1))})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_background_thread_path(world: World) -> None:
    job = jobs.start_import(ROSTER_IMPORT_KIND, actor=world.ent_principal, filename="r.xlsx",
                            data=_roster(5, bad=(0,)))
    assert AuditEntry.objects.filter(action="people.roster.import.start", object_id=str(job.pk)).exists()
    job = join_import_thread(job)
    assert job.status == "done", job.failure
    assert (job.created_count, job.rejected_rows) == (4, [2]), job.errors


@pytest.mark.django_db
def test_only_the_uploader_sees_a_run(world: World) -> None:
    job = _job(world, _roster(2, bad=(1,)), actor=world.ent_safety)
    jobs.run_import(job.pk)
    page_url, progress_url = (reverse("people:import_job", args=[job.pk]),
                              reverse("people:import_progress", args=[job.pk]))
    client = _client(world.ent_safety)
    page = client.get(page_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="import-created">1<' in body and ">3</td>" in body and "身份证号" in body
    assert client.get(progress_url).json() == {"status": "done", "processed": 2, "total": 2, "percent": 100,
                                               "finished": True}
    # the same enterprise's principal and another enterprise: neither uploaded it
    for user in (world.ent_principal, world.other_ent_principal):
        client.force_login(user)
        assert client.get(page_url).status_code == 404
        assert client.get(progress_url).status_code == 404
        assert "roster.xlsx" not in client.get(reverse("people:import")).content.decode()
    client.force_login(world.county_inspector)  # no people.import at all
    assert client.get(page_url).status_code == 403


@pytest.mark.django_db
def test_another_apps_import_is_not_a_people_import(world: World) -> None:
    job = ImportJob.objects.create(kind="hazards.self_check", actor=world.ent_principal, filename="h.xlsx")
    client = _client(world.ent_principal)
    assert client.get(reverse("people:import_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("people:import_progress", args=[job.pk])).status_code == 404
    assert "h.xlsx" not in client.get(reverse("people:import")).content.decode()


@pytest.mark.django_db
def test_running_page_polls_for_progress(world: World) -> None:
    job = _job(world, _roster(2), kind=TRAINING_IMPORT_KIND)
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=1, total_rows=4)
    body = _client(world.ent_principal).get(reverse("people:import_job", args=[job.pk])).content.decode()
    assert f'data-progress-url="{reverse("people:import_progress", args=[job.pk])}"' in body
    assert 'data-status="running"' in body and "width:25%" in body and "import-progress.js" in body
    assert 'id="import-result"' not in body
