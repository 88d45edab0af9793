"""core.links: related-record providers registered by a higher app, shown on the hazard page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import models
from django.test import Client
from django.utils import timezone

from minesafe.core import links
from minesafe.core.links import Link, links_for
from minesafe.hazards import services as hazard_services
from minesafe.hazards.models import Hazard
from minesafe.testing.factories import World


def _tip_offs(user: Any, obj: models.Model) -> list[Link]:
    """A provider that scopes itself: only the province leader may see the (pretend) tip-off."""
    if getattr(user, "username", "") != "province_leader":
        return []
    return [Link(label=f"举报 J-{obj.pk}", url=f"/tipoffs/{obj.pk}/", note="已受理")]


def _second(user: Any, obj: models.Model) -> list[Link]:
    return [Link(label="second", url="/second/")]


@pytest.fixture
def provider() -> Iterator[None]:
    links.register("hazards.Hazard", _tip_offs)
    yield
    links.unregister("hazards.hazard", _tip_offs)


def test_register_order_dedup_and_unregister(world: World) -> None:
    hazard = Hazard(pk=7)
    assert links_for(world.province_leader, hazard) == []
    links.register("hazards.hazard", _tip_offs)
    links.register("hazards.hazard", _second)
    links.register("hazards.hazard", _tip_offs)  # a second ready() adds nothing
    try:
        assert links_for(world.province_leader, hazard) == [Link("举报 J-7", "/tipoffs/7/", "已受理"),
                                                           Link("second", "/second/")]
        assert links_for(world.county_leader, hazard) == [Link("second", "/second/")]
        assert links_for(world.province_leader, world.mine_a) == []  # other models: other providers
    finally:
        links.unregister("hazards.hazard", _tip_offs)
        links.unregister("hazards.hazard", _second)
    links.unregister("hazards.hazard", _second)  # unknown: ignored
    assert links_for(world.province_leader, hazard) == []


@pytest.mark.parametrize("label", ["hazard", "hazards.", ".hazard", "a.b.c"])
def test_model_labels_are_checked(label) -> None:
    with pytest.raises(ValueError):
        links.register(label, _second)


def _hazard(world: World) -> Hazard:
    return hazard_services.register_hazard(actor=world.province_leader, mine=world.mine_a, data={
        "source": "inspection", "category_code": "metal-ug-2022.1", "description": "安全出口不符合要求",
        "location": "-120m 中段", "found_on": timezone.localdate(), "found_by": "检查组"})


def _page(user, hazard: Hazard) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/hazards/{hazard.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_hazard_page_shows_related_records_the_user_may_see(world: World, provider: None) -> None:
    hazard = _hazard(world)
    page = _page(world.province_leader, hazard)
    assert "related-links" in page
    assert f'<a href="/tipoffs/{hazard.pk}/">举报 J-{hazard.pk}</a> <span class="muted">已受理</span>' in page
    # the provider gives the county leader nothing: no section at all
    page = _page(world.county_leader, hazard)
    assert "related-links" not in page and f"/tipoffs/{hazard.pk}/" not in page


@pytest.mark.django_db
def test_hazard_page_without_providers_has_no_section(world: World) -> None:
    assert "related-links" not in _page(world.province_leader, _hazard(world))
