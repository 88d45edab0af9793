"""manage.py demo_tipoffs — demo tip-offs at every stage of the loop over the registry demo.

``--if-empty`` makes it a no-op when any tip-off exists, or when the registry demo it needs is
missing (so ``make run`` never fails on a database of real data).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minesafe.tipoffs.demo import build_tipoffs_demo, tipoffs_demo_blocker


class Command(BaseCommand):
    help = "Build demo tip-offs (举报) at every stage: received, accepted, verified, handled, answered, rewarded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when any tip-off exists (or the registry demo is missing).")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (default 2024).")
        parser.add_argument("--allow-without-debug", action="store_true",
                            help="Build even though DEBUG is off (demo data on a disposable test server).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError("Refusing to build demo data with DEBUG off. Pass --allow-without-debug for a "
                               "disposable test server.")
        blocker = tipoffs_demo_blocker()
        if blocker:
            if options["if_empty"]:
                self.stdout.write(f"Demo tip-offs not built: {blocker}.")
                return
            raise CommandError(f"Demo tip-offs not built: {blocker}.")
        started = time.perf_counter()
        counts = build_tipoffs_demo(seed=options["seed"])
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"Demo tip-offs built in {elapsed:.1f} s: {counts['total']} reports, {counts['hazards']} of them "
            f"entered in the hazard ledger."))
