"""Monitoring pages: the overview, the alarm list (filters, grouping, sorting, paging, xlsx export),
the alarm detail with its chart and timeline, every handling action through its route (field errors
re-rendered with the typed values kept, refusals changing nothing), the live panel and its JSON, the
map, the falsification flags and their decision; scoping for every role (other county 404, enterprise
own mines only, admins 403) and bounded query counts."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from minesafe.core.models import AuditEntry
from minesafe.hazards.models import Hazard
from minesafe.monitoring import alarms
from minesafe.monitoring.choices import AlarmKind, Severity
from minesafe.monitoring.models import AlarmComment, FalsificationFlag
from minesafe.monitoring.tests.authz_alarms import alarm_state, make_alarm, make_flag, make_sensor, put_minutes
from minesafe.registry.models import Mine
from minesafe.testing import factories
from minesafe.testing.authz import ADMINS, BUSINESS, ROLES
from minesafe.testing.factories import World

ALARM_LINK = re.compile(r'href="/monitoring/alarms/(\d+)/"')


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _ids(page: str) -> list[int]:
    return [int(x) for x in dict.fromkeys(ALARM_LINK.findall(page))]


@pytest.fixture
def scene(world: World) -> dict:
    """Alarms at both mines: active, ended, acknowledged, assigned, cleared; a mine-level one."""
    now = timezone.now()
    sa, sb = make_sensor(world.mine_a, code="A-CH4"), make_sensor(world.mine_b, code="B-CH4")
    sa2 = make_sensor(world.mine_a, code="A-CO", kind="co", location="face_return", alarm_high=24.0, unit="ppm")
    return {
        "sa": sa, "sb": sb, "sa2": sa2,
        "cut": make_alarm(world.mine_a, sensor=sa, kind="power_cut", severity=3, started=now - dt.timedelta(hours=1),
                          peak_value=1.71, threshold=1.5),
        "high": make_alarm(world.mine_a, sensor=sa2, kind="high", severity=2, started=now - dt.timedelta(hours=2),
                           acknowledged_by=world.county_inspector, acknowledged_at=now,
                           assigned_to=world.ent_safety, peak_value=31.0, threshold=24.0),
        "old": make_alarm(world.mine_a, sensor=sa, kind="high", severity=2, started=now - dt.timedelta(days=3),
                          ended=now - dt.timedelta(days=3, hours=-1)),
        "loss": make_alarm(world.mine_a, kind="comm_loss", severity=2, started=now - dt.timedelta(minutes=30)),
        "b": make_alarm(world.mine_b, sensor=sb, kind="high", severity=2, started=now - dt.timedelta(minutes=10)),
    }


# --- nav and overview --------------------------------------------------------------------------


@pytest.mark.django_db
def test_nav_entry_for_business_roles_only(world: World) -> None:
    link = f'href="{reverse("monitoring:overview")}"'
    for role, user in world.roles().items():
        page = _client(user).get("/accounts/password/").content.decode()
        assert (link in page) == (role in BUSINESS), role


@pytest.mark.django_db
def test_overview_counts_in_scope(world: World, scene: dict) -> None:
    page = _page(_client(world.county_inspector).get(reverse("monitoring:overview")))
    assert re.search(r'id="kpi-severity-3"[^>]*><div class="n">1<', page)
    assert re.search(r'id="kpi-severity-2"[^>]*><div class="n">2<', page)  # cleared/ended not counted
    assert re.search(r'id="kpi-mines"[^>]*><div class="n">1<', page)
    assert "?state=active&amp;kind=power_cut&amp;severity=3" in page
    assert world.mine_b.name not in page
    other = _page(_client(world.other_county_inspector).get(reverse("monitoring:overview")))
    assert re.search(r'id="kpi-severity-3"[^>]*><div class="n">0<', other) and world.mine_b.name in other
    province = _page(_client(world.province_leader).get(reverse("monitoring:overview")))
    assert re.search(r'id="kpi-severity-2"[^>]*><div class="n">3<', province)
    assert re.search(r'id="kpi-mines"[^>]*><div class="n">2<', province)
    for admin in ADMINS:
        assert _client(world.roles()[admin]).get(reverse("monitoring:overview")).status_code == 403
    assert Client().get(reverse("monitoring:overview")).status_code == 302


# --- the list -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_filters_and_scope(world: World, scene: dict) -> None:
    s = scene
    url = reverse("monitoring:alarm_list")
    county = _client(world.county_inspector)
    assert set(_ids(_page(county.get(url)))) == {s["cut"].pk, s["high"].pk, s["old"].pk, s["loss"].pk}
    assert set(_ids(_page(county.get(url, {"state": "active"})))) == {s["cut"].pk, s["high"].pk, s["loss"].pk}
    assert _ids(_page(county.get(url, {"state": "ended"}))) == [s["old"].pk]
    assert _ids(_page(county.get(url, {"severity": "3"}))) == [s["cut"].pk]
    assert _ids(_page(county.get(url, {"kind": "comm_loss"}))) == [s["loss"].pk]
    assert set(_ids(_page(county.get(url, {"ack": "no"})))) == {s["cut"].pk, s["old"].pk, s["loss"].pk}
    assert _ids(_page(county.get(url, {"ack": "yes"}))) == [s["high"].pk]
    assert _ids(_page(county.get(url, {"q": "A-CO"}))) == [s["high"].pk]
    today = timezone.localdate()
    assert s["old"].pk not in _ids(_page(county.get(url, {"from": today.isoformat()})))
    assert _ids(_page(county.get(url, {"to": (today - dt.timedelta(days=2)).isoformat()}))) == [s["old"].pk]
    assert _ids(_page(county.get(url, {"mine": world.mine_b.pk}))) == []  # other county's mine: nothing
    assert _ids(_page(county.get(url, {"severity": "x'--", "mine": "9" * 30}))) == []
    assert _ids(_page(_client(world.ent_safety).get(url, {"assigned": "me"}))) == [s["high"].pk]
    # sorting
    assert _ids(_page(county.get(url, {"sort": "started"})))[0] == s["old"].pk
    assert _ids(_page(county.get(url, {"sort": "-severity"})))[0] == s["cut"].pk
    # scope: enterprises see their own mines, the other county its own
    assert set(_ids(_page(_client(world.ent_principal).get(url)))) == {s["cut"].pk, s["high"].pk, s["old"].pk,
                                                                       s["loss"].pk}
    assert _ids(_page(_client(world.other_ent_principal).get(url))) == [s["b"].pk]
    assert _ids(_page(_client(world.other_county_inspector).get(url))) == [s["b"].pk]
    assert len(_ids(_page(_client(world.province_inspector).get(url)))) == 5


@pytest.mark.django_db
def test_list_grouped_by_mine_and_paged(world: World, scene: dict) -> None:
    url = reverse("monitoring:alarm_list")
    page = _page(_client(world.province_leader).get(url, {"group": "mine", "state": "active"}))
    rows = re.findall(r'<tr data-mine="(\d+)">(.*?)</tr>', page, re.S)
    assert [int(pk) for pk, _row in rows] == [world.mine_a.pk, world.mine_b.pk]  # most severe first
    first = rows[0][1]
    assert 'class="badge red">3<' in first  # three active, the worst critical
    assert f"mine={world.mine_a.pk}" in first and "group=mine" not in first.split("href=")[1].split(">")[0]
    assert 'id="group-toggle"' in page
    for i in range(30):
        make_alarm(world.mine_a, sensor=scene["sa2"], kind="low", severity=2,
                   started=timezone.now() - dt.timedelta(days=10, minutes=i),
                   ended=timezone.now() - dt.timedelta(days=9))
    client = _client(world.county_inspector)
    first_page = _ids(_page(client.get(url, {"sort": "started"})))
    second_page = _ids(_page(client.get(url, {"sort": "started", "page": 2})))
    assert len(first_page) == 25 and len(second_page) == 9 and not set(first_page) & set(second_page)


@pytest.mark.django_db
def test_export_has_the_filtered_rows_in_chinese(world: World, scene: dict) -> None:
    AlarmComment.objects.create(alarm=scene["cut"], author=world.county_inspector, text="=cmd|' /C calc'!A0")
    response = _client(world.county_leader).get(reverse("monitoring:alarm_export"), {"state": "active"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:3] == ("编号", "区县", "矿山名称") and "报警类型" in header
    assert {r[0] for r in body} == {scene["cut"].pk, scene["high"].pk, scene["loss"].pk}
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    with translation.override("zh-hans"):
        assert by_id[scene["cut"].pk]["级别"] == str(Severity.CRITICAL.label)
        assert by_id[scene["cut"].pk]["报警类型"] == str(AlarmKind.POWER_CUT.label)
    assert by_id[scene["high"].pk]["指派给"] == str(world.ent_safety)
    assert by_id[scene["loss"].pk]["测点编码"] in ("", None)
    other = _client(world.other_county_inspector).get(reverse("monitoring:alarm_export"))
    ids = [r[0] for r in list(load_workbook(io.BytesIO(other.content)).active.iter_rows(values_only=True))[1:]]
    assert ids == [scene["b"].pk]


# --- detail and actions ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_shows_chart_with_thresholds_and_scope(world: World, scene: dict) -> None:
    put_minutes(scene["sa"], [0.4] * 40 + [1.7] * 40)
    url = reverse("monitoring:alarm_detail", args=[scene["cut"].pk])
    page = _page(_client(world.county_inspector).get(url))
    assert '<svg class="chart sensor-chart"' in page
    for kind in ("cut_high", "alarm_high", "restore_high"):
        assert f'data-kind="{kind}"' in page
    assert '<g class="spans"><rect' in page  # the episode is shaded
    assert 'id="action-ack"' in page and 'id="action-assign"' in page and 'id="action-comment"' in page
    assert 'id="action-clear"' not in page  # still active: cleared once it has ended
    assert 'id="action-confirm"' not in page  # a power cut is no hazard-ledger candidate by itself
    assert _client(world.ent_principal).get(url).status_code == 200
    assert 'id="action-confirm"' not in _page(_client(world.ent_principal).get(url))
    for role in ("other_county_inspector", "other_ent_principal"):
        assert _client(world.roles()[role]).get(url).status_code == 404
    assert _client(world.sys_admin).get(url).status_code == 403
    loss = _page(_client(world.county_inspector).get(reverse("monitoring:alarm_detail", args=[scene["loss"].pk])))
    assert "sensor-chart" not in loss and 'id="action-clear"' in loss  # no-data alarms may be cleared while open
    assert _client(world.county_inspector).get(reverse("monitoring:alarm_detail", args=[10**20])).status_code == 404


@pytest.mark.django_db
def test_handling_through_the_pages(world: World, scene: dict) -> None:
    alarm = scene["old"]  # ended
    client = _client(world.county_inspector)

    response = client.post(reverse("monitoring:alarm_ack", args=[alarm.pk]), {"note": "调度员已到岗核实"})
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:alarm_detail", args=[alarm.pk])
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == world.county_inspector and alarm.acknowledged_at is not None

    response = client.post(reverse("monitoring:alarm_assign", args=[alarm.pk]), {"assignee": world.ent_safety.pk})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.assigned_to == world.ent_safety

    client.post(reverse("monitoring:alarm_comment", args=[alarm.pk]), {"text": "已通知矿方检查传感器"})
    response = client.post(reverse("monitoring:alarm_clear", args=[alarm.pk]), {"note": "风筒脱节已修复"})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.cleared_by == world.county_inspector

    page = _page(client.get(reverse("monitoring:alarm_detail", args=[alarm.pk])))
    timeline = page.split('id="timeline"')[1].split("</table>")[0]
    for text in ("调度员已到岗核实", "已通知矿方检查传感器", "风筒脱节已修复", str(world.ent_safety)):
        assert text in timeline
    assert timeline.count("调度员已到岗核实") == 1  # the note is shown once (as the comment)
    assert 'id="action-ack"' not in page and 'id="action-clear"' not in page and 'id="action-assign"' not in page
    actions = set(AuditEntry.objects.filter(object_type="monitoring.alarm", object_id=str(alarm.pk))
                  .values_list("action", flat=True))
    assert actions == {"monitoring.alarm.acknowledge", "monitoring.alarm.assign", "monitoring.alarm.comment",
                       "monitoring.alarm.clear"}


@pytest.mark.django_db
def test_refused_actions_show_errors_and_keep_input(world: World, scene: dict) -> None:
    client = _client(world.county_inspector)
    cut = scene["cut"]
    before = alarm_state()
    # still active: the service refuses the clear; the page shows why and keeps the note
    page = _page(client.post(reverse("monitoring:alarm_clear", args=[cut.pk]), {"note": "我写的处理说明"}))
    assert 'class="nonfield"' in page and "我写的处理说明" in page
    # an empty comment is a field error
    page = _page(client.post(reverse("monitoring:alarm_comment", args=[cut.pk]), {"text": "  "}))
    assert 'id="action-comment"' in page and "errorlist" in page.split('id="action-comment"')[1]
    # someone who cannot see the mine is not a choice
    page = _page(client.post(reverse("monitoring:alarm_assign", args=[cut.pk]),
                             {"assignee": world.other_county_inspector.pk}))
    assert "errorlist" in page.split('id="action-assign"')[1]
    # acknowledging twice
    page = _page(client.post(reverse("monitoring:alarm_ack", args=[scene["high"].pk]), {"note": "再次确认"}))
    assert 'class="nonfield"' in page and "再次确认" in page
    assert alarm_state() == before


@pytest.mark.django_db
def test_refused_requests_change_nothing(world: World, scene: dict) -> None:
    cut, b = scene["cut"], scene["b"]
    posts = [
        (world.other_county_inspector, "monitoring:alarm_ack", cut.pk, {"note": "x"}, 404),
        (world.other_ent_principal, "monitoring:alarm_comment", cut.pk, {"text": "x"}, 404),
        (world.ent_principal, "monitoring:alarm_assign", b.pk, {"assignee": world.ent_principal.pk}, 404),
        (world.ent_principal, "monitoring:alarm_confirm", cut.pk, {"description": "x"}, 403),
        (world.sys_admin, "monitoring:alarm_ack", cut.pk, {}, 403),
        (world.county_inspector, "monitoring:alarm_ack", b.pk, {}, 404),
    ]
    for user, name, pk, data, status in posts:
        before = alarm_state()
        assert _client(user).post(reverse(name, args=[pk]), data).status_code == status, (user, name)
        assert alarm_state() == before, (user, name)
    before = alarm_state()
    assert Client().post(reverse("monitoring:alarm_ack", args=[cut.pk])).status_code == 302
    assert _client(world.county_inspector).get(reverse("monitoring:alarm_ack", args=[cut.pk])).status_code == 405
    assert alarm_state() == before


def _coal_mine(world: World) -> Mine:
    return factories.mine(world.province_leader, world.ent_a, name="岫岩丙煤矿", sector="coal", gas_grade="high",
                         hydrogeology="medium", spontaneous_combustion="prone")


@pytest.mark.django_db
def test_gas_work_is_confirmed_into_the_hazard_ledger_by_a_regulator(world: World) -> None:
    """瓦斯超限作业 (煤矿重大事故隐患判定标准 第五条; DOMAIN §2.1) → a regulator confirms it as a major hazard."""
    coal = _coal_mine(world)
    ch4 = make_sensor(coal, code="T1")
    alarm = make_alarm(coal, sensor=ch4, kind="gas_work", severity=3, peak_value=1.8, threshold=1.5)
    url = reverse("monitoring:alarm_detail", args=[alarm.pk])
    assert 'id="action-confirm"' not in _page(_client(world.ent_principal).get(url))
    page = _page(_client(world.county_leader).get(url))
    form = page.split('id="action-confirm"')[1].split("</form>")[0]
    proposal = alarms.hazard_defaults(alarm)  # the standard in force today: its 瓦斯超限作业 category
    assert proposal["category_code"] and proposal["item_code"]
    assert f'value="{proposal["category_code"]}" selected>' in form and "瓦斯超限作业" in form
    assert f'value="{proposal["item_code"]}" selected>' in form
    response = _client(world.county_leader).post(reverse("monitoring:alarm_confirm", args=[alarm.pk]), {
        "category_code": proposal["category_code"], "item_code": proposal["item_code"],
        "description": "T1 甲烷 1.8% 仍在作业",
        "location": "3105 采煤工作面", "found_on": timezone.localdate().isoformat(), "found_by": "县应急局监控中心",
        "production_stop": "none"})
    assert response.status_code == 302
    alarm.refresh_from_db()
    hazard = Hazard.objects.get(pk=alarm.hazard_id)
    assert hazard.mine == coal and hazard.description == "T1 甲烷 1.8% 仍在作业"
    assert (hazard.category_code, hazard.source) == (proposal["category_code"], "monitoring")
    page = _page(_client(world.county_leader).get(url))
    assert hazard.get_absolute_url() in page and 'id="action-confirm"' not in page
    # a second confirmation is refused on the page (no second hazard)
    again = _client(world.county_leader).post(reverse("monitoring:alarm_confirm", args=[alarm.pk]), {})
    assert again.status_code == 200 and Hazard.objects.filter(mine=coal).count() == 1


@pytest.mark.django_db
def test_confirm_form_errors_keep_what_was_typed(world: World) -> None:
    coal = _coal_mine(world)
    alarm = make_alarm(coal, kind="hidden_operation", severity=3, peak_value=None, threshold=None)
    page = _page(_client(world.county_inspector).post(reverse("monitoring:alarm_confirm", args=[alarm.pk]), {
        "category_code": "no-such-category", "description": "夜间井下有人员定位信号", "location": "主井"}))
    form = page.split('id="action-confirm"')[1].split("</form>")[0]
    assert "errorlist" in form and "夜间井下有人员定位信号" in form and 'value="主井"' in form
    alarm.refresh_from_db()
    assert alarm.hazard_id is None and not Hazard.objects.filter(mine=coal).exists()


# --- live panel -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_panel_draws_each_sensor_with_thresholds_and_polls_json(world: World, scene: dict) -> None:
    put_minutes(scene["sa"], [0.3] * 100 + [1.7] * 20)
    url = reverse("monitoring:mine_panel", args=[world.mine_a.pk])
    page = _page(_client(world.ent_safety).get(url))
    assert page.count('<svg class="chart sensor-chart"') == 2
    assert f'data-sensor="{scene["sa"].pk}"' in page and f'data-sensor="{scene["sa2"].pk}"' in page
    card = page.split(f'id="sensor-{scene["sa"].pk}"')[1].split("</svg>")[0]
    assert 'data-kind="cut_high"' in card and 'data-kind="alarm_high"' in card and 'class="badge red"' in card
    co_card = page.split(f'id="sensor-{scene["sa2"].pk}"')[1].split("</svg>")[0]
    assert 'data-kind="alarm_high"' in co_card and 'data-kind="cut_high"' not in co_card
    assert "js/monitoring-panel.js" in page and "data.json?hours=6" in page
    alarms_table = page.split('id="panel-alarms"')[1].split("</tbody>")[0]
    assert f"/monitoring/alarms/{scene['cut'].pk}/" in alarms_table
    assert f"/monitoring/alarms/{scene['b'].pk}/" not in page
    assert "data.json?hours=12" in _page(_client(world.ent_safety).get(url, {"hours": "12"}))
    assert "data.json?hours=6" in _page(_client(world.ent_safety).get(url, {"hours": "lots"}))

    data_url = reverse("monitoring:mine_panel_data", args=[world.mine_a.pk])
    response = _client(world.county_inspector).get(data_url, {"hours": "3"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert set(data) == {"mine", "hours", "start", "end", "generated_at", "generated_label", "sensors", "alarms",
                         "counts"}
    assert data["hours"] == 3
    sensor = next(s for s in data["sensors"] if s["id"] == scene["sa"].pk)
    assert set(sensor) == {"id", "code", "kind", "kind_label", "location_label", "place", "unit", "thresholds",
                           "last", "level", "level_label", "colour", "n_points", "chart"}
    assert sensor["n_points"] == 120 and sensor["last"]["value"] == pytest.approx(1.7)
    assert set(sensor["chart"]) >= {"width", "height", "line", "band", "thresholds", "y_ticks", "x_ticks", "spans"}
    assert {a["id"] for a in data["alarms"]} == {scene["cut"].pk, scene["high"].pk, scene["loss"].pk}
    assert set(data["alarms"][0]) >= {"id", "kind", "kind_label", "severity", "severity_label", "colour",
                                      "started_label", "acknowledged", "assigned_to", "url"}
    for role in ("other_county_inspector", "other_ent_principal"):
        client = _client(world.roles()[role])
        assert client.get(url).status_code == 404 and client.get(data_url).status_code == 404
    assert _client(world.audit_admin).get(data_url).status_code == 403


# --- map ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_map_colours_and_table_fallback(world: World, scene: dict) -> None:
    Mine.objects.filter(pk=world.mine_a.pk).update(latitude=40.29, longitude=123.28)
    Mine.objects.filter(pk=world.mine_b.pk).update(latitude=42.01, longitude=121.66)
    hidden = factories.mine(world.province_leader, world.ent_a, name="无坐标矿")
    page = _page(_client(world.province_inspector).get(reverse("monitoring:map")))
    by_mine = {int(pk): fill for fill, pk in re.findall(r'<circle [^>]*fill="(#[0-9a-f]+)"[^>]*data-mine="(\d+)"',
                                                         page)}
    assert by_mine == {world.mine_a.pk: "#d64545", world.mine_b.pk: "#dd6b20"}
    table = page.split('id="map-table"')[1]
    assert f'data-mine="{hidden.pk}" data-level="0"' in table and "无坐标矿" in table
    assert f'data-mine="{world.mine_a.pk}" data-level="3"' in table
    assert 'id="map-legend"' in page
    county = _page(_client(world.county_inspector).get(reverse("monitoring:map")))
    assert world.mine_b.name not in county and world.mine_a.name in county
    assert _client(world.sec_admin).get(reverse("monitoring:map")).status_code == 403


# --- flags ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_flags_list_detail_and_decision(world: World, scene: dict) -> None:
    put_minutes(scene["sa"], [0.12] * 200, end=timezone.now() - dt.timedelta(minutes=30))
    flat = make_flag(world.mine_a, sensor=scene["sa"])
    clipped = make_flag(world.mine_a, sensor=scene["sa"], pattern="clipped",
                        explanation="读数长期停在 0.98%，刚好低于报警值 1.0%", evidence={"ceiling": 0.98})
    other = make_flag(world.mine_b, sensor=scene["sb"])
    url = reverse("monitoring:flag_list")
    county = _client(world.county_leader)
    page = _page(county.get(url))
    assert f'data-flag="{flat.pk}"' in page and f'data-flag="{clipped.pk}"' in page
    assert f'data-flag="{other.pk}"' not in page
    page = _page(county.get(url, {"pattern": "clipped"}))
    assert f'data-flag="{clipped.pk}"' in page and f'data-flag="{flat.pk}"' not in page

    detail = reverse("monitoring:flag_detail", args=[flat.pk])
    page = _page(county.get(detail))
    assert "方差为 0" in page and '<svg class="chart sensor-chart"' in page and 'id="action-decide"' in page
    assert '<g class="spans"><rect' in page and "0.12" in page.split('id="evidence"')[1]
    enterprise = _page(_client(world.ent_principal).get(detail))
    assert "方差为 0" in enterprise and 'id="action-decide"' not in enterprise
    assert _client(world.other_county_inspector).get(detail).status_code == 404

    before = alarm_state()
    assert _client(world.ent_principal).post(reverse("monitoring:flag_decide", args=[flat.pk]),
                                             {"decision": "dismiss", "note": "x"}).status_code == 403
    page = _page(county.post(reverse("monitoring:flag_decide", args=[flat.pk]), {"decision": "confirm", "note": ""}))
    assert "errorlist" in page.split('id="action-decide"')[1]
    assert alarm_state() == before
    response = county.post(reverse("monitoring:flag_decide", args=[flat.pk]),
                           {"decision": "confirm", "note": "现场发现传感器探头被塑料袋包裹"})
    assert response.status_code == 302
    flat.refresh_from_db()
    assert flat.status == "confirmed" and flat.decided_by == world.county_leader
    page = _page(county.get(detail))
    assert "现场发现传感器探头被塑料袋包裹" in page and 'id="action-decide"' not in page
    again = _page(county.post(reverse("monitoring:flag_decide", args=[flat.pk]), {"decision": "dismiss",
                                                                                   "note": "改判"}))
    assert 'class="nonfield"' in again
    assert FalsificationFlag.objects.get(pk=flat.pk).status == "confirmed"


# --- query budgets ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_stay_within_a_query_budget(world: World, scene: dict) -> None:
    client = _client(world.province_leader)
    make_flag(world.mine_a, sensor=scene["sa"])
    pages = [reverse("monitoring:overview"), reverse("monitoring:alarm_list"),
             reverse("monitoring:alarm_list") + "?group=mine", reverse("monitoring:map"),
             reverse("monitoring:flag_list"), reverse("monitoring:mine_panel", args=[world.mine_a.pk]),
             reverse("monitoring:alarm_detail", args=[scene["high"].pk])]

    def counts() -> list[int]:
        out = []
        for url in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200, url
            out.append(len(ctx.captured_queries))
        return out

    small = counts()
    for i in range(20):
        sensor = make_sensor(world.mine_a)
        put_minutes(sensor, [0.2] * 10)
        make_alarm(world.mine_a, sensor=sensor, kind="high", assigned_to=world.county_inspector,
                   acknowledged_by=world.city_leader, acknowledged_at=timezone.now())
        make_flag(world.mine_a, sensor=sensor)
        factories.mine(world.province_leader, world.ent_b, county="210902", name=f"乙{i}矿")
        AlarmComment.objects.create(alarm=scene["high"], author=world.county_inspector, text=f"第{i}条")
    large = counts()
    assert large == small, list(zip(pages, small, large, strict=True))
    assert max(large) <= 20


@pytest.mark.django_db
def test_every_role_on_the_overview(world: World) -> None:
    for role in ROLES:
        client = Client() if role == "anonymous" else _client(world.roles()[role])
        code = client.get(reverse("monitoring:overview")).status_code
        assert code == (302 if role == "anonymous" else 200 if role in BUSINESS else 403), role


# --- the panel in a browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_live_panel_redraws_from_data_json(live_server, world: World) -> None:
    """The panel's script fetches data.json every 10 s and redraws the chart, the sensor's level and the
    active alarms (the page clock is fast-forwarded instead of waiting)."""
    from minesafe.core.tests.test_browser import ARTIFACTS, _browser, _login

    sensor = make_sensor(world.mine_a, code="T1-3105")
    put_minutes(sensor, [0.3] * 60, end=timezone.now() - dt.timedelta(minutes=10))
    target = reverse("monitoring:mine_panel", args=[world.mine_a.pk])
    with _browser() as browser:
        page = browser.new_page()
        _login(page, live_server.url, "ent_safety", target)
        page.clock.install()
        page.goto(f"{live_server.url}{target}")
        card = page.locator(f"#sensor-{sensor.pk}")
        before = card.locator("path.line").get_attribute("d")
        assert card.locator("[data-role=level]").get_attribute("data-level") == "0"
        assert page.locator("#panel-alarms a").count() == 0

        put_minutes(sensor, [1.8] * 5, end=timezone.now() + dt.timedelta(minutes=1))
        alarm = make_alarm(world.mine_a, sensor=sensor, kind="power_cut", severity=3, peak_value=1.8, threshold=1.5)
        page.clock.run_for(11_000)
        page.wait_for_function(
            "id => document.querySelector('#panel-alarms a[href=\"/monitoring/alarms/' + id + '/\"]') !== null",
            arg=alarm.pk, timeout=10_000)
        assert card.locator("[data-role=level]").get_attribute("data-level") == "3"
        assert card.locator("[data-role=level]").get_attribute("class") == "badge red"
        assert card.locator("path.line").get_attribute("d") != before
        assert card.locator("g.thresholds line").count() == 3
        assert card.locator("[data-role=last]").inner_text() == "1.8"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "monitoring-panel.png"), full_page=True)
