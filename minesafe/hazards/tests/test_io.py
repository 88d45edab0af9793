"""xlsx export of the hazard ledger and import of self-check lists (minesafe/hazards/io.py, views_io.py)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import NoReverseMatch, include, path, reverse
from openpyxl import Workbook, load_workbook

from minesafe import urls as project_urls
from minesafe.core.models import AuditEntry, ImportJob
from minesafe.core.xlsx import SheetError
from minesafe.hazards import services, views_io
from minesafe.hazards.io import (
    CODES_SHEET_TITLE,
    IMPORT_COLUMNS,
    LEDGER_COLUMNS,
    export_ledger,
    import_self_check,
    template_workbook,
)
from minesafe.hazards.models import Hazard
from minesafe.testing.factories import World

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
FOUND = TODAY - dt.timedelta(days=10)
UG_EXITS = "metal-ug-2022.1"  # 安全出口存在下列情形之一
UG_EXITS_TITLE = "安全出口存在下列情形之一"
IMPORT_HEADERS = [c.header for c in IMPORT_COLUMNS]

# The UI engineer mounts these in hazards/urls.py; until then the view tests use this urlconf.
_hazard_patterns = ([
    path("export.xlsx", views_io.ledger_export, name="ledger_export"),
    path("import/", views_io.import_view, name="import"),
    path("import/template.xlsx", views_io.import_template, name="import_template"),
    path("import/<int:pk>/", views_io.import_job, name="import_job"),
    path("import/<int:pk>/progress/", views_io.import_progress, name="import_progress"),
], "hazards")
urlpatterns = [
    *(p for p in project_urls.urlpatterns if getattr(p, "namespace", None) != "hazards"),
    path("hazards/", include(_hazard_patterns)),
]


@pytest.fixture
def io_urls(settings) -> None:
    try:
        reverse("hazards:import")
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__


def _sheet(rows: list[dict[str, object]], headers: list[str] = IMPORT_HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(world: World, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "矿山编号": world.mine_a.pk, "隐患类别代码": UG_EXITS, "隐患描述": "-120m中段安全出口被废石堵塞",
        "隐患部位": "-120m中段", "发现日期": FOUND, "发现人": "张检查", "停产情况": "部分停产", "来源": "执法检查",
    }
    base.update(kw)
    return base


def _register(world: World, mine=None, *, source: str = "inspection", category: str = UG_EXITS, item: str = "",
              description: str = "主井安全出口不畅通", found_on: dt.date = FOUND) -> Hazard:
    return services.register_hazard(actor=world.province_leader, mine=mine or world.mine_a, data={
        "source": source, "category_code": category, "item_code": item, "description": description,
        "location": "主井", "found_on": found_on, "found_by": "李监察", "production_stop": "partial",
    })


def _read(content: bytes) -> tuple[list[str], list[dict[str, object]]]:
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    headers = [str(h) for h in rows[0]]
    return headers, [dict(zip(headers, r, strict=True)) for r in rows[1:]]


# --- export ---------------------------------------------------------------------------------


def test_export_has_the_regulator_layout_and_the_five_in_place_columns(world: World) -> None:
    hazard = _register(world, item=f"{UG_EXITS}.1")
    deadline = TODAY + dt.timedelta(days=30)
    services.start_rectification(actor=world.ent_principal, hazard=hazard, plan={
        "responsible_person": "孙立新", "measures": "清理废石，恢复安全出口", "funds_yuan": Decimal("12000.50"),
        "deadline": deadline, "contingency_plan": "停止-120m中段作业，撤出人员",
    })
    services.list_for_supervision(actor=world.city_leader, hazard=hazard, document_no="鞍应急督〔2026〕3号",
                                  deadline=deadline)
    headers, rows = _read(export_ledger(Hazard.objects.visible_to(world.county_leader)))
    assert headers == [c.header for c in LEDGER_COLUMNS]
    assert headers[:2] == ["序号", "隐患编号"]
    for header in ("整改责任人", "整改措施", "整改资金(元)", "整改时限", "现整改期限", "应急预案", "是否挂牌督办",
                   "督办文号", "是否逾期", "销号日期", "验收方式"):
        assert header in headers
    [row] = rows
    assert row["序号"] == 1 and row["隐患编号"] == hazard.pk
    assert (row["所在市"], row["所在区县"]) == ("鞍山市", "岫岩满族自治县")
    assert (row["企业名称"], row["矿山名称"], row["行业类别"]) == ("岫岩甲矿业有限公司", "甲矿", "金属非金属地下矿山")
    assert row["隐患类别"] == UG_EXITS_TITLE
    assert row["判定依据条款"] and "安全出口" in str(row["判定依据条款"])
    assert (row["来源"], row["停产情况"], row["状态"]) == ("执法检查", "部分停产", "整改中")
    assert row["整改资金(元)"] == 12000.5
    assert row["整改时限"].date() == row["现整改期限"].date() == deadline
    assert (row["是否挂牌督办"], row["督办文号"], row["是否逾期"]) == ("是", "鞍应急督〔2026〕3号", "否")
    assert row["销号日期"] is None and row["验收方式"] is None


def test_export_marks_overdue_hazards(world: World) -> None:
    hazard = _register(world, found_on=TODAY - dt.timedelta(days=40))
    services.start_rectification(actor=world.county_leader, hazard=hazard, today=TODAY - dt.timedelta(days=39), plan={
        "responsible_person": "甲", "measures": "乙", "funds_yuan": Decimal(0),
        "deadline": TODAY - dt.timedelta(days=1), "contingency_plan": "丙",
    })
    _headers, [row] = _read(export_ledger(Hazard.objects.all()))
    assert row["是否逾期"] == "是"


def test_export_is_scoped(world: World) -> None:
    _register(world, world.mine_a)
    _register(world, world.mine_b)
    for user, mines in ((world.county_leader, {"甲矿"}), (world.other_county_inspector, {"乙矿"}),
                        (world.province_inspector, {"甲矿", "乙矿"}), (world.ent_principal, {"甲矿"}),
                        (world.other_ent_principal, {"乙矿"}), (world.sys_admin, set())):
        _h, rows = _read(export_ledger(Hazard.objects.visible_to(user)))
        assert {r["矿山名称"] for r in rows} == mines, user.username


def test_export_view_applies_the_list_filters_and_scope(world: World, client: Client, io_urls) -> None:
    a1 = _register(world, world.mine_a, source="inspection")
    a2 = _register(world, world.mine_a, source="self_check", description="另一处")
    _register(world, world.mine_b, source="inspection")
    url = reverse("hazards:ledger_export")
    client.force_login(world.province_inspector)
    _h, rows = _read(client.get(url).content)
    assert len(rows) == 3
    _h, rows = _read(client.get(url, {"division": "210323"}).content)
    assert {r["隐患编号"] for r in rows} == {a1.pk, a2.pk}
    _h, rows = _read(client.get(url, {"division": "2103", "source": "self_check"}).content)
    assert [r["隐患编号"] for r in rows] == [a2.pk]
    _h, rows = _read(client.get(url, {"status": "closed"}).content)
    assert rows == []
    _h, rows = _read(client.get(url, {"listed": "yes"}).content)
    assert rows == []
    _h, rows = _read(client.get(url, {"overdue": "yes"}).content)
    assert rows == []
    _h, rows = _read(client.get(url, {"status": "bogus"}).content)
    assert rows == []
    client.force_login(world.county_inspector)
    response = client.get(url, {"division": "21"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="hazards-')
    _h, rows = _read(response.content)
    assert {r["矿山名称"] for r in rows} == {"甲矿"}
    client.force_login(world.audit_admin)
    assert client.get(url).status_code == 403


# --- import ---------------------------------------------------------------------------------


def test_bad_rows_rejected_with_row_numbers_good_rows_kept(world: World) -> None:
    future = TODAY + dt.timedelta(days=3)
    by_name = {"矿山编号": None, "矿山名称": "甲矿", "企业统一社会信用代码": world.ent_a.uscc,
               "隐患类别代码": None, "隐患类别": UG_EXITS_TITLE, "隐患描述": "风井口坍塌"}
    rows = [
        _row(world),  # 2: ok, by mine number and category code
        _row(world, **by_name),  # 3: ok, by mine name + USCC and category title
        _row(world, **{"隐患类别代码": "coal-2024.5"}),  # 4: not in the sector's standard
        _row(world, **{"发现日期": future, "隐患描述": "未来"}),  # 5: future date
        _row(world, **{"矿山编号": world.mine_b.pk}),  # 6: out of scope
        _row(world, **{"隐患描述": None}),  # 7: required
        _row(world, **{"停产情况": "暂停", "隐患描述": "坏选项"}),  # 8: bad choice
        _row(world),  # 9: duplicate of row 2
        _row(world, **{"来源": None, "隐患描述": "无来源"}),  # 10: a regulator must give the source
        _row(world, **{"隐患类别代码": None, "隐患类别": "不存在的类别", "隐患描述": "x"}),  # 11: unknown title
        _row(world, **{"判定依据条款代码": "metal-ug-2022.water.1", "隐患描述": "y"}),  # 12: item of another category
        _row(world, **{"矿山编号": world.mine_a.pk, "矿山名称": "乙矿", "隐患描述": "z"}),  # 13: number ≠ name
        _row(world, **{"发现日期": "去年", "隐患描述": "w"}),  # 14: unparsable date
    ]
    result = import_self_check(actor=world.county_leader, data=_sheet(rows))
    assert result.created == 2 and result.total_rows == 13
    assert result.rejected_rows == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    by_row = {e.row: e for e in result.errors}
    assert by_row[4].field == "隐患类别代码"
    assert by_row[5].field == "发现日期"
    assert by_row[6].field == "矿山编号"
    assert by_row[7].field == "隐患描述"
    assert by_row[8].field == "停产情况" and "未停产" in by_row[8].message
    assert by_row[9].field == "隐患描述" and str(result.hazard_ids[0]) in by_row[9].message
    assert by_row[10].field == "来源"
    assert by_row[11].field == "隐患类别" and "不存在的类别" in by_row[11].message
    assert by_row[12].field == "判定依据条款代码"
    assert by_row[13].field == "矿山名称"
    assert by_row[14].field == "发现日期"
    hazards = Hazard.objects.order_by("id")
    assert [h.pk for h in hazards] == result.hazard_ids
    assert [(h.mine_id, h.category_code, h.source, h.production_stop, h.registered_by_id) for h in hazards] == [
        (world.mine_a.pk, UG_EXITS, "inspection", "partial", world.county_leader.pk)] * 2
    assert hazards[1].description == "风井口坍塌"
    summary = AuditEntry.objects.get(action="hazards.hazard.import")
    assert summary.after["rejected_rows"] == result.rejected_rows
    assert AuditEntry.objects.filter(action="hazards.hazard.register").count() == 2


def test_category_title_is_matched_in_the_standard_in_force_on_the_finding_date(world: World) -> None:
    """The same title exists in coal-2020 and coal-2024; the finding date picks the version."""
    from minesafe.testing.factories import mine

    coal = mine(world.province_leader, world.ent_a, name="丙煤矿", sector="coal", gas_grade="low",
                hydrogeology="simple", spontaneous_combustion="not_prone", production_levels=1, depth_m=Decimal("300"))
    title = "超能力、超强度或者超定员组织生产"
    rows = [
        _row(world, **{"矿山编号": coal.pk, "隐患类别代码": None, "隐患类别": title, "发现日期": dt.date(2024, 3, 1)}),
        _row(world, **{"矿山编号": coal.pk, "隐患类别代码": None, "隐患类别": title, "发现日期": FOUND}),
    ]
    result = import_self_check(actor=world.province_leader, data=_sheet(rows))
    assert result.errors == []
    assert list(Hazard.objects.order_by("found_on").values_list("category_code", "standard_code")) == [
        ("coal-2020.4", "coal-2020"), ("coal-2024.1", "coal-2024")]


def test_enterprise_user_imports_only_self_check_findings(world: World) -> None:
    rows = [
        _row(world, **{"来源": "执法检查"}),                                   # 2: forced to self_check
        _row(world, **{"来源": "什么都行", "隐患描述": "来源列被忽略"}),         # 3: column ignored
        _row(world, **{"矿山编号": world.mine_b.pk, "隐患描述": "别家的矿"}),   # 4: not its mine
    ]
    result = import_self_check(actor=world.ent_principal, data=_sheet(rows))
    assert result.created == 2
    assert result.rejected_rows == [4]
    assert set(Hazard.objects.values_list("source", flat=True)) == {"self_check"}
    # the template an enterprise downloads has no 来源 column
    headers = [c.value for c in load_workbook(io.BytesIO(template_workbook(enterprise=True))).worksheets[0][1]]
    assert "来源" not in headers and "矿山编号" in headers


def test_enterprise_sheet_without_source_column_is_accepted_but_not_a_regulators(world: World) -> None:
    headers = [h for h in IMPORT_HEADERS if h != "来源"]
    data = _sheet([_row(world)], headers)
    assert import_self_check(actor=world.ent_safety, data=data).created == 1
    with pytest.raises(SheetError, match="来源"):
        import_self_check(actor=world.county_leader, data=data)


@pytest.mark.parametrize("case", ["unreadable", "missing_required", "no_mine_column", "no_category_column",
                                  "too_many_rows", "empty"])
def test_a_file_rejected_as_a_whole_writes_nothing(world: World, settings, case: str) -> None:
    good = [_row(world, **{"隐患描述": f"第{i}处"}) for i in range(3)]
    if case == "unreadable":
        data = b"PK\x03\x04 not really a workbook"
    elif case == "missing_required":
        data = _sheet(good, [h for h in IMPORT_HEADERS if h != "发现人"])
    elif case == "no_mine_column":
        data = _sheet(good, [h for h in IMPORT_HEADERS if h not in ("矿山编号", "矿山名称")])
    elif case == "no_category_column":
        data = _sheet(good, [h for h in IMPORT_HEADERS if h not in ("隐患类别代码", "隐患类别", "判定依据条款代码")])
    elif case == "too_many_rows":
        settings.IMPORT_MAX_ROWS = 2
        data = _sheet(good)
    else:
        wb = Workbook()
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    audit_before = AuditEntry.objects.count()
    with pytest.raises(SheetError):
        import_self_check(actor=world.county_leader, data=data)
    assert not Hazard.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_import_needs_the_permission(world: World) -> None:
    from minesafe.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_self_check(actor=world.sys_admin, data=_sheet([_row(world)]))
    assert not Hazard.objects.exists()


def test_template_lists_the_codes_of_every_standard() -> None:
    wb = load_workbook(io.BytesIO(template_workbook()))
    assert [ws.title for ws in wb.worksheets][1] == CODES_SHEET_TITLE
    assert [c.value for c in wb.worksheets[0][1]] == IMPORT_HEADERS
    codes = {row[4] for row in wb[CODES_SHEET_TITLE].iter_rows(min_row=2, values_only=True)}
    assert {"coal-2020.4", "coal-2024.1", UG_EXITS, "metal-op-2022.7", "tailings-2022.1"} <= codes


# --- pages ----------------------------------------------------------------------------------


def _upload(data: bytes, name: str = "list.xlsx") -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def test_import_page_queues_a_job_that_shows_row_errors_and_keeps_good_rows(
        world: World, client: Client, io_urls, settings, django_capture_on_commit_callbacks) -> None:
    settings.IMPORT_RUN_INLINE = True
    client.force_login(world.county_inspector)
    url = reverse("hazards:import")
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("hazards:import_template").encode() in page.content
    data = _sheet([_row(world), _row(world, **{"隐患描述": None})])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": _upload(data)})
    job = ImportJob.objects.get()
    assert (job.kind, job.actor, job.filename) == ("hazards.self_check", world.county_inspector, "list.xlsx")
    assert response.status_code == 302 and response["Location"] == reverse("hazards:import_job", args=[job.pk])
    assert (job.status, job.created_count, job.rejected_rows, job.content) == ("done", 1, [3], None)
    body = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in body and "隐患描述" in body and 'id="import-result"' in body
    assert Hazard.objects.count() == 1
    assert "list.xlsx" in client.get(url).content.decode()  # listed under the user's recent imports


def test_import_page_rejects_bad_uploads(world: World, client: Client, io_urls, settings,
                                         django_capture_on_commit_callbacks) -> None:
    settings.IMPORT_RUN_INLINE = True
    client.force_login(world.county_inspector)
    url = reverse("hazards:import")
    response = client.post(url, {"file": _upload(b"a,b\n", "list.csv")})
    assert response.status_code == 200 and response.context["form"].errors
    settings.IMPORT_MAX_BYTES = 1024
    response = client.post(url, {"file": _upload(b"x" * 2048)})
    assert response.context["form"].errors
    assert not ImportJob.objects.exists()  # refused by the form: no job
    settings.IMPORT_MAX_BYTES = 10 * 1024 * 1024
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": _upload(b"PK\x03\x04garbage")})
    job = ImportJob.objects.get()
    assert job.status == "failed" and "无法读取" in job.failure
    body = client.get(response["Location"]).content.decode()
    assert 'id="import-failure"' in body and "无法读取" in body and 'id="import-result"' not in body
    assert not Hazard.objects.exists()


def test_template_download_and_job_urls(world: World, client: Client, io_urls) -> None:
    client.force_login(world.ent_principal)
    response = client.get(reverse("hazards:import_template"))
    assert response.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(response.content)).worksheets[0][1]]
    assert "来源" not in headers
    # no such run: an allowed role gets 404, a role without the permission 403
    for name in ("hazards:import_job", "hazards:import_progress"):
        assert client.get(reverse(name, args=[1])).status_code == 404
    client.force_login(world.sec_admin)
    for name in ("hazards:import", "hazards:import_template", "hazards:import_job"):
        assert client.get(reverse(name, args=[1] if name.endswith("job") else [])).status_code == 403
