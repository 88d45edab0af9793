"""Model backend that refuses locked accounts for any ``authenticate()`` path.

The login page goes through :func:`minesafe.accounts.services.login_attempt`, which also counts
failures; this backend only makes sure no other path bypasses a lock.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from minesafe.rules.lockout import LoginState, is_locked


class LockoutModelBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return not is_locked(LoginState(user.failed_logins, user.locked_until), timezone.now())

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        return super().authenticate(request, username=username, password=password, **kwargs)
