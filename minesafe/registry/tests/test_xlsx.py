"""xlsx import/export of the mine registry: row-numbered rejections, good rows kept, round trip."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from minesafe.core.models import AuditEntry
from minesafe.core.xlsx import SheetError
from minesafe.registry.io import MINE_COLUMNS, export_mines, import_mines
from minesafe.registry.models import Enterprise, Mine, MineImport
from minesafe.testing.factories import World, uscc_for

HEADERS = [c.header for c in MINE_COLUMNS]


def _sheet(rows: list[dict[str, object]], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "矿山名称": "岫岩某镇滑石矿", "企业统一社会信用代码": "", "企业名称": "岫岩新滑石矿业有限公司",
        "区县代码": "210323",
        "行业类别": "金属非金属露天矿山", "状态": "生产", "规模": "小型", "核定生产能力(万吨/年)": 5,
        "采矿许可证有效期至": "2028-06-30", "安全生产许可证有效期至": "2027-12-31",
    }
    base.update(kw)
    return base


@pytest.mark.django_db
def test_bad_rows_rejected_with_row_numbers_good_rows_kept(world: World) -> None:
    new_code = uscc_for("210323")
    rows = [
        _row(**{"企业统一社会信用代码": new_code}),  # row 2: ok, new enterprise
        _row(**{"矿山名称": "坏日期矿", "企业统一社会信用代码": new_code, "采矿许可证有效期至": "明年"}),  # 3
        _row(**{"矿山名称": "越界矿", "企业统一社会信用代码": new_code, "区县代码": "210902"}),      # 4: out of scope
        _row(**{"矿山名称": "坏代码企业的矿", "企业统一社会信用代码": "91210323XXXXXXXXX1"}),         # 5: bad USCC
        _row(**{"矿山名称": "煤矿缺瓦斯等级", "企业统一社会信用代码": new_code, "行业类别": "煤矿",
                "规模": "小型"}),                                                                # 6: rule
        _row(**{"矿山名称": "第二个好矿", "企业统一社会信用代码": world.ent_a.uscc, "企业名称": ""}),  # 7: ok
        _row(**{"矿山名称": "", "企业统一社会信用代码": new_code}),                                # 8: required
    ]
    result = import_mines(actor=world.county_leader, data=_sheet(rows))
    assert result.created == 2
    assert result.rejected_rows == [3, 4, 5, 6, 8]
    by_row = {e.row: e for e in result.errors}
    assert by_row[3].field == "采矿许可证有效期至"
    assert by_row[4].field == "区县代码"
    assert by_row[5].field == "企业统一社会信用代码"
    assert by_row[8].field == "矿山名称"
    assert Mine.objects.filter(name__in=["岫岩某镇滑石矿", "第二个好矿"]).count() == 2
    assert not Mine.objects.filter(name__in=["坏日期矿", "越界矿", "煤矿缺瓦斯等级"]).exists()
    # the bad-USCC row created no enterprise; the good new enterprise exists exactly once
    assert Enterprise.objects.filter(uscc=new_code).count() == 1
    assert not Enterprise.objects.filter(uscc="91210323XXXXXXXXX1").exists()
    summary = AuditEntry.objects.get(action="registry.mine.import")
    assert summary.after["rejected_rows"] == [3, 4, 5, 6, 8]


@pytest.mark.django_db
def test_failure_after_enterprise_creation_leaves_nothing(world: World) -> None:
    """The row's new enterprise is rolled back with the mine that failed validation."""
    code = uscc_for("210323")
    rows = [_row(**{"企业统一社会信用代码": code, "行业类别": "煤矿"})]  # coal without gas grade → rejected
    result = import_mines(actor=world.county_leader, data=_sheet(rows))
    assert result.rejected_rows == [2]
    assert not Enterprise.objects.filter(uscc=code).exists()


@pytest.mark.django_db
def test_export_then_import_updates_in_place(world: World) -> None:
    data = export_mines(Mine.objects.visible_to(world.county_leader))
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.max_row == 2  # header + mine_a only: export is scoped
    col = HEADERS.index("井下定员") + 1
    ws.cell(row=2, column=col, value=75)
    buf = io.BytesIO()
    wb.save(buf)
    result = import_mines(actor=world.county_leader, data=buf.getvalue())
    assert (result.created, result.updated, result.errors) == (0, 1, [])
    world.mine_a.refresh_from_db()
    assert world.mine_a.headcount_cap == 75


@pytest.mark.django_db
def test_unusable_files_are_rejected_whole(world: World) -> None:
    with pytest.raises(SheetError):
        import_mines(actor=world.county_leader, data=b"not a workbook")
    with pytest.raises(SheetError, match="矿山名称"):
        import_mines(actor=world.county_leader, data=_sheet([], headers=["其他列"]))


@pytest.mark.django_db
def test_import_page_runs_a_job_and_shows_row_errors(world: World, client: Client, settings,
                                                     django_capture_on_commit_callbacks) -> None:
    settings.IMPORT_RUN_INLINE = True
    client.force_login(world.county_leader)
    upload = io.BytesIO(_sheet([_row(**{"区县代码": "999999"})]))
    upload.name = "mines.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/registry/mines/import/", {"file": upload})
    job = MineImport.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-result"' in page and "<td>2</td>" in page
    assert job.content is None or MineImport.objects.get().content is None  # upload dropped when done
    assert client.get(f"/registry/mines/import/{job.pk}/progress/").json()["percent"] == 100


@pytest.mark.django_db
def test_unreadable_upload_fails_the_job_and_says_why(world: World, client: Client, settings,
                                                      django_capture_on_commit_callbacks) -> None:
    settings.IMPORT_RUN_INLINE = True
    client.force_login(world.county_leader)
    upload = io.BytesIO(b"junk")
    upload.name = "mines.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/registry/mines/import/", {"file": upload})
    job = MineImport.objects.get()
    assert job.status == "failed" and "xlsx" in job.failure
    assert "nonfield" in client.get(response["Location"]).content.decode()
    wrong_type = io.BytesIO(b"a,b")
    wrong_type.name = "mines.csv"
    page = client.post("/registry/mines/import/", {"file": wrong_type}).content.decode()
    assert "errorlist" in page and MineImport.objects.count() == 1


@pytest.mark.django_db
def test_export_view_respects_filters_and_scope(world: World, client: Client) -> None:
    client.force_login(world.province_leader)
    response = client.get("/registry/mines/export.xlsx?division=210902")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == ["乙矿"]
    client.force_login(world.ent_principal)
    ws = load_workbook(io.BytesIO(client.get("/registry/mines/export.xlsx").content)).active
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == ["甲矿"]


@pytest.mark.django_db
def test_exported_id_lets_a_renamed_mine_update_in_place(world: World) -> None:
    ws = load_workbook(io.BytesIO(export_mines(Mine.objects.filter(pk=world.mine_a.pk)))).active
    ws.cell(row=2, column=HEADERS.index("矿山名称") + 1, value="甲矿（更名）")
    buf = io.BytesIO()
    ws.parent.save(buf)
    result = import_mines(actor=world.county_leader, data=buf.getvalue())
    assert (result.created, result.updated) == (0, 1)
    world.mine_a.refresh_from_db()
    assert world.mine_a.name == "甲矿（更名）"
    # someone else's mine number is not a way in
    foreign = _sheet([_row(**{"矿山编号": world.mine_b.pk, "企业统一社会信用代码": world.ent_a.uscc})])
    result = import_mines(actor=world.county_leader, data=foreign)
    assert [e.field for e in result.errors] == ["矿山编号"]


@pytest.mark.django_db
def test_status_is_not_changed_by_import(world: World) -> None:
    sheet = _sheet([_row(**{"矿山名称": "甲矿", "企业统一社会信用代码": world.ent_a.uscc, "状态": "关闭"})])
    result = import_mines(actor=world.county_leader, data=sheet)
    assert [e.field for e in result.errors] == ["状态"]
    world.mine_a.refresh_from_db()
    assert world.mine_a.status == "production"


@pytest.mark.django_db
@pytest.mark.parametrize(("header", "value"), [("核定生产能力(万吨/年)", 1e12), ("井下定员", "inf"),
                                               ("开采深度(米)", "NaN"), ("同时生产水平数", 10**30)])
def test_out_of_range_numbers_are_row_errors(world: World, header: str, value: object) -> None:
    sheet = _sheet([_row(**{"企业统一社会信用代码": world.ent_a.uscc, "行业类别": "金属非金属地下矿山",
                            header: value})])
    result = import_mines(actor=world.county_leader, data=sheet)
    assert result.rejected_rows == [2], result.errors
    assert result.errors[0].field == header
    assert not Mine.objects.filter(name="岫岩某镇滑石矿").exists()
    assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db
def test_upload_size_is_capped(world: World, client: Client, settings) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    client.force_login(world.county_leader)
    upload = io.BytesIO(_sheet([_row()] * 50))
    upload.name = "big.xlsx"
    page = client.post("/registry/mines/import/", {"file": upload}).content.decode()
    assert "errorlist" in page and not MineImport.objects.exists()
