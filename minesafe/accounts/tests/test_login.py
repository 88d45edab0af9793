"""Login hardening: lockout after 5 failures for 15 minutes, idle expiry, password policy, roles."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from minesafe.accounts import services
from minesafe.accounts.models import User
from minesafe.core.errors import FieldErrors, PermissionDenied
from minesafe.core.models import AuditEntry
from minesafe.testing.factories import PASSWORD, World


def _login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_login_and_dashboard(world: World, client: Client) -> None:
    response = _login(client, "county_inspector", PASSWORD)
    assert response.status_code == 302
    client.get("/").content.decode()
    assert True  # dashboard lists counts, not necessarily names
    assert client.get("/registry/mines/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", object_id=str(world.county_inspector.pk)).exists()


@pytest.mark.django_db
def test_wrong_password_message_does_not_reveal_user_names(world: World, client: Client) -> None:
    known = _login(client, "county_inspector", "wrong-Password1").content.decode()
    unknown = _login(client, "nobody_here", "wrong-Password1").content.decode()
    assert "用户名或密码不正确" in known
    assert "用户名或密码不正确" in unknown
    # failures for names that do not exist are audited too (password spraying)
    assert AuditEntry.objects.filter(action="auth.login_failed_unknown_user", object_repr="nobody_here").exists()


@pytest.mark.django_db
def test_lockout_after_five_failures_for_fifteen_minutes(world: World, client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            _login(client, "county_inspector", "Wrong-password-1")
        user = User.objects.get(username="county_inspector")
        assert user.failed_logins == 4 and user.locked_until is None
        page = _login(client, "county_inspector", "Wrong-password-1").content.decode()
        assert "用户名或密码不正确" in page  # same words as any failure: a lock reveals no user name
        user.refresh_from_db()
        assert user.locked_until == start + dt.timedelta(minutes=15)
        # the right password is refused while locked
        assert _login(client, "county_inspector", PASSWORD).status_code == 200
        assert AuditEntry.objects.filter(action="auth.locked").count() == 1
        assert AuditEntry.objects.filter(action="auth.login_refused_locked").count() == 1
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert _login(client, "county_inspector", PASSWORD).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert _login(client, "county_inspector", PASSWORD).status_code == 302
        user.refresh_from_db()
        assert user.failed_logins == 0 and user.locked_until is None


@pytest.mark.django_db
def test_locked_account_cannot_authenticate_by_other_paths(world: World) -> None:
    User.objects.filter(pk=world.county_inspector.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=5))
    assert not Client().login(username="county_inspector", password=PASSWORD)


@pytest.mark.django_db
def test_security_admin_unlocks(world: World, client: Client) -> None:
    User.objects.filter(pk=world.county_inspector.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=5),
                                                             failed_logins=0)
    client.force_login(world.sec_admin)
    assert "county_inspector" in client.get("/accounts/security/").content.decode()
    assert client.post(f"/accounts/security/{world.county_inspector.pk}/unlock/").status_code == 302
    assert User.objects.get(pk=world.county_inspector.pk).locked_until is None
    assert AuditEntry.objects.filter(action="accounts.user.unlock").exists()
    with pytest.raises(PermissionDenied):
        services.unlock_user(actor=world.sys_admin, user=world.county_inspector)


@pytest.mark.django_db
def test_idle_session_expires_after_30_minutes(world: World, client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(client, "county_inspector", PASSWORD)
        assert client.get("/registry/mines/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get("/registry/mines/").status_code == 200  # activity renews the idle clock
    with time_machine.travel(start + dt.timedelta(minutes=29 + 31), tick=False):
        response = client.get("/registry/mines/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_session_and_cookie_settings_are_hardened() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_COOKIE_HTTPONLY
    assert not settings.DEBUG
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE  # DEBUG off → secure cookies


@pytest.mark.django_db
def test_sys_admin_creates_user_with_policy(world: World) -> None:
    org = world.county_inspector.organisation
    with pytest.raises(FieldErrors) as err:
        services.create_user(actor=world.sys_admin, username="new_one", password="short", organisation=org,
                             role="reg_inspector")
    assert "password" in err.value.errors
    with pytest.raises(FieldErrors) as err:
        services.create_user(actor=world.sys_admin, username="new_one", password="Long-enough-pass1",
                             organisation=org, role="ent_principal")
    assert "role" in err.value.errors
    user = services.create_user(actor=world.sys_admin, username="new_one", password="Long-enough-pass1",
                                organisation=org, role="reg_inspector")
    assert user.check_password("Long-enough-pass1")
    with pytest.raises(PermissionDenied):
        services.create_user(actor=world.audit_admin, username="x2", password="Long-enough-pass1",
                             organisation=org, role="reg_inspector")


@pytest.mark.django_db
def test_password_change_enforces_policy(world: World, client: Client) -> None:
    client.force_login(world.county_inspector)
    page = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password": "abcdefghij",
                                                "new_password2": "abcdefghij"}).content.decode()
    assert "errorlist" in page
    response = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password": "New-Secret-2026",
                                                    "new_password2": "New-Secret-2026"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.county_inspector.pk).check_password("New-Secret-2026")


@pytest.mark.django_db
def test_admin_roles_read_no_business_data(world: World) -> None:
    from minesafe.registry.models import Enterprise, Mine

    for admin in (world.sys_admin, world.sec_admin, world.audit_admin):
        assert not Mine.objects.visible_to(admin).exists()
        assert not Enterprise.objects.visible_to(admin).exists()


@pytest.mark.django_db
def test_inactive_regulator_sees_nothing(world: World) -> None:
    from minesafe.registry.models import Mine

    world.province_leader.is_active = False
    assert not Mine.objects.visible_to(world.province_leader).exists()


@pytest.mark.django_db
def test_a_lock_does_not_end_open_sessions(world: World) -> None:
    """Five wrong passwords typed by someone else must not log the real user out."""
    victim = Client()
    _login(victim, "sec_admin", PASSWORD)
    attacker = Client()
    for _ in range(5):
        _login(attacker, "sec_admin", "Wrong-password-1")
    assert User.objects.get(username="sec_admin").locked_until is not None
    assert victim.get("/accounts/security/").status_code == 200
