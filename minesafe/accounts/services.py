"""Account state changes: login attempts with lockout, user administration, API tokens.

Every function checks permission, validates through ``minesafe.rules``, writes the audit entry and
commits atomically.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.choices import ADMIN_ROLES, ROLES_BY_ORG_KIND, OrgKind
from minesafe.accounts.models import ApiToken, Division, Organisation, User
from minesafe.accounts.permissions import has_perm, require
from minesafe.core import audit
from minesafe.core.errors import FieldErrors, NotFound, PermissionDenied
from minesafe.rules import check_password_policy
from minesafe.rules.lockout import LoginState, after_failure, after_success, is_locked

__all__ = [
    "LoginFailed", "create_organisation", "create_user", "issue_token", "login_attempt", "revoke_token",
    "set_password", "set_user_active", "unlock_user",
]

# Hash compared against when the user name is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = make_password("minesafe-timing-equaliser")


class LoginFailed(Exception):
    """Login refused; ``message`` is safe to show (never says whether the user name exists)."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def _state(user: User) -> LoginState:
    return LoginState(failures=user.failed_logins, locked_until=user.locked_until)


def login_attempt(*, username: str, password: str, request_id: str = "", now: dt.datetime | None = None) -> User:
    """Check credentials under the lockout rule (5 failures → locked 15 minutes).

    Failed and refused attempts are audited as security events (``auth.login_failed``,
    ``auth.locked``, ``auth.login_refused_locked``); a success is audited as ``auth.login``.
    """
    now = now or timezone.now()
    # One message for every failure: telling "locked" apart would confirm that a user name exists.
    generic = _("Incorrect user name or password, or the account is temporarily locked after "
                "repeated failures.")
    # The failure counter and its audit entry must commit even though the attempt fails,
    # so the outcome is decided inside the transaction and raised after it.
    failure: LoginFailed | None = None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            check_password(password, _DUMMY_HASH)
            # Audited too, so password spraying over made-up names is visible to the security admin.
            audit.record(actor=None, action="auth.login_failed_unknown_user", object_type="auth",
                         object_repr=username[:150], request_id=request_id)
            failure = LoginFailed(generic)
        elif is_locked(_state(user), now):
            audit.record(actor=user, action="auth.login_refused_locked", obj=user, request_id=request_id)
            failure = LoginFailed(generic, locked=True)
        elif not user.is_active or not user.check_password(password):
            new = after_failure(_state(user), now)
            User.objects.filter(pk=user.pk).update(failed_logins=new.failures, locked_until=new.locked_until)
            locked = is_locked(new, now)
            audit.record(
                actor=user, action="auth.locked" if locked else "auth.login_failed", obj=user,
                after={"failed_logins": new.failures, "locked_until": new.locked_until}, request_id=request_id,
            )
            failure = LoginFailed(generic, locked=locked)
        else:
            new = after_success(_state(user))
            User.objects.filter(pk=user.pk).update(
                failed_logins=new.failures, locked_until=new.locked_until, last_login=now
            )
            audit.record(actor=user, action="auth.login", obj=user, request_id=request_id)
    if failure is not None:
        raise failure
    assert user is not None
    user.refresh_from_db()
    return user


def _validate_password(password: str, username: str) -> None:
    verdict = check_password_policy(password, username=username)
    if not verdict.ok:
        raise FieldErrors.from_verdict(verdict)


def create_user(
    *, actor: User, username: str, password: str, organisation: Organisation, role: str,
    display_name: str = "", phone: str = "", request_id: str = "",
) -> User:
    """System administrator creates a business account (三员分立).

    The account starts inactive until the security administrator activates it, and its holder must
    replace the initial password at first login, so the administrator who chose that password cannot
    use the account. Accounts of the three admin roles are created only on the server with
    ``manage.py create_admin_account``.
    """
    require(actor, "accounts.manage_users")
    errors: dict[str, list[str]] = {}
    if role in ADMIN_ROLES:
        errors["role"] = [_("Administrator accounts are created on the server, not here.")]
    if not username or len(username) > 150:
        errors["username"] = [_("Enter a user name of at most 150 characters.")]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [_("This user name is taken.")]
    if "role" not in errors and role not in ROLES_BY_ORG_KIND[OrgKind(organisation.kind)]:
        errors["role"] = [_("This role does not fit the organisation's kind.")]
    verdict = check_password_policy(password, username=username)
    if not verdict.ok:
        errors.setdefault("password", []).extend(r.message for r in verdict.reasons)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        user = User(username=username, organisation=organisation, role=role, display_name=display_name,
                    phone=phone, is_active=False, must_change_password=True)
        user.set_password(password)
        user.save()
        audit.record(actor=actor, action="accounts.user.create", obj=user, after=audit.snapshot(user),
                     request_id=request_id)
    return user


def set_password(*, actor: User, user: User, password: str, request_id: str = "") -> None:
    """A user changes their own password, or the system administrator resets a business account's.

    A reset password must be changed by its holder at the next login.
    """
    own = actor.pk == user.pk
    if not own:
        require(actor, "accounts.manage_users")
        if user.role in ADMIN_ROLES:
            raise PermissionDenied("administrator passwords are reset on the server")
    _validate_password(password, user.username)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = not own
        user.save(update_fields=["password", "must_change_password"])
        audit.record(actor=actor, action="accounts.user.set_password", obj=user, request_id=request_id)


def unlock_user(*, actor: User, user: User, request_id: str = "") -> None:
    """Security administrator lifts a lockout before it expires."""
    require(actor, "accounts.security")
    with transaction.atomic():
        before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        audit.record(actor=actor, action="accounts.user.unlock", obj=user, before=before,
                     after={"failed_logins": 0, "locked_until": None}, request_id=request_id)


def issue_token(*, actor: User, name: str, request_id: str = "") -> tuple[ApiToken, str]:
    """Issue an API token for the actor itself; returns (token, raw value shown once)."""
    require(actor, "accounts.own_tokens")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise FieldErrors.single("name", _("Enter a name of at most 100 characters."))
    with transaction.atomic():
        token, raw = ApiToken.objects.issue(user=actor, name=name)
        audit.record(actor=actor, action="accounts.token.issue", obj=token,
                     after={"name": name, "prefix": token.prefix}, request_id=request_id)
    return token, raw


def revoke_token(*, actor: User, token_id: int, request_id: str = "") -> None:
    require(actor, "accounts.own_tokens")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor, revoked_at=None).first()
        if token is None:
            raise NotFound(f"token {token_id}")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="accounts.token.revoke", obj=token, request_id=request_id)


def create_organisation(*, actor: User, kind: str, name: str, division: Division | None,
                        request_id: str = "") -> Organisation:
    """System administrator registers a regulator (at a division) or the platform operator.

    Enterprise organisations are opened from the registry (they must point at a registered
    enterprise): see ``registry.services.open_enterprise_account``.
    """
    require(actor, "accounts.manage_users")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [_("Enter a name of at most 200 characters.")]
    if kind not in (OrgKind.REGULATOR, OrgKind.PLATFORM):
        errors["kind"] = [_("Enterprise accounts are opened from the enterprise registry.")]
    if kind == OrgKind.REGULATOR and division is None:
        errors["division"] = [_("A regulator needs its division.")]
    if kind == OrgKind.PLATFORM:
        division = None
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        org = Organisation.objects.create(kind=kind, name=name, division=division)
        audit.record(actor=actor, action="accounts.organisation.create", obj=org, after=audit.snapshot(org),
                     request_id=request_id)
    return org


def set_user_active(*, actor: User, user: User, active: bool, request_id: str = "") -> None:
    """Enable or disable a business account (三员分立).

    The security administrator activates accounts (new ones start inactive) and may disable them; the
    system administrator may only disable. Neither touches the admin roles' accounts.
    """
    if active:
        require(actor, "accounts.security")
    elif not (has_perm(actor, "accounts.security") or has_perm(actor, "accounts.manage_users")):
        raise PermissionDenied("accounts.deactivate")
    if user.pk == actor.pk:
        raise FieldErrors.single("__all__", _("You cannot disable your own account."))
    if user.role in ADMIN_ROLES:
        raise PermissionDenied("administrator accounts are managed on the server")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        audit.record(actor=actor, action="accounts.user.activate" if active else "accounts.user.deactivate",
                     obj=user, before={"is_active": user.is_active}, after={"is_active": active},
                     request_id=request_id)


def touch_token(token: Any) -> None:
    """Record last use (not audited: reads are not state changes)."""
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
