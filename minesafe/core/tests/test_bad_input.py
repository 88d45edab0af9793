"""Odd input answers with a clear 4xx (or an empty result), never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from minesafe.accounts.models import ApiToken
from minesafe.testing.factories import World


@pytest.fixture
def clients(world: World) -> tuple[Client, dict[str, str]]:
    client = Client(raise_request_exception=False)
    client.force_login(world.province_leader)
    token = ApiToken.objects.issue(user=world.province_leader, name="t")[1]
    return client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/registry/mines/?page=abc", "/registry/mines/?page=99999999999999999999", "/registry/mines/?per_page=-1",
    "/registry/mines/?sort=__class__", "/registry/mines/?enterprise=abc", "/registry/mines/?enterprise=" + "9" * 30,
    "/registry/mines/export.xlsx?enterprise=abc", "/registry/enterprises/?parent=abc", "/registry/mines/?division=abc",
    "/registry/mines/?licence=bogus", "/accounts/audit/?actor=x",
])
def test_list_pages_survive_odd_parameters(clients, url: str) -> None:
    client, _headers = clients
    assert client.get(url).status_code in (200, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/registry/mines/?q=%00", "/registry/mines/?division=%00",
                                 "/api/v1/mines?q=a%00b", "/api/v1/divisions?parent=%00"])
def test_nul_in_query_is_400(clients, url: str) -> None:
    client, headers = clients
    assert client.get(url, **headers).status_code == 400


@pytest.mark.django_db
def test_nul_in_bodies_is_400(clients, world: World) -> None:
    client, headers = clients
    response = Client().patch(f"/api/v1/mines/{world.mine_a.pk}", data='{"name": "a\\u0000b"}',
                              content_type="application/json", **headers)
    assert response.status_code == 400
    response = client.post(f"/registry/mines/{world.mine_a.pk}/edit/", {"name": "a\x00b"})
    assert response.status_code == 400
    world.mine_a.refresh_from_db()
    assert world.mine_a.name == "甲矿"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["limit=100000000000000000000", "offset=100000000000000000000", "limit=0",
                                   "limit=501"])
def test_api_paging_bounds_are_422(clients, query: str) -> None:
    _client, headers = clients
    assert Client().get(f"/api/v1/mines?{query}", **headers).status_code == 422


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[1, 2]", '"x"', "null", '{"unknown_field": 1}'])
def test_api_rejects_bodies_of_the_wrong_shape(clients, world: World, body: str) -> None:
    _client, headers = clients
    response = Client().patch(f"/api/v1/mines/{world.mine_a.pk}", data=body, content_type="application/json",
                              **headers)
    assert response.status_code in (400, 422)


@pytest.mark.django_db
@pytest.mark.parametrize("boundary", ["[" * 5000 + "]" * 5000, "[[1" + "0" * 5000 + ", 2]]", "{not json"])
def test_mine_form_boundary_garbage_is_a_field_error(world: World, boundary: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.county_leader)
    response = client.post(f"/registry/mines/{world.mine_a.pk}/edit/", {
        "name": "甲矿", "enterprise": world.ent_a.pk, "county": "210323", "sector": "metal_underground",
        "scale": "small", "boundary": boundary,
    })
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_exported_cells_are_never_formulas_and_never_break_the_file() -> None:
    """Text typed by enterprises must not run as a formula in a regulator's Excel (xlsx injection)."""
    import io

    from openpyxl import load_workbook

    from minesafe.core.xlsx import Column, text, write_workbook

    data = write_workbook([Column("a", "A", text)], [{"a": '=HYPERLINK("http://x","y")'}, {"a": "bad\x01char"},
                                                     {"a": "-1+1"}, {"a": "正常文本"}])
    ws = load_workbook(io.BytesIO(data)).active
    cells = [ws.cell(row=r, column=1) for r in range(2, 6)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells] == ['\'=HYPERLINK("http://x","y")', "badchar", "'-1+1", "正常文本"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/hazards/?division=%C2%B2", "/hazards/?division=2%C2%B2",
                                 "/hazards/export.xlsx?division=2%C2%B2", "/registry/mines/?division=2%C2%B2"])
def test_unicode_digits_in_division_filters(clients, url: str) -> None:
    client, _headers = clients
    assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/hazards?mine_id=9223372036854775808",
                                 "/api/v1/self-inspections?mine_id=99999999999999999999"])
def test_huge_ids_in_api_filters_are_422(clients, url: str) -> None:
    _client, headers = clients
    assert Client().get(url, **headers).status_code == 422
