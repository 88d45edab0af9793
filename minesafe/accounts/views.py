"""Login, own password and API tokens, and the pages of the three separated administrators (三员)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minesafe.accounts import services
from minesafe.accounts.choices import ADMIN_ROLES
from minesafe.accounts.decorators import requires
from minesafe.accounts.forms import LoginForm, OrganisationForm, PasswordChangeForm, TokenForm, UserCreateForm
from minesafe.accounts.models import Organisation, User
from minesafe.accounts.permissions import has_perm
from minesafe.core.audit import verify_chain
from minesafe.core.errors import FieldErrors, PermissionDenied
from minesafe.core.forms import apply_field_errors
from minesafe.core.listing import apply_listing
from minesafe.core.middleware import request_id_of
from minesafe.core.models import AuditEntry


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                request_id=request_id_of(request),
            )
        except services.LoginFailed as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="minesafe.accounts.backends.LockoutModelBackend")
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = ""
            return redirect(target or "home")
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
def password_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        if not user.check_password(form.cleaned_data["old_password"]):
            form.add_error("old_password", _("The current password is wrong."))
        else:
            try:
                services.set_password(actor=user, user=user, password=form.cleaned_data["new_password"],
                                      request_id=request_id_of(request))
            except FieldErrors as exc:
                apply_field_errors(form, exc, rename={"password": "new_password"})
            else:
                login(request, user, backend="minesafe.accounts.backends.LockoutModelBackend")
                messages.success(request, _("Password changed."))
                return redirect("home")
    return render(request, "core/form.html", {"form": form, "title": _("Change password")})


@requires("accounts.own_tokens")
def tokens_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = services.issue_token(actor=request.user, name=form.cleaned_data["name"],
                                               request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            form = TokenForm()
    tokens = request.user.api_tokens.order_by("-created_at")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens, "raw": raw})


@require_POST
@requires("accounts.own_tokens")
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    services.revoke_token(actor=request.user, token_id=pk, request_id=request_id_of(request))
    messages.success(request, _("Token revoked."))
    return redirect("accounts:tokens")


@requires("accounts.manage_users")
def users_view(request: HttpRequest) -> HttpResponse:
    users = User.objects.select_related("organisation", "organisation__division").order_by("username")
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"page": page, "admin_roles": sorted(ADMIN_ROLES)})


@requires("accounts.manage_users")
def user_create_view(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_user(actor=request.user, request_id=request_id_of(request), **form.cleaned_data)
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("User created."))
            return redirect("accounts:users")
    return render(request, "core/form.html", {"form": form, "title": _("New user")})


@requires("accounts.manage_users")
def organisations_view(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_organisation(actor=request.user, kind=data["kind"], name=data["name"],
                                         division=data.get("division"), request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Organisation created."))
            return redirect("accounts:organisations")
    orgs = Organisation.objects.select_related("division").annotate(n_users=Count("users")).order_by("kind", "name")
    page = Paginator(orgs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/organisations.html", {"form": form, "page": page})


def _set_active(request: HttpRequest, pk: int, active: bool, back: str) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    try:
        services.set_user_active(actor=request.user, user=user, active=active, request_id=request_id_of(request))
    except FieldErrors as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    return redirect(back)


@require_POST
@login_required
def user_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """System or security administrator disables a business account (the service checks which)."""
    if not (has_perm(request.user, "accounts.manage_users") or has_perm(request.user, "accounts.security")):
        raise DjangoPermissionDenied("accounts.deactivate")
    back = "accounts:users" if has_perm(request.user, "accounts.manage_users") else "accounts:security"
    try:
        return _set_active(request, pk, False, back)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc


@require_POST
@requires("accounts.security")
def user_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Security administrator activates a new (or disabled) business account."""
    return _set_active(request, pk, True, "accounts:security")


@requires("accounts.security")
def security_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    locked = User.objects.filter(locked_until__gt=now).order_by("locked_until")
    pending = (User.objects.filter(is_active=False).exclude(role__in=ADMIN_ROLES)
               .select_related("organisation", "organisation__division").order_by("username"))
    events = AuditEntry.objects.filter(action__startswith="auth.").exclude(action="auth.login").order_by("-id")[:100]
    return render(request, "accounts/security.html", {"locked": locked, "events": events, "pending": pending})


@require_POST
@requires("accounts.security")
def unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    services.unlock_user(actor=request.user, user=user, request_id=request_id_of(request))
    messages.success(request, _("Account unlocked."))
    return redirect("accounts:security")


@requires("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    listing = apply_listing(
        request,
        AuditEntry.objects.all(),
        search_fields=("object_repr", "actor_repr", "message", "request_id"),
        filter_fields={"action": "action", "object_type": "object_type", "actor": "actor_repr"},
        sort_fields={"id": "id"},
        default_sort="-id",
    )
    return render(request, "accounts/audit_list.html", {"listing": listing})


@requires("audit.view")
def audit_verify(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/audit_verify.html", {"result": verify_chain()})
