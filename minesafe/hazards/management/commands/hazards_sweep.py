"""manage.py hazards_sweep [--loop] — record escalation suggestions (挂牌督办) for overdue hazards."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from minesafe.hazards.services import escalation_scan


class Command(BaseCommand):
    help = "Scan for overdue, unlisted major hazards and record an escalation suggestion for each (daily)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="repeat every hour")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            self.stdout.write(f"{escalation_scan()} escalation suggestions recorded")
            if not options["loop"]:
                return
            time.sleep(3600)
