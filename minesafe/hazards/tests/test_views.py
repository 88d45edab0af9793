"""Hazard-ledger pages: the ledger's filters, sorting and paging, registration with evidence, the
closed loop through the pages (register → plan → apply → verify, reject), extensions, 挂牌督办,
self-inspections and their compliance list, and scoping (out of scope answers 404)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from minesafe.hazards import services
from minesafe.hazards.models import Evidence, Extension, Hazard, Listing, SelfInspection
from minesafe.rules import hazards as rules
from minesafe.testing.factories import World, mine

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
HAZARD_LINK = re.compile(r'href="/hazards/(\d+)/"')


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _png(name: str = "现场照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _today() -> dt.date:
    return timezone.localdate()


def _register(world: World, *, mine_=None, actor=None, source="inspection", found_on=None, today=None,
              category="metal-ug-2022.1", description="安全出口不符合要求", **extra) -> Hazard:
    data = {"source": source, "category_code": category, "description": description, "location": "-120m 中段",
            "found_on": found_on or _today(), "found_by": "检查组", **extra}
    return services.register_hazard(actor=actor or world.province_leader, mine=mine_ or world.mine_a, data=data,
                                    today=today)


def _plan(deadline: dt.date) -> dict:
    return {"responsible_person": "张三", "measures": "补设第二安全出口", "funds_yuan": "50000.00",
            "deadline": deadline.isoformat(), "contingency_plan": "该中段停止作业并设警戒"}


def _rectifying(world: World, **kw) -> Hazard:
    hazard = _register(world, **kw)
    return services.start_rectification(actor=world.province_leader, hazard=hazard, plan={
        "responsible_person": "张三", "measures": "补设第二安全出口", "funds_yuan": 50000,
        "deadline": _today() + dt.timedelta(days=30), "contingency_plan": "停止作业"})


def _ids(page: str) -> list[int]:
    return [int(x) for x in dict.fromkeys(HAZARD_LINK.findall(page))]


# --- the ledger --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ledger_filters_sorts_and_pages(world: World) -> None:
    today = _today()
    # overdue: planned in the past with a deadline already passed
    old = _register(world, description="逾期隐患", found_on=today - dt.timedelta(days=40),
                    today=today - dt.timedelta(days=40))
    services.start_rectification(actor=world.province_leader, hazard=old, today=today - dt.timedelta(days=40), plan={
        "responsible_person": "李四", "measures": "加固", "funds_yuan": 0, "deadline": today - dt.timedelta(days=5),
        "contingency_plan": "撤人"})
    made = [_register(world, description=f"批量隐患{i:02d}") for i in range(28)]
    listed = _register(world, description="挂牌隐患")
    services.list_for_supervision(actor=world.county_leader, hazard=listed, document_no="岫安委督〔2026〕1号",
                                  deadline=today + dt.timedelta(days=20))
    foreign = _register(world, mine_=world.mine_b, description="外县隐患")
    client = _client(world.city_leader)

    page = client.get("/hazards/").content.decode()
    assert 'value="210323"' in page  # county choice inside the city's jurisdiction
    assert len(_ids(page)) == 25 and "外县隐患" not in page
    page2 = client.get("/hazards/?page=2").content.decode()
    assert len(_ids(page2)) == 5
    # sorting by number, both ways; a crafted sort key falls back to the default
    asc = _ids(client.get("/hazards/?sort=id").content.decode())
    assert asc == sorted(asc) and asc[:2] == [old.pk, made[0].pk]
    desc = _ids(client.get("/hazards/?sort=-id").content.decode())
    assert desc == sorted(desc, reverse=True)
    assert client.get("/hazards/?sort=mine__enterprise__organisation__users__password").status_code == 200
    # filters
    overdue = client.get("/hazards/?overdue=yes").content.decode()
    assert _ids(overdue) == [old.pk] and _zh("Overdue") in overdue
    assert _ids(client.get("/hazards/?listed=yes").content.decode()) == [listed.pk]
    assert _ids(client.get("/hazards/?status=rectifying").content.decode()) == [old.pk]
    assert len(_ids(client.get("/hazards/?q=批量隐患0").content.decode())) == 10
    found_to = (today - dt.timedelta(days=1)).isoformat()
    assert _ids(client.get(f"/hazards/?found_to={found_to}").content.decode()) == [old.pk]
    assert old.pk not in _ids(client.get(f"/hazards/?found_from={today.isoformat()}").content.decode())
    assert client.get("/hazards/?found_from=not-a-date&mine=x&division=abc").status_code == 200
    assert len(_ids(client.get("/hazards/?category=metal-ug-2022.1&per_page=50").content.decode())) == 30
    assert _ids(client.get("/hazards/?category=metal-ug-2022.2").content.decode()) == []
    assert _ids(client.get("/hazards/?sector=coal").content.decode()) == []
    # the province sees both counties and narrows by division
    province = _client(world.province_leader)
    assert _ids(province.get("/hazards/?division=210902").content.decode()) == [foreign.pk]
    assert foreign.pk not in _ids(province.get("/hazards/?division=2103&per_page=50").content.decode())
    # export and import links keep the query string
    filtered = client.get("/hazards/?status=rectifying").content.decode()
    assert "/hazards/export.xlsx?" in filtered and "status=rectifying" in filtered
    # the enterprise sees its own mine's hazards and no division filter
    ent_page = _client(world.ent_principal).get("/hazards/?per_page=50").content.decode()
    assert len(_ids(ent_page)) == 30 and 'name="division"' not in ent_page
    assert _ids(_client(world.other_ent_principal).get("/hazards/").content.decode()) == [foreign.pk]


# --- registration ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_with_png_evidence_and_download(world: World) -> None:
    client = _client(world.county_leader)
    form = client.get(f"/hazards/new/?mine={world.mine_a.pk}").content.decode()
    assert f'<option value="{world.mine_a.pk}" selected' in form and "乙矿" not in form
    assert "<optgroup" in form and "(1) " in form  # categories grouped by standard, numbered
    response = client.post("/hazards/new/", {
        "mine": world.mine_a.pk, "source": "inspection", "category_code": "metal-ug-2022.1",
        "item_code": "metal-ug-2022.1.1", "description": "主井安全出口被堵塞", "location": "-120m 中段",
        "found_on": _today().isoformat(), "found_by": "县应急局检查组", "production_stop": "partial",
        "evidence": [_png(), _png("第二张.png")],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    hazard = Hazard.objects.get(description="主井安全出口被堵塞")
    assert response["Location"] == f"/hazards/{hazard.pk}/"
    assert hazard.production_stop == "partial" and hazard.standard_code == "metal-ug-2022"
    assert hazard.item_code == "metal-ug-2022.1.1"
    files = list(hazard.evidence.order_by("id"))
    assert [e.original_name for e in files] == ["现场照片.png", "第二张.png"]
    assert files[0].sha256 == hashlib.sha256(PNG).hexdigest()
    detail = client.get(response["Location"]).content.decode()
    assert "现场照片.png" in detail and files[0].sha256[:16] in detail
    assert "县应急局检查组" in detail and "-120m 中段" in detail
    assert "penalty_recommendation@2024.1" in detail  # rule decisions with their version
    download = client.get(f"/hazards/evidence/{files[0].pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png" and "attachment" in download["Content-Disposition"]
    # the timeline shows the notification of the actual controller (seed-004 第11项)
    assert _zh("Notification") in detail


@pytest.mark.django_db
def test_register_shows_field_errors_and_saves_nothing(world: World) -> None:
    client = _client(world.county_leader)
    count = Hazard.objects.count()
    page = client.post("/hazards/new/", {
        "mine": world.mine_a.pk, "source": "inspection", "category_code": "coal-2024.2", "description": "x",
        "location": "x", "found_on": _today().isoformat(), "found_by": "x", "production_stop": "none",
    }).content.decode()
    assert "errorlist" in page  # a coal category for a metal mine: the service refuses it
    page = client.post("/hazards/new/", {
        "mine": world.mine_a.pk, "source": "inspection", "category_code": "metal-ug-2022.1", "description": "x",
        "location": "x", "found_on": _today().isoformat(), "found_by": "x", "production_stop": "none",
        "evidence": [SimpleUploadedFile("virus.exe", PNG)],
    }).content.decode()
    assert "errorlist" in page and "JPG" in page
    page = client.post("/hazards/new/", {
        "mine": world.mine_a.pk, "source": "inspection", "category_code": "metal-ug-2022.1", "description": "x",
        "location": "x", "found_on": _today().isoformat(), "found_by": "x", "production_stop": "none",
        "evidence": [SimpleUploadedFile("fake.png", b"not a png at all")],
    }).content.decode()
    assert "errorlist" in page
    assert client.post("/hazards/new/", {}).status_code == 200
    assert Hazard.objects.count() == count and not Evidence.objects.exists()


@pytest.mark.django_db
def test_enterprise_registers_only_self_check_findings(world: World) -> None:
    client = _client(world.ent_principal)
    form = client.get("/hazards/new/").content.decode()
    assert 'value="self_check"' in form and 'value="inspection"' not in form
    assert "乙矿" not in form and "甲矿" in form
    data = {"mine": world.mine_a.pk, "source": "inspection", "category_code": "metal-ug-2022.1",
            "description": "自查发现", "location": "井口", "found_on": _today().isoformat(), "found_by": "安全科",
            "production_stop": "none"}
    page = client.post("/hazards/new/", data).content.decode()
    assert "errorlist" in page and not Hazard.objects.exists()
    # another enterprise's mine is not a choice either
    page = client.post("/hazards/new/", {**data, "source": "self_check", "mine": world.mine_b.pk}).content.decode()
    assert "errorlist" in page and not Hazard.objects.exists()
    response = client.post("/hazards/new/", {**data, "source": "self_check"})
    assert response.status_code == 302
    assert Hazard.objects.get().source == "self_check"


# --- the closed loop through the pages ----------------------------------------------------------


@pytest.mark.django_db
def test_lifecycle_register_plan_apply_verify(world: World) -> None:
    ent = _client(world.ent_safety)
    response = ent.post("/hazards/new/", {
        "mine": world.mine_a.pk, "source": "self_check", "category_code": "metal-ug-2022.1",
        "description": "自查：安全出口不畅", "location": "-80m", "found_on": _today().isoformat(), "found_by": "安全科",
        "production_stop": "none"})
    hazard = Hazard.objects.get()
    url = f"/hazards/{hazard.pk}/"
    assert response["Location"] == url
    detail = ent.get(url).content.decode()
    assert f"{url}plan/" in detail and f"{url}verify/" not in detail and f"{url}apply/" not in detail

    # 五落实: the rule's own messages for what is missing, nothing written
    page = ent.post(f"{url}plan/", {"responsible_person": "张三"}).content.decode()
    assert "五落实" in page and "errorlist" in page
    assert Hazard.objects.get().status == "registered"
    response = ent.post(f"{url}plan/", _plan(_today() + dt.timedelta(days=30)))
    assert response.status_code == 302 and response["Location"] == url
    hazard.refresh_from_db()
    assert hazard.status == "rectifying" and hazard.deadline == hazard.original_deadline
    assert "plan/" not in ent.get(url).content.decode().split("<h2>")[0]

    # close-out application needs evidence
    page = ent.post(f"{url}apply/", {"note": "已整改"}).content.decode()
    assert "佐证材料" in page and Hazard.objects.get().status == "rectifying"
    response = ent.post(f"{url}apply/", {"note": "已补设安全出口", "evidence": [_png("整改后.png")]})
    assert response.status_code == 302
    assert Hazard.objects.get().status == "awaiting_verification"
    assert Evidence.objects.get().purpose == "rectification"

    # the enterprise cannot verify; the regulator verifies on site
    assert ent.get(f"{url}verify/").status_code == 403
    inspector = _client(world.county_inspector)
    assert f"{url}verify/" in inspector.get(url).content.decode()
    page = inspector.post(f"{url}verify/", {"note": "x"}).content.decode()
    assert "验收方式" in page and Hazard.objects.get().status == "awaiting_verification"
    response = inspector.post(f"{url}verify/", {"verification_method": "on_site", "note": "现场核查合格"})
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == "closed" and hazard.closed_on == _today() and hazard.verification_method == "on_site"
    detail = inspector.get(url).content.decode()
    assert "现场核查合格" in detail and "已补设安全出口" in detail and "整改后.png" in detail
    assert f"{url}verify/" not in detail and f"{url}extend/" not in detail
    # a closed hazard's action pages explain why nothing can be done
    page = inspector.get(f"{url}reject/").content.decode()
    assert 'class="nonfield"' in page and "<textarea" not in page


@pytest.mark.django_db
def test_reject_path_returns_to_rectification(world: World) -> None:
    hazard = _rectifying(world)
    services.apply_for_closure(actor=world.ent_principal, hazard=hazard, note="完成", evidence=[_png()])
    url = f"/hazards/{hazard.pk}/"
    inspector = _client(world.county_inspector)
    page = inspector.post(f"{url}reject/", {"reason": " "}).content.decode()
    assert "验收不通过须填写原因" in page
    assert Hazard.objects.get(pk=hazard.pk).status == "awaiting_verification"
    response = inspector.post(f"{url}reject/", {"reason": "第二安全出口未贯通"})
    assert response.status_code == 302
    assert Hazard.objects.get(pk=hazard.pk).status == "rectifying"
    assert "第二安全出口未贯通" in inspector.get(url).content.decode()


@pytest.mark.django_db
def test_extension_request_and_approval(world: World) -> None:
    hazard = _rectifying(world)
    url = f"/hazards/{hazard.pk}/"
    ent = _client(world.ent_principal)
    assert f"{url}extend/" in ent.get(url).content.decode()
    new_deadline = hazard.deadline + dt.timedelta(days=20)
    page = ent.post(f"{url}extend/", {"requested_deadline": new_deadline.isoformat(), "reason": ""}).content.decode()
    assert "errorlist" in page and not Extension.objects.exists()  # a reason is required
    response = ent.post(f"{url}extend/", {"requested_deadline": new_deadline.isoformat(), "reason": "设备到货延迟"})
    assert response.status_code == 302
    ext = Extension.objects.get()
    detail = ent.get(url).content.decode()
    assert "设备到货延迟" in detail and f"/hazards/extensions/{ext.pk}/decide/" not in detail
    assert f"{url}extend/" not in detail  # one pending request at a time
    assert "nonfield" in ent.get(f"{url}extend/").content.decode()
    # the enterprise may not decide; the regulator sees the buttons
    assert ent.post(f"/hazards/extensions/{ext.pk}/decide/", {"approve": "1"}).status_code == 403
    inspector = _client(world.county_inspector)
    assert f"/hazards/extensions/{ext.pk}/decide/" in inspector.get(url).content.decode()
    assert inspector.get(f"/hazards/extensions/{ext.pk}/decide/").status_code == 405
    response = inspector.post(f"/hazards/extensions/{ext.pk}/decide/", {})  # neither approve nor reject
    assert response.status_code == 302 and Extension.objects.get().status == "pending"
    response = inspector.post(f"/hazards/extensions/{ext.pk}/decide/", {"approve": "1", "note": "同意延期"})
    assert response.status_code == 302 and response["Location"] == url
    hazard.refresh_from_db()
    assert Extension.objects.get().status == "approved"
    assert hazard.deadline == new_deadline and hazard.original_deadline == new_deadline - dt.timedelta(days=20)
    detail = inspector.get(url).content.decode()
    assert "同意延期" in detail and new_deadline.isoformat() in detail
    # deciding again is a conflict, reported as a message, not an error page
    response = inspector.post(f"/hazards/extensions/{ext.pk}/decide/", {"approve": "0"}, follow=True)
    assert response.status_code == 200 and Extension.objects.get().status == "approved"


@pytest.mark.django_db
def test_leader_lists_for_supervision(world: World) -> None:
    hazard = _rectifying(world)
    url = f"/hazards/{hazard.pk}/"
    assert _client(world.county_inspector).get(f"{url}list/").status_code == 403
    assert f"{url}list/" not in _client(world.county_inspector).get(url).content.decode()
    leader = _client(world.county_leader)
    assert f"{url}list/" in leader.get(url).content.decode()
    page = leader.post(f"{url}list/", {"document_no": "", "deadline": (_today() - dt.timedelta(days=1)).isoformat()})
    assert "errorlist" in page.content.decode() and not Listing.objects.exists()
    response = leader.post(f"{url}list/", {"document_no": "岫安委督〔2026〕3号",
                                           "deadline": (_today() + dt.timedelta(days=15)).isoformat(),
                                           "note": "县安委会挂牌"})
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.listed and Listing.objects.get().level == "county"
    detail = leader.get(url).content.decode()
    assert "岫安委督〔2026〕3号" in detail and "县安委会挂牌" in detail
    # the same level cannot list twice; the city can
    page = leader.post(f"{url}list/", {"document_no": "再次", "deadline": (_today() + dt.timedelta(days=15))})
    assert "nonfield" in page.content.decode() and Listing.objects.count() == 1
    assert _client(world.city_leader).post(f"{url}list/", {
        "document_no": "鞍安委督〔2026〕1号", "deadline": (_today() + dt.timedelta(days=10)).isoformat()},
    ).status_code == 302
    assert Listing.objects.count() == 2
    assert _ids(leader.get("/hazards/?listed=yes").content.decode()) == [hazard.pk]


# --- self-inspections ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_self_inspection_record_and_compliance(world: World) -> None:
    today = _today()
    last_month = rules.add_months(today.replace(day=1), -1)
    last_key = rules.period_key("metal_underground", last_month)
    client = _client(world.ent_principal)
    page = client.get("/hazards/self-inspections/").content.decode()
    section = page.split("<h2>")[2]  # the compliance card
    assert "甲矿" in section and last_key in section and "乙矿" not in page
    assert len(re.findall(r'class="badge (?:red|orange)">', section)) == 6  # six complete months missing
    # a date in another period than the one typed is refused, in Chinese
    page = client.post("/hazards/self-inspections/", {
        "mine": world.mine_a.pk, "period": "2001-01", "organised_on": last_month.isoformat(),
        "organiser": "矿长王五", "hazards_found": "1"}).content.decode()
    assert "errorlist" in page and not SelfInspection.objects.exists()
    assert client.post("/hazards/self-inspections/", {}).status_code == 200
    # an empty period is the period of the date organised
    response = client.post("/hazards/self-inspections/", {
        "mine": world.mine_a.pk, "period": "", "organised_on": last_month.isoformat(), "organiser": "矿长王五",
        "hazards_found": "1", "notes": "全系统排查"})
    assert response.status_code == 302
    record = SelfInspection.objects.get()
    assert record.period == last_key and record.hazards_found == 1
    page = client.get("/hazards/self-inspections/").content.decode()
    section = page.split("<h2>")[2]
    assert len(re.findall(r'class="badge (?:red|orange)">', section)) == 5
    assert 'class="badge red"' not in section  # the last complete period is done
    assert "全系统排查" in page and "矿长王五" in page
    # the other county's regulator sees neither the record nor mine_a among the gaps
    other = _client(world.other_county_inspector).get("/hazards/self-inspections/").content.decode()
    assert "矿长王五" not in other and "甲矿" not in other and "乙矿" in other
    # the same period twice is a field error
    page = client.post("/hazards/self-inspections/", {
        "mine": world.mine_a.pk, "organised_on": last_month.isoformat(), "organiser": "矿长王五"}).content.decode()
    assert "errorlist" in page and SelfInspection.objects.count() == 1


@pytest.mark.django_db
def test_compliance_list_is_capped_and_paged(world: World, monkeypatch) -> None:
    from minesafe.hazards import views

    monkeypatch.setattr(views, "COMPLIANCE_MAX_ROWS", 30)
    for i in range(34):
        mine(world.province_leader, world.ent_a, name=f"排查矿{i:02d}")
    client = _client(world.county_inspector)
    page = client.get("/hazards/self-inspections/").content.decode()
    assert "cpage=2" in page and "35" in page  # 35 mines with gaps, 30 kept, 25 a page
    page2 = client.get("/hazards/self-inspections/?cpage=2").content.decode()
    assert len(re.findall(r'href="/registry/mines/\d+/"', page2.split("<h2>")[2])) == 5


# --- scoping ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_out_of_scope_objects_answer_404(world: World) -> None:
    hazard = _rectifying(world)
    ext = services.request_extension(actor=world.ent_principal, hazard=hazard,
                                     requested=hazard.deadline + dt.timedelta(days=10), reason="延期")
    evidence = services.store_evidence(actor=world.ent_principal, hazard=hazard, upload=_png(), purpose="finding")
    before = (Hazard.objects.get(pk=hazard.pk).status, Extension.objects.get().status)
    for user in (world.other_county_inspector, world.other_ent_principal):
        client = _client(user)
        for path in ("", "plan/", "apply/", "extend/"):
            assert client.get(f"/hazards/{hazard.pk}/{path}").status_code == 404, (user, path)
        assert client.get(f"/hazards/evidence/{evidence.pk}/").status_code == 404
        assert client.post(f"/hazards/{hazard.pk}/apply/", {"evidence": [_png()]}).status_code == 404
    other = _client(world.other_county_inspector)
    assert other.post(f"/hazards/extensions/{ext.pk}/decide/", {"approve": "1"}).status_code == 404
    assert other.post(f"/hazards/{hazard.pk}/verify/", {"verification_method": "document"}).status_code == 404
    assert (Hazard.objects.get(pk=hazard.pk).status, Extension.objects.get().status) == before
    # registering at a mine outside the scope is refused by the form's choices
    page = other.post("/hazards/new/", {
        "mine": world.mine_a.pk, "source": "inspection", "category_code": "metal-ug-2022.1", "description": "越界",
        "location": "x", "found_on": _today().isoformat(), "found_by": "x", "production_stop": "none"})
    assert page.status_code == 200 and not Hazard.objects.filter(description="越界").exists()
    # the admin roles hold no hazard permission
    assert _client(world.sys_admin).get("/hazards/").status_code == 403
    assert Client().get("/hazards/").status_code == 302
