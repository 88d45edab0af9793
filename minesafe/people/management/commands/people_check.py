"""manage.py people_check — recompute every mine's people findings (run daily: certificates expire,
drills fall due and the training year turns without any roster change)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minesafe.people.services import recompute_all


class Command(BaseCommand):
    help = "Recompute the people-and-qualification findings of every mine and store a snapshot per mine."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Evaluate as of this date (YYYY-MM-DD; default today).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD") from None
        result = recompute_all(today=today)
        self.stdout.write(self.style.SUCCESS(
            f"Checked {result['mines']} mines: {result['findings']} findings, "
            f"{result['mines_to_halt']} mines to halt production."))
