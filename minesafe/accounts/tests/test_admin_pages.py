"""The system administrator's organisation and account pages (三员分立: no business data)."""

from __future__ import annotations

import pytest
from django.test import Client

from minesafe.accounts import services
from minesafe.accounts.models import Organisation, User
from minesafe.core.errors import FieldErrors, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.registry.services import open_enterprise_account
from minesafe.testing.factories import PASSWORD, World, enterprise


@pytest.mark.django_db
def test_create_regulator_organisation_by_county_code(world: World) -> None:
    client = Client()
    client.force_login(world.sys_admin)
    response = client.post("/accounts/organisations/", {"kind": "regulator", "name": "海城市应急管理局",
                                                        "county": "210381"})
    assert response.status_code == 302
    org = Organisation.objects.get(name="海城市应急管理局")
    assert org.division_id == "210381"
    page = client.post("/accounts/organisations/", {"kind": "regulator", "name": "无辖区"}).content.decode()
    assert "errorlist" in page and not Organisation.objects.filter(name="无辖区").exists()
    with pytest.raises(PermissionDenied):
        services.create_organisation(actor=world.province_leader, kind="regulator", name="x",
                                     division=org.division)


@pytest.mark.django_db
def test_open_enterprise_account_then_create_its_user(world: World) -> None:
    ent = enterprise(world.county_leader, name="新开户企业")
    with pytest.raises(FieldErrors):
        open_enterprise_account(actor=world.sys_admin, uscc="91210323XXXXXXXXXX")
    org = open_enterprise_account(actor=world.sys_admin, uscc=ent.uscc.lower())
    with pytest.raises(FieldErrors):
        open_enterprise_account(actor=world.sys_admin, uscc=ent.uscc)  # only once
    user = services.create_user(actor=world.sys_admin, username="new_principal", password=PASSWORD,
                                organisation=org, role="ent_principal")
    assert user.scope.is_enterprise
    from minesafe.registry.models import Enterprise

    assert list(Enterprise.objects.visible_to(user)) == [ent]
    assert AuditEntry.objects.filter(action="registry.enterprise.open_account").exists()


@pytest.mark.django_db
def test_disable_and_enable_an_account(world: World) -> None:
    client = Client()
    client.force_login(world.sys_admin)
    client.post(f"/accounts/users/{world.county_inspector.pk}/active/")
    assert not User.objects.get(pk=world.county_inspector.pk).is_active
    assert not Client().login(username="county_inspector", password=PASSWORD)
    client.post(f"/accounts/users/{world.county_inspector.pk}/active/")
    assert User.objects.get(pk=world.county_inspector.pk).is_active
    client.post(f"/accounts/users/{world.sys_admin.pk}/active/")  # never yourself
    assert User.objects.get(pk=world.sys_admin.pk).is_active
