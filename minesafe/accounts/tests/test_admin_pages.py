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
    assert not user.is_active and user.must_change_password  # waits for the security administrator
    assert not user.scope.is_enterprise
    services.set_user_active(actor=world.sec_admin, user=user, active=True)
    user.refresh_from_db()
    assert user.scope.is_enterprise
    from minesafe.registry.models import Enterprise

    assert list(Enterprise.objects.visible_to(user)) == [ent]
    assert AuditEntry.objects.filter(action="registry.enterprise.open_account").exists()


@pytest.mark.django_db
def test_disable_and_enable_an_account(world: World) -> None:
    """The system administrator may disable; only the security administrator activates (三员分立)."""
    sys_client, sec_client = Client(), Client()
    sys_client.force_login(world.sys_admin)
    sec_client.force_login(world.sec_admin)
    sys_client.post(f"/accounts/users/{world.county_inspector.pk}/deactivate/")
    assert not User.objects.get(pk=world.county_inspector.pk).is_active
    assert not Client().login(username="county_inspector", password=PASSWORD)
    assert sys_client.post(f"/accounts/users/{world.county_inspector.pk}/activate/").status_code == 403
    assert "county_inspector" in sec_client.get("/accounts/security/").content.decode()
    sec_client.post(f"/accounts/users/{world.county_inspector.pk}/activate/")
    assert User.objects.get(pk=world.county_inspector.pk).is_active
    sys_client.post(f"/accounts/users/{world.sys_admin.pk}/deactivate/")  # never yourself
    assert User.objects.get(pk=world.sys_admin.pk).is_active
    assert sys_client.post(f"/accounts/users/{world.audit_admin.pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=world.audit_admin.pk).is_active


@pytest.mark.django_db
def test_system_admin_cannot_make_or_take_over_admin_accounts(world: World) -> None:
    org = world.sys_admin.organisation
    with pytest.raises(FieldErrors) as err:
        services.create_user(actor=world.sys_admin, username="audit2", password=PASSWORD, organisation=org,
                             role="audit_admin")
    assert "role" in err.value.errors
    with pytest.raises(PermissionDenied):
        services.set_password(actor=world.sys_admin, user=world.audit_admin, password="Another-pass-2026")


@pytest.mark.django_db
def test_initial_password_must_be_changed_first(world: World) -> None:
    services.set_password(actor=world.sys_admin, user=world.county_inspector, password="Reset-by-admin-1")
    client = Client()
    assert client.post("/accounts/login/", {"username": "county_inspector",
                                            "password": "Reset-by-admin-1"}).status_code == 302
    response = client.get("/registry/mines/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    assert client.get("/api/v1/mines").status_code == 403
    client.post("/accounts/password/", {"old_password": "Reset-by-admin-1", "new_password": "My-own-secret-26",
                                        "new_password2": "My-own-secret-26"})
    assert client.get("/registry/mines/").status_code == 200


@pytest.mark.django_db
def test_create_admin_account_command(world: World, monkeypatch) -> None:
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("MINESAFE_ADMIN_PASSWORD", "Audit-admin-2026")
    call_command("create_admin_account", "--username", "audit2", "--role", "audit_admin")
    user = User.objects.get(username="audit2")
    assert user.is_active and user.must_change_password and user.role == "audit_admin"
    assert AuditEntry.objects.filter(action="accounts.admin.create", object_id=str(user.pk)).exists()
    monkeypatch.setenv("MINESAFE_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError):
        call_command("create_admin_account", "--username", "audit3", "--role", "audit_admin")
