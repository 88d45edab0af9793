"""Regulator pages of the tip-off register: the list's filters, sorting and paging, the xlsx export,
the closed loop through the action routes (with re-rendered errors keeping what was typed), the
audited identity reveal, attachment downloads, and scoping (enterprises 403, other county 404,
refused writes change nothing)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from minesafe.core.errors import Conflict
from minesafe.core.models import AuditEntry
from minesafe.hazards.models import Hazard
from minesafe.testing.authz import ROLES, SEES_A
from minesafe.testing.factories import World
from minesafe.tipoffs import services
from minesafe.tipoffs.models import Tipoff, TipoffEvent
from minesafe.tipoffs.tests.authz_tipoffs import UI_ROUTES, tipoff_state

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
LINK = re.compile(r'href="/tipoffs/(\d+)/"')
_clients = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def _plenty_of_submissions(settings) -> None:
    settings.TIPOFF_SUBMIT_PER_HOUR = settings.TIPOFF_SUBMIT_PER_DAY = 10_000


def _zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _submit(world: World, *, attachments=None, **over) -> Tipoff:
    data = {"category": "major_hazard", "description": "井下-120m中段安全出口被堵塞，仍在组织生产",
            "mine": world.mine_a.pk, "anonymous": True, **over}
    return services.submit_tipoff(data=data, attachments=attachments, client=f"198.51.100.{next(_clients) % 250}"
                                  ).tipoff


def _ids(page: str) -> list[int]:
    return [int(x) for x in dict.fromkeys(LINK.findall(page))]


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _verified(world: World, *, true: bool = True, **over) -> Tipoff:
    t = services.accept(actor=world.county_leader, tipoff=_submit(world, **over))
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
    return services.verify(actor=world.county_inspector, tipoff=t, verified_true=true, findings="现场核实")


# --- the list and the export -------------------------------------------------------------------


@pytest.mark.django_db
def test_list_filters_search_sorting_and_paging(world: World) -> None:
    a = _submit(world)
    hidden = _submit(world, category="hidden_face", description="北翼有隐蔽工作面夜间生产，入口用木板遮挡")
    b = _submit(world, mine=world.mine_b.pk)
    described = _submit(world, mine="", county=world.mine_a.county_id, mine_description="岫岩北山无名小矿洞")
    services.accept(actor=world.county_leader, tipoff=hidden)
    old = timezone.now() - dt.timedelta(days=400)
    Tipoff.objects.filter(pk=described.pk).update(received_at=old, accept_due=old.date() + dt.timedelta(days=15))
    client = _client(world.province_inspector)
    url = reverse("tipoffs:list")

    assert set(_ids(_page(client.get(url)))) == {a.pk, hidden.pk, b.pk, described.pk}
    assert _ids(_page(client.get(url, {"status": "accepted"}))) == [hidden.pk]
    assert _ids(_page(client.get(url, {"category": "hidden_face"}))) == [hidden.pk]
    assert _ids(_page(client.get(url, {"division": "2109"}))) == [b.pk]
    assert set(_ids(_page(client.get(url, {"division": "210323"})))) == {a.pk, hidden.pk, described.pk}
    assert _ids(_page(client.get(url, {"division": "x'; --"}))) == []
    assert _ids(_page(client.get(url, {"overdue": "yes"}))) == [described.pk]
    today = timezone.localdate()
    assert _ids(_page(client.get(url, {"received_to": (today - dt.timedelta(days=300)).isoformat()}))) == \
        [described.pk]
    assert described.pk not in _ids(_page(client.get(url, {"received_from": today.isoformat()})))
    # search: the code as shown (with dashes, lower case), the description, the mine and the described mine
    assert _ids(_page(client.get(url, {"q": services.format_code(b.receipt_code).lower()}))) == [b.pk]
    assert _ids(_page(client.get(url, {"q": "隐蔽工作面"}))) == [hidden.pk]
    assert _ids(_page(client.get(url, {"q": world.mine_b.name}))) == [b.pk]
    assert _ids(_page(client.get(url, {"q": "北山无名"}))) == [described.pk]
    # the page shows the code, the overdue flag, the described mine and the export link with the filters
    page = _page(client.get(url, {"status": "received", "overdue": "yes"}))
    assert services.format_code(described.receipt_code) in page and _zh("Acceptance overdue") in page
    assert "岫岩北山无名小矿洞" in page
    assert reverse("tipoffs:export") + "?" in page and "overdue=yes" in page and "status=received" in page
    # sorting
    by_code = sorted([a, hidden, b, described], key=lambda t: t.receipt_code)
    assert _ids(_page(client.get(url, {"sort": "code"}))) == [t.pk for t in by_code]
    assert _ids(_page(client.get(url, {"sort": "-code"}))) == [t.pk for t in reversed(by_code)]
    assert _ids(_page(client.get(url, {"sort": "-received"})))[-1] == described.pk
    # a county sees its own reports only
    assert set(_ids(_page(_client(world.other_county_inspector).get(url)))) == {b.pk}


@pytest.mark.django_db
def test_list_pages(world: World) -> None:
    made = [_submit(world) for _i in range(27)]
    client = _client(world.county_inspector)
    first = _ids(_page(client.get(reverse("tipoffs:list"), {"sort": "received"})))
    second = _ids(_page(client.get(reverse("tipoffs:list"), {"sort": "received", "page": 2})))
    assert len(first) == 25 and len(second) == 2
    assert first + second == [t.pk for t in made]


@pytest.mark.django_db
def test_export_has_the_filtered_rows_and_never_the_identity(world: World) -> None:
    named = _submit(world, anonymous=False, name="王举报人", phone="13912345678", email="wang@example.com")
    other = _submit(world, category="hidden_face", description="=HYPERLINK(\"http://x\") 隐蔽工作面夜间生产")
    _submit(world, mine=world.mine_b.pk)
    services.accept(actor=world.county_leader, tipoff=other)
    response = _client(world.province_inspector).get(reverse("tipoffs:export"), {"division": "210323"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "回执码" in header and "举报内容" in header and len(body) == 2
    codes = {r[header.index("回执码")] for r in body}
    assert codes == {services.format_code(named.receipt_code), services.format_code(other.receipt_code)}
    cells = " ".join(str(c) for r in body for c in r if c is not None)
    for secret in ("王举报人", "13912345678", "wang@example.com"):
        assert secret not in cells
    assert "已受理" in cells and "隐蔽工作面作业" in cells  # Chinese labels whatever the UI language
    description = next(r[header.index("举报内容")] for r in body if "HYPERLINK" in str(r[header.index("举报内容")]))
    assert description.startswith("'=")  # never a formula
    filtered = _client(world.province_inspector).get(reverse("tipoffs:export"), {"status": "accepted"})
    assert len(list(load_workbook(io.BytesIO(filtered.content)).active.iter_rows())) == 2


# --- the closed loop through the pages -----------------------------------------------------------


@pytest.mark.django_db
def test_the_closed_loop_through_the_action_routes(world: World) -> None:
    t = _submit(world, attachments=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")])
    leader, inspector = _client(world.county_leader), _client(world.county_inspector)
    detail = reverse("tipoffs:detail", args=[t.pk])
    page = _page(leader.get(detail))
    for name in ("accept", "decline", "merge"):
        assert reverse(f"tipoffs:{name}", args=[t.pk]) in page
    assert reverse("tipoffs:handle", args=[t.pk]) not in page
    assert "现场.png" in page and reverse("tipoffs:attachment", args=[t.pk, t.attachments.get().pk]) in page

    response = leader.post(reverse("tipoffs:accept", args=[t.pk]), {"note": "优先核查"}, follow=True)
    assert _zh("Report accepted.") in _page(response)
    assert Tipoff.objects.get(pk=t.pk).status == "accepted"
    response = leader.post(reverse("tipoffs:assign", args=[t.pk]), {"assignee": world.county_inspector.pk})
    assert response.status_code == 302 and Tipoff.objects.get(pk=t.pk).assignee == world.county_inspector
    # only the assigned verifier or a leader records the verification: no form for the city inspector
    assert reverse("tipoffs:verify", args=[t.pk]) not in _page(_client(world.city_inspector).get(detail))
    inspector.post(reverse("tipoffs:verify", args=[t.pk]), {"verified_true": "true", "findings": "安全出口堵塞属实"})
    assert Tipoff.objects.get(pk=t.pk).verified_true is True
    response = inspector.post(reverse("tipoffs:handle", args=[t.pk]), {
        "note": "登记重大事故隐患，罚款五万元", "fine_amount": "50000", "hazard_mode": "new",
        "category_code": "metal-ug-2022.1", "description": "安全出口被堵塞", "location": "-120m中段",
        "found_on": timezone.localdate().isoformat(), "found_by": "县局核查组", "production_stop": "none"})
    assert response.status_code == 302
    t.refresh_from_db()
    hazard = Hazard.objects.get()
    assert (t.status, t.hazard, t.fine_amount, hazard.source) == ("handled", hazard, Decimal("50000"), "tip_off")
    inspector.post(reverse("tipoffs:answer", args=[t.pk]), {"text": "经核查属实，已依法处理。"})
    assert Tipoff.objects.get(pk=t.pk).status == "answered"

    # the reward form shows what the rule computes before the leader confirms; inspectors have no form
    assert reverse("tipoffs:reward", args=[t.pk]) not in _page(inspector.get(detail))
    page = _page(leader.get(detail))
    assert reverse("tipoffs:reward", args=[t.pk]) in page and "7500" in page and "15%" in page
    response = leader.post(reverse("tipoffs:reward", args=[t.pk]), {"expected": "7500", "note": ""})
    assert response.status_code == 200 and Tipoff.objects.get(pk=t.pk).status == "answered"  # not confirmed
    leader.post(reverse("tipoffs:reward", args=[t.pk]), {"expected": "7500", "confirm": "on"})
    t.refresh_from_db()
    assert (t.status, t.reward_amount, t.reward_basis) == ("reward_decided", Decimal("7500"), "fine")
    page = _page(leader.get(detail))
    assert t.reward_rule_version in page and "罚款 50,000 元 × 15% = 7,500 元" in page  # the arithmetic
    leader.post(reverse("tipoffs:payment", args=[t.pk]), {"paid_on": timezone.localdate().isoformat()})
    leader.post(reverse("tipoffs:close", args=[t.pk]))
    t.refresh_from_db()
    assert (t.status, t.reward_paid_on, t.closed_on) == ("closed", timezone.localdate(), timezone.localdate())

    page = _page(leader.get(detail))
    assert f'href="{hazard.get_absolute_url()}"' in page
    assert _zh("Verification assigned to %(who)s.") % {"who": str(world.county_inspector)} in page
    assert _zh("Found true.") in page and "经核查属实，已依法处理。" in page
    assert not any(reverse(f"tipoffs:{n}", args=[t.pk]) in page for n in ("accept", "close", "reward", "payment"))
    kinds = list(TipoffEvent.objects.filter(tipoff=t).values_list("kind", flat=True))
    assert kinds == ["received", "accepted", "assigned", "verified", "handled", "answered", "reward", "paid",
                     "closed"]


@pytest.mark.django_db
def test_errors_re_render_the_detail_page_keeping_what_was_typed(world: World) -> None:
    t = _submit(world)
    leader = _client(world.county_leader)
    response = leader.post(reverse("tipoffs:decline", args=[t.pk]), {"reason": "   "})
    page = _page(response)
    assert _zh("This field is required.") in page and 'id="action-decline"' in page
    assert Tipoff.objects.get(pk=t.pk).status == "received"

    t = _verified(world)
    inspector = _client(world.county_inspector)
    response = inspector.post(reverse("tipoffs:handle", args=[t.pk]), {
        "note": "拟登记隐患并罚款", "fine_amount": "12000", "hazard_mode": "new", "category_code": "",
        "description": "出口堵塞", "location": "北翼", "found_by": "核查组"})
    page = _page(response)
    assert _zh("This field is required.") in page
    assert "拟登记隐患并罚款" in page and 'value="12000"' in page and 'value="北翼"' in page
    assert Tipoff.objects.get(pk=t.pk).status == "verified" and not Hazard.objects.exists()
    # a hazard to link must be chosen, and must be of this mine
    page = _page(inspector.post(reverse("tipoffs:handle", args=[t.pk]), {"note": "关联隐患", "hazard_mode": "link"}))
    assert _zh("Select a hazard of this mine.") in page and "关联隐患" in page
    # a typed value that is not a number
    page = _page(inspector.post(reverse("tipoffs:handle", args=[t.pk]), {"note": "罚款", "fine_amount": "五万"}))
    assert 'value="五万"' in page and Tipoff.objects.get(pk=t.pk).status == "verified"

    # an action the status no longer allows: the refusal is shown on the page, nothing changes
    before = tipoff_state()
    page = _page(_client(world.county_leader).post(reverse("tipoffs:accept", args=[t.pk]), {"note": "再次受理"}))
    assert "再次受理" in page and 'class="nonfield"' in page and tipoff_state() == before


@pytest.mark.django_db
def test_a_conflict_is_reported_as_a_message(world: World, monkeypatch) -> None:
    t = _submit(world)

    def conflict(**_kw):
        raise Conflict(_zh("The report was changed by someone else; reload and try again."))

    monkeypatch.setattr(services, "accept", conflict)
    response = _client(world.county_leader).post(reverse("tipoffs:accept", args=[t.pk]), follow=True)
    assert _zh("The report was changed by someone else; reload and try again.") in _page(response)


@pytest.mark.django_db
def test_decline_then_answer_prefilled_with_the_reason(world: World) -> None:
    t = _submit(world)
    leader = _client(world.county_leader)
    leader.post(reverse("tipoffs:decline", args=[t.pk]), {"reason": "不属于矿山安全监管范围，已转交市场监管部门"})
    page = _page(leader.get(reverse("tipoffs:detail", args=[t.pk])))
    assert re.search(r'<textarea name="text"[^>]*>\s*不属于矿山安全监管范围，已转交市场监管部门</textarea>', page)
    leader.post(reverse("tipoffs:answer", args=[t.pk]), {"text": "不属于矿山安全监管范围，已转交市场监管部门。"})
    leader.post(reverse("tipoffs:close", args=[t.pk]))
    assert Tipoff.objects.get(pk=t.pk).status == "closed"


@pytest.mark.django_db
def test_verified_false_is_answered_and_closed(world: World) -> None:
    t = _verified(world, true=False)
    leader = _client(world.county_leader)
    page = _page(leader.get(reverse("tipoffs:detail", args=[t.pk])))
    assert reverse("tipoffs:handle", args=[t.pk]) not in page and reverse("tipoffs:answer", args=[t.pk]) in page
    leader.post(reverse("tipoffs:answer", args=[t.pk]), {"text": "经核查，反映问题不属实。"})
    page = _page(leader.get(reverse("tipoffs:detail", args=[t.pk])))
    assert reverse("tipoffs:reward", args=[t.pk]) not in page
    leader.post(reverse("tipoffs:close", args=[t.pk]))
    assert Tipoff.objects.get(pk=t.pk).status == "closed"


@pytest.mark.django_db
def test_identify_the_described_mine_from_the_county_list(world: World) -> None:
    t = _submit(world, mine="", county=world.mine_a.county_id, mine_description="岫岩北山一个矿")
    inspector = _client(world.county_inspector)
    page = _page(inspector.get(reverse("tipoffs:detail", args=[t.pk])))
    assert reverse("tipoffs:identify", args=[t.pk]) in page
    assert world.mine_a.name in page and world.mine_b.name not in page  # only the county's mines
    page = _page(inspector.post(reverse("tipoffs:identify", args=[t.pk]), {"mine": world.mine_b.pk}))
    assert Tipoff.objects.get(pk=t.pk).mine_id is None and 'id="action-identify"' in page
    response = inspector.post(reverse("tipoffs:identify", args=[t.pk]), {"mine": world.mine_a.pk})
    assert response.status_code == 302 and Tipoff.objects.get(pk=t.pk).mine == world.mine_a
    assert reverse("tipoffs:identify", args=[t.pk]) not in _page(inspector.get(reverse("tipoffs:detail",
                                                                                        args=[t.pk])))


@pytest.mark.django_db
def test_link_an_existing_hazard_and_concealed_accident_fields(world: World) -> None:
    from minesafe.hazards import services as hazard_services

    hazard = hazard_services.register_hazard(actor=world.county_inspector, mine=world.mine_a, data={
        "source": "inspection", "category_code": "metal-ug-2022.1", "description": "安全出口不符合要求",
        "location": "-120m", "found_on": timezone.localdate(), "found_by": "检查组"})
    t = _verified(world)
    inspector = _client(world.county_inspector)
    page = _page(inspector.get(reverse("tipoffs:detail", args=[t.pk])))
    assert 'name="concealed_deaths"' not in page and f'value="{hazard.pk}"' in page
    inspector.post(reverse("tipoffs:handle", args=[t.pk]), {"note": "已有隐患", "hazard_mode": "link",
                                                           "hazard": hazard.pk})
    assert Tipoff.objects.get(pk=t.pk).hazard == hazard

    c = _verified(world, category="concealed_accident", description="上月井下冒顶死亡2人，企业未上报")
    page = _page(inspector.get(reverse("tipoffs:detail", args=[c.pk])))
    assert 'name="concealed_deaths"' in page and 'name="accident_grade"' in page
    page = _page(inspector.post(reverse("tipoffs:handle", args=[c.pk]), {"note": "移交", "concealed_deaths": "2"}))
    assert _zh("Give the grade of the concealed accident.") in page and 'value="2"' in page
    inspector.post(reverse("tipoffs:handle", args=[c.pk]), {"note": "移交", "concealed_deaths": "2",
                                                           "accident_grade": "larger"})
    inspector.post(reverse("tipoffs:answer", args=[c.pk]), {"text": "属实"})
    page = _page(_client(world.county_leader).get(reverse("tipoffs:detail", args=[c.pk])))
    assert "80000" in page  # 2 × 40,000 yuan for a larger accident


@pytest.mark.django_db
def test_merge_by_receipt_code(world: World) -> None:
    first, later = _submit(world), _submit(world)
    leader = _client(world.county_leader)
    page = _page(leader.post(reverse("tipoffs:merge", args=[later.pk]), {"primary": "JB-XXXXX-XXXXX"}))
    assert _zh("No report with this receipt code or number in your jurisdiction.") in page
    assert 'value="JB-XXXXX-XXXXX"' in page
    response = leader.post(reverse("tipoffs:merge", args=[later.pk]),
                           {"primary": services.format_code(first.receipt_code).lower(), "note": "同一事项"})
    assert response.status_code == 302
    later.refresh_from_db()
    assert (later.status, later.merged_into) == ("merged", first)
    page = _page(leader.get(reverse("tipoffs:detail", args=[first.pk])))
    assert services.format_code(later.receipt_code) in page
    page = _page(leader.get(reverse("tipoffs:detail", args=[later.pk])))
    assert services.format_code(first.receipt_code) in page


@pytest.mark.django_db
def test_extension_only_by_an_upper_level_leader(world: World) -> None:
    t = services.accept(actor=world.county_leader, tipoff=_submit(world))
    detail = reverse("tipoffs:detail", args=[t.pk])
    url = reverse("tipoffs:extend", args=[t.pk])
    assert url not in _page(_client(world.county_leader).get(detail))
    assert url in _page(_client(world.city_leader).get(detail))
    before = tipoff_state()
    assert _client(world.county_leader).post(url, {"days": 10, "reason": "需技术鉴定"}).status_code == 403
    assert _client(world.county_inspector).post(url, {"days": 10, "reason": "需技术鉴定"}).status_code == 403
    assert tipoff_state() == before
    page = _page(_client(world.city_leader).post(url, {"days": 40, "reason": "需技术鉴定"}))
    assert 'value="40"' in page and Tipoff.objects.get(pk=t.pk).extension_days == 0
    assert _client(world.city_leader).post(url, {"days": 20, "reason": "需技术鉴定"}).status_code == 302
    assert Tipoff.objects.get(pk=t.pk).extension_days == 20


# --- identity, files and scope ----------------------------------------------------------------------


@pytest.mark.django_db
def test_reveal_is_audited_and_refused_to_inspectors(world: World) -> None:
    t = _submit(world, anonymous=False, name="王举报人", phone="13912345678")
    url = reverse("tipoffs:reveal", args=[t.pk])
    detail = _page(_client(world.county_inspector).get(reverse("tipoffs:detail", args=[t.pk])))
    assert url not in detail and "王举报人" not in detail and "13912345678" not in detail
    before = tipoff_state()
    assert _client(world.county_inspector).post(url).status_code == 403
    assert tipoff_state() == before and not AuditEntry.objects.filter(action="tipoffs.reporter.reveal").exists()
    leader = _client(world.county_leader)
    assert url in _page(leader.get(reverse("tipoffs:detail", args=[t.pk])))
    assert leader.get(url).status_code == 405  # only on a POST
    response = leader.post(url)
    page = _page(response)
    assert "王举报人" in page and "13912345678" in page and response["Cache-Control"] == "no-store"
    notice = "This reveal has been recorded in the audit log and on the report's internal timeline. Protect the " \
        "reporter: do not pass these details on."
    assert _zh(notice)[:10] in page
    entry = AuditEntry.objects.get(action="tipoffs.reporter.reveal")
    assert entry.actor_id == world.county_leader.pk
    assert TipoffEvent.objects.filter(tipoff=t, kind="revealed", actor=world.county_leader).exists()
    assert _client(world.other_county_inspector).post(url).status_code == 403


@pytest.mark.django_db
def test_attachment_download_is_scoped(world: World) -> None:
    t = _submit(world, attachments=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")])
    b = _submit(world, mine=world.mine_b.pk, attachments=[SimpleUploadedFile("b.png", PNG, content_type="image/png")])
    att, att_b = t.attachments.get(), b.attachments.get()
    response = _client(world.county_inspector).get(reverse("tipoffs:attachment", args=[t.pk, att.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert "attachment" in response["Content-Disposition"]
    assert _client(world.other_county_inspector).get(reverse("tipoffs:attachment", args=[t.pk, att.pk])
                                                     ).status_code == 404
    # a file of another report through this report's URL
    assert _client(world.province_leader).get(reverse("tipoffs:attachment", args=[t.pk, att_b.pk])
                                              ).status_code == 404
    assert _client(world.ent_principal).get(reverse("tipoffs:attachment", args=[t.pk, att.pk])).status_code == 403


def _url(name: str, t: Tipoff) -> str:
    if name == "tipoffs:attachment":
        return reverse(name, args=[t.pk, t.attachments.get().pk])
    if UI_ROUTES[name].obj is None:
        return reverse(name)
    return reverse(name, args=[t.pk])


@pytest.mark.django_db
def test_enterprises_and_admins_get_403_on_every_page(world: World) -> None:
    t = _submit(world, attachments=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")])
    payload = {"note": "x", "reason": "x", "text": "x", "days": "5", "confirm": "on", "paid_on": "2024-01-01",
               "verified_true": "true", "findings": "x", "primary": t.receipt_code}
    before = tipoff_state()
    for user in (world.ent_principal, world.ent_safety, world.sys_admin, world.audit_admin):
        client = _client(user)
        for name, route in UI_ROUTES.items():
            url = _url(name, t)
            response = client.post(url, payload) if route.method == "POST" else client.get(url)
            assert response.status_code == 403, (user.username, name, response.status_code)
            assert t.receipt_code[2:].encode() not in response.content
    assert tipoff_state() == before
    assert reverse("tipoffs:list") not in _page(_client(world.ent_principal).get(reverse("home"), follow=True))


@pytest.mark.django_db
def test_another_county_gets_404_and_changes_nothing(world: World) -> None:
    t = _submit(world, attachments=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")])
    client = _client(world.other_county_inspector)
    before = tipoff_state()
    for name, route in UI_ROUTES.items():
        if route.obj is None or "other_county_inspector" not in route.allowed:
            continue
        url = _url(name, t)
        response = client.post(url, {"note": "x", "reason": "x"}) if route.method == "POST" else client.get(url)
        assert response.status_code == 404, (name, response.status_code)
    assert tipoff_state() == before
    assert Tipoff.objects.get(pk=t.pk).status == "received"


@pytest.mark.django_db
def test_refused_posts_change_nothing_for_any_role(world: World) -> None:
    """The matrix (core/tests/test_authz_matrix.py) checks the status codes; this checks the reports,
    their timelines and the audit log are untouched by every refused POST, whatever is posted."""
    t = _submit(world, anonymous=False, name="王举报人")
    payload = {"note": "x", "reason": "x", "text": "x", "days": "5", "confirm": "on", "verified_true": "true",
               "findings": "x", "assignee": world.county_inspector.pk, "mine": world.mine_a.pk,
               "paid_on": timezone.localdate().isoformat(), "primary": t.receipt_code}
    users = world.roles()
    for name, route in UI_ROUTES.items():
        if route.method != "POST":
            continue
        for role in ROLES:
            refused = role not in route.allowed or role not in SEES_A
            if not refused:
                continue
            client = Client()
            if role != "anonymous":
                client.force_login(users[role])
            before = tipoff_state()
            response = client.post(reverse(name, args=[t.pk]), payload)
            expected = 302 if role == "anonymous" else 403 if role not in route.allowed else 404
            assert response.status_code == expected, (name, role, response.status_code)
            assert tipoff_state() == before, (name, role)
