"""Model backend that refuses locked accounts on every new ``authenticate()``.

The login page goes through :func:`minesafe.accounts.services.login_attempt`, which also counts
failures; this backend only makes sure no other login path bypasses a lock. Sessions that are
already open are not ended by a lock (see :meth:`LockoutModelBackend.get_user`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend, UserModel
from django.utils import timezone

from minesafe.rules.lockout import LoginState, is_locked


class LockoutModelBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return not is_locked(LoginState(user.failed_logins, user.locked_until), timezone.now())

    def get_user(self, user_id: Any) -> Any:
        """An open session survives a lock: otherwise anyone could log a user out (and keep the only
        security administrator out) by typing five wrong passwords under that name. Deactivation
        still ends it."""
        try:
            user = UserModel._default_manager.get(pk=user_id)
        except (UserModel.DoesNotExist, ValueError, TypeError):
            return None
        return user if ModelBackend.user_can_authenticate(self, user) else None
