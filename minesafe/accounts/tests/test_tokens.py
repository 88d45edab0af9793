"""API tokens: shown once, stored hashed, revocable, act with the user's scope."""

from __future__ import annotations

import pytest
from django.test import Client

from minesafe.accounts import services
from minesafe.accounts.models import ApiToken
from minesafe.testing.factories import World


@pytest.mark.django_db
def test_token_lifecycle(world: World) -> None:
    token, raw = services.issue_token(actor=world.county_inspector, name="巡检终端")
    assert raw.startswith("ms_") and raw not in token.key_hash
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    ids = {m["id"] for m in Client().get("/api/v1/mines", **auth).json()["items"]}
    assert ids == {world.mine_a.pk}
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    services.revoke_token(actor=world.county_inspector, token_id=token.pk)
    assert Client().get("/api/v1/mines", **auth).status_code == 401


@pytest.mark.django_db
def test_bad_token_is_401(world: World) -> None:
    assert Client().get("/api/v1/mines", HTTP_AUTHORIZATION="Bearer ms_nope").status_code == 401


@pytest.mark.django_db
def test_tokens_page_shows_raw_value_once(world: World, client: Client) -> None:
    client.force_login(world.ent_principal)
    page = client.post("/accounts/tokens/", {"name": "企业接口"}).content.decode()
    raw = page.split("<strong>")[1].split("</strong>")[0]
    assert raw.startswith("ms_")
    assert raw not in client.get("/accounts/tokens/").content.decode()
