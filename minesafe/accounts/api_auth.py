"""API authentication: bearer tokens for machine clients, the session for the browser."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from minesafe.accounts.models import ApiToken
from minesafe.accounts.services import touch_token

__all__ = ["BearerAuth", "SessionUserAuth"]


class BearerAuth(HttpBearer):
    """``Authorization: Bearer ms_…`` — an API token issued on the tokens page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.objects.for_raw(token)
        if found is None or not found.user.is_active:
            return None
        touch_token(found)
        request.user = found.user
        return found.user


class SessionUserAuth(SessionAuth):
    """The browser session (CSRF-checked for unsafe methods)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated and user.is_active else None
