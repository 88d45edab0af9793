"""manage.py demo_logins — print the demo accounts (user name, role, organisation, password)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand

from minesafe.accounts.models import User
from minesafe.registry.demo import DEMO_PASSWORD, DEMO_URL, DEMO_USERS


def _width(text: str) -> int:
    """Terminal columns: CJK (wide / full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Print the demo logins created by `manage.py demo`."

    def handle(self, *args: Any, **options: Any) -> None:
        order = {username: i for i, (username, _role, _org) in enumerate(DEMO_USERS)}
        users = sorted(
            User.objects.filter(username__in=order).select_related("organisation", "organisation__division"),
            key=lambda u: order[u.username],
        )
        if not users:
            self.stdout.write("No demo users in this database; run `manage.py demo` first.")
            return
        header = ("用户名 username", "角色 role", "姓名 name", "单位 organisation", "辖区 division", "密码 password")
        rows = []
        for user in users:
            org = user.organisation
            division = org.division.full_name if org is not None and org.division is not None else "—"
            rows.append((user.username, user.role, user.display_name, org.name if org else "—", division,
                         DEMO_PASSWORD))
        widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
        rule = "-+-".join("-" * w for w in widths)
        self.stdout.write(f"MineSafe demo logins — {DEMO_URL} (every account's password: {DEMO_PASSWORD})")
        self.stdout.write(" | ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip())
        self.stdout.write(rule)
        for row in rows:
            self.stdout.write(" | ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        self.stdout.write(f"Public tip-off page (举报, no login): {DEMO_URL.rstrip('/')}/report/")
