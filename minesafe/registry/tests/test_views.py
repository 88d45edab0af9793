"""Registry pages: filters, sorting, paging, forms with Chinese field errors, history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from minesafe.registry.models import Enterprise, Mine
from minesafe.testing.factories import World, mine


def _zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_mine_list_filters_sorts_and_pages(world: World) -> None:
    for i in range(30):
        mine(world.province_leader, world.ent_a, name=f"批量{i:02d}号矿")
    client = _client(world.city_leader)
    page = client.get("/registry/mines/").content.decode()
    assert 'value="210323"' in page  # county choice inside the city's jurisdiction
    assert "page=2" in page and "31" in page  # 31 rows, 25 a page
    page2 = client.get("/registry/mines/?page=2").content.decode()
    assert len(re.findall(r'href="/registry/mines/\d+/"', page2)) == 6 and "批量29号矿" in page2
    desc = client.get("/registry/mines/?sort=-name").content.decode()
    assert desc.index("批量29号矿") < desc.index("批量28号矿")
    only = client.get("/registry/mines/?division=210323&q=批量0").content.decode()
    assert len(re.findall(r'href="/registry/mines/\d+/"', only)) == 10 and ">甲矿<" not in only
    assert "乙矿" not in _client(world.province_leader).get("/registry/mines/?division=2103").content.decode()
    # a crafted sort key falls back to the default instead of erroring
    assert client.get("/registry/mines/?sort=enterprise__organisation__users__password").status_code == 200
    assert 'name="division"' not in _client(world.ent_principal).get("/registry/mines/").content.decode()


@pytest.mark.django_db
def test_mine_form_shows_chinese_field_errors_and_saves_nothing(world: World) -> None:
    client = _client(world.county_leader)
    count = Mine.objects.count()
    page = client.post("/registry/mines/new/", {
        "name": "新煤矿", "enterprise": world.ent_a.pk, "county": "210323", "sector": "coal", "scale": "small",
        "status": "construction", "latitude": "95", "longitude": "123",
    }).content.decode()
    assert "errorlist" in page
    assert "瓦斯等级" in page  # coal requires a gas grade, said in Chinese
    assert Mine.objects.count() == count
    response = client.post("/registry/mines/new/", {
        "name": "新露天矿", "enterprise": world.ent_a.pk, "county": "210323", "sector": "metal_open_pit",
        "scale": "small", "status": "construction", "rock_burst": "unknown", "downstream_population": "unknown",
    })
    assert response.status_code == 302
    created = Mine.objects.get(name="新露天矿")
    detail = client.get(response["Location"]).content.decode()
    assert "新露天矿" in detail and _zh("Change history") in detail
    assert created.status == "construction"


@pytest.mark.django_db
def test_status_page_changes_status_and_shows_history(world: World) -> None:
    client = _client(world.county_leader)
    response = client.post(f"/registry/mines/{world.mine_a.pk}/status/", {
        "target": "rectification", "effective_date": dt.date.today().isoformat(), "document_no": "岫应急〔2026〕1号",
        "reason": "发现重大事故隐患",
    })
    assert response.status_code == 302
    detail = client.get(f"/registry/mines/{world.mine_a.pk}/").content.decode()
    assert "岫应急〔2026〕1号" in detail and "发现重大事故隐患" in detail
    page = client.post(f"/registry/mines/{world.mine_a.pk}/status/", {
        "target": "production", "effective_date": dt.date.today().isoformat(), "document_no": "", "reason": "复产",
    }).content.decode()
    assert "errorlist" in page  # 复产 needs the acceptance document
    assert Mine.objects.get(pk=world.mine_a.pk).status == "rectification"


@pytest.mark.django_db
def test_enterprise_form_and_list(world: World) -> None:
    client = _client(world.county_leader)
    page = client.post("/registry/enterprises/new/", {"name": "坏码企业", "uscc": "123", "division": "210323"})
    assert "统一社会信用代码" in page.content.decode() and not Enterprise.objects.filter(name="坏码企业").exists()
    listing = _client(world.province_leader).get("/registry/enterprises/?division=210902").content.decode()
    assert "阜新乙矿业有限公司" in listing and "岫岩甲矿业有限公司" not in listing


@pytest.mark.django_db
def test_dashboard_shows_trend_chart_and_counts(world: World) -> None:
    page = _client(world.county_inspector).get("/").content.decode()
    assert "<svg" in page and _zh("Status changes over the last 12 months") in page
