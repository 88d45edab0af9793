"""manage.py create_admin_account — create one of the three separated admin accounts (三员分立).

Admin accounts are never created from the web: whoever runs this has shell access to the server.
The password comes from the environment variable named by --password-env (never the command line,
which other users can see) and must be changed at first login.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from minesafe.accounts.choices import ADMIN_ROLES, OrgKind
from minesafe.accounts.models import Organisation, User
from minesafe.core import audit
from minesafe.rules import check_password_policy


class Command(BaseCommand):
    help = "Create a system, security or audit administrator account."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=sorted(ADMIN_ROLES))
        parser.add_argument("--display-name", default="")
        parser.add_argument("--organisation", default="平台运维中心", help="platform organisation name")
        parser.add_argument("--password-env", default="MINESAFE_ADMIN_PASSWORD",
                            help="environment variable holding the initial password")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"], "")
        verdict = check_password_policy(password, username=options["username"])
        if not verdict.ok:
            raise CommandError("password: " + "; ".join(r.message for r in verdict.reasons))
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(f"user {options['username']} exists")
        with transaction.atomic():
            org, _created = Organisation.objects.get_or_create(kind=OrgKind.PLATFORM, name=options["organisation"])
            user = User(username=options["username"], role=options["role"], organisation=org,
                        display_name=options["display_name"], must_change_password=True)
            user.set_password(password)
            user.save()
            audit.record(actor=None, action="accounts.admin.create", obj=user,
                         after={"username": user.username, "role": user.role},
                         message="created with manage.py create_admin_account")
        self.stdout.write(f"created {user.role} {user.username}; the password must be changed at first login")
