"""manage.py run_imports [--loop] — run queued xlsx imports of every kind and fail interrupted ones."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from minesafe.core.jobs import fail_stale_imports, run_pending_imports


class Command(BaseCommand):
    help = "Run queued imports (left behind by a restarted web process) and fail stale ones."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep polling every 10 seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            stale = fail_stale_imports()
            ran = run_pending_imports()
            if stale or ran or not options["loop"]:
                self.stdout.write(f"{ran} imports run, {stale} stale imports failed")
            if not options["loop"]:
                return
            time.sleep(10)
