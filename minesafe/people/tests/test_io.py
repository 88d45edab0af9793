"""xlsx import (row-numbered errors, good rows kept, whole-file errors) and export (IDs masked)."""

from __future__ import annotations

import io as bytes_io

import pytest
from openpyxl import Workbook, load_workbook

from minesafe.core.errors import FieldErrors, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.core.xlsx import SheetError
from minesafe.people import crypto, io
from minesafe.people.models import Attendance, Finding, Person, Post, TrainingSession
from minesafe.people.tests.helpers import make_id, person, post

pytestmark = pytest.mark.django_db


def _sheet(headers: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = bytes_io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ROSTER_HEADERS = ["姓名", "身份证号", "学历", "专业", "主体专业", "矿山一线从业年限", "用工形式", "矿山编号", "岗位",
                  "井下岗位", "任职日期", "证书有效期至"]


def test_roster_import_keeps_good_rows_and_reports_bad_ones(world) -> None:
    good, dup = make_id(), make_id()
    data = _sheet(ROSTER_HEADERS, [  # rows 2–6; row 3 has a wrong check character
        ["王矿长", good, "本科", "采矿工程", "是", 8, "正式", world.mine_a.pk, "矿长", "否", "2020-01-01", None],
        ["坏号码", "210323198001011230", "高中", "", "否", 3, "正式", None, None, None, None, None],
        ["派遣工", dup, "初中", "", "否", 2, "劳务派遣", world.mine_a.pk, "其他从业人员", "是", "2024-03-01", None],
        ["越界", make_id(), "高中", "", "否", 2, "正式", world.mine_b.pk, "其他从业人员", "是", "2024-03-01", None],
        ["错学历", make_id(), "博士后", "", "否", 2, "正式", None, None, None, None, None],  # row 6
    ])
    result = io.import_roster(actor=world.ent_principal, data=data)
    assert result.created == 2 and result.updated == 0
    assert result.rejected_rows == [3, 5, 6]
    by_row = {e.row: e for e in result.errors}
    assert by_row[3].field == "身份证号" and "校验位" in by_row[3].message
    assert by_row[5].field == "矿山编号"
    assert by_row[6].field == "学历"
    assert set(Person.objects.values_list("name", flat=True)) == {"王矿长", "派遣工"}  # the bad row left nothing
    assert Post.objects.count() == 2
    rules = set(Finding.objects.filter(mine=world.mine_a).values_list("rule_id", flat=True))
    assert {"people.five_posts.experience", "people.employment.dispatched_underground"} <= rules
    assert AuditEntry.objects.filter(action="people.roster.import").exists()
    # the same sheet again updates in place
    again = io.import_roster(actor=world.ent_principal, data=data)
    assert again.created == 0 and again.updated == 2
    assert Person.objects.count() == 2 and Post.objects.count() == 2


def test_whole_file_errors_write_nothing(world) -> None:
    with pytest.raises(SheetError):
        io.import_roster(actor=world.ent_principal, data=b"not an xlsx")
    with pytest.raises(SheetError):
        io.import_roster(actor=world.ent_principal, data=_sheet(["姓名"], [["张三"]]))
    assert not Person.objects.exists()


def test_import_needs_an_enterprise_account(world) -> None:
    with pytest.raises(PermissionDenied):
        io.import_roster(actor=world.county_inspector, data=_sheet(ROSTER_HEADERS, []))
    with pytest.raises(FieldErrors):
        io.import_roster(actor=world.ent_principal.__class__(role="ent_principal", is_active=True),
                         data=_sheet(ROSTER_HEADERS, []))


def test_export_masks_ids_and_round_trips(world) -> None:
    number = make_id()
    p = person(world.ent_principal, id_number=number)
    post(world.ent_principal, p, world.mine_a, kind="special_operator", certificate_no="T1")
    content = io.export_roster(Person.objects.visible_to(world.ent_principal), Post.objects.all())
    ws = load_workbook(bytes_io.BytesIO(content)).active
    values = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert number not in " ".join(values)
    assert p.id_masked in values
    result = io.import_roster(actor=world.ent_principal, data=content)  # masked ID + 人员编号: update in place
    assert result.errors == [] and result.updated == 1 and Person.objects.count() == 1
    p.refresh_from_db()
    assert crypto.decrypt_id(p.id_cipher) == number
    findings = io.export_findings(Finding.objects.all())
    text = " ".join(str(c.value) for row in load_workbook(bytes_io.BytesIO(findings)).active.iter_rows()
                    for c in row if c.value is not None)
    assert number not in text and "people.training.untrained" in text


def test_training_import(world) -> None:
    number = make_id()
    p = person(world.ent_principal, id_number=number)
    post(world.ent_principal, p, world.mine_a)
    headers = ["矿山编号", "培训日期", "培训类型", "培训名称", "学时", "身份证号", "姓名"]
    data = _sheet(headers, [
        [world.mine_a.pk, "2026-03-01", "全员", "全员安全培训", 24, number, p.name],
        [world.mine_a.pk, "2026-03-01", "全员", "全员安全培训", 24, make_id(), "不在名册"],  # row 3
        [world.mine_b.pk, "2026-03-01", "全员", "全员安全培训", 24, number, p.name],  # row 4: other enterprise
        [world.mine_a.pk, "2026-13-01", "全员", "全员安全培训", 24, number, p.name],  # row 5: bad date
    ])
    result = io.import_training(actor=world.ent_safety, data=data)
    assert result.created == 1 and result.rejected_rows == [3, 4, 5]
    assert TrainingSession.objects.count() == 1 and Attendance.objects.count() == 1
    again = io.import_training(actor=world.ent_safety, data=data)
    assert again.created == 0 and again.updated == 1 and Attendance.objects.count() == 1
