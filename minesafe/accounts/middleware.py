"""Session middleware: idle logout, and the forced change of an initial or reset password."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

SESSION_KEY = "_last_seen"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(SESSION_KEY)
            if last is not None and now - float(last) > settings.SESSION_IDLE_SECONDS:
                logout(request)
                request.idle_logout = True  # type: ignore[attr-defined]
            else:
                request.session[SESSION_KEY] = now
        return self.get_response(request)


class ForcePasswordChangeMiddleware:
    """A user whose password was set by an administrator must replace it before anything else.

    The administrator who chose the initial password therefore never holds a working account.
    """

    ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and getattr(user, "must_change_password", False)
                and not request.path.startswith(self.ALLOWED_PREFIXES)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "请先修改初始密码"}, status=403)
            return redirect("accounts:password")
        return self.get_response(request)
