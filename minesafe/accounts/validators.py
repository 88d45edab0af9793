"""Django password validator delegating to the pure rule in ``minesafe.rules.passwords``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from minesafe.rules import check_password_policy
from minesafe.rules.passwords import PASSWORD_MIN_LENGTH


class PolicyPasswordValidator:
    def validate(self, password: str, user: Any = None) -> None:
        verdict = check_password_policy(password, username=getattr(user, "username", "") or "")
        if not verdict.ok:
            raise ValidationError([r.message for r in verdict.reasons], code="password_policy")

    def get_help_text(self) -> str:
        return _("At least %(n)d characters, using at least three of: lower case, upper case, digits, "
                 "symbols; must not contain the user name.") % {"n": PASSWORD_MIN_LENGTH}
