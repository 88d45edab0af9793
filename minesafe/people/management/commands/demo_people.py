"""manage.py demo_people — demo rosters, training, drills and findings over the registry demo.

``--if-empty`` makes it a no-op when any person exists, or when the registry demo it needs is
missing (so ``make run`` never fails on a database of real data).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minesafe.people.demo import build_people_demo, people_demo_blocker


class Command(BaseCommand):
    help = "Build demo rosters (五职矿长, 五科, special operators), training, drills and findings for the demo mines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when any person exists (or the registry demo is missing).")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (default 2024).")
        parser.add_argument("--allow-without-debug", action="store_true",
                            help="Build even though DEBUG is off (demo data on a disposable test server).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError("Refusing to build demo data with DEBUG off. Pass --allow-without-debug for a "
                               "disposable test server.")
        blocker = people_demo_blocker()
        if blocker:
            if options["if_empty"]:
                self.stdout.write(f"Demo rosters not built: {blocker}.")
                return
            raise CommandError(f"Demo rosters not built: {blocker}.")
        started = time.perf_counter()
        counts = build_people_demo(seed=options["seed"])
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"Demo rosters built in {elapsed:.1f} s: {counts['persons']} persons, {counts['posts']} posts at "
            f"{counts['mines']} mines, {counts['sessions']} training sessions and drills "
            f"({counts['attendance']} attendances)."))
        self.stdout.write(f"  {counts['findings']} findings; {counts['mines_to_halt']} mines to halt production")
        for text in counts["violations"].values():
            self.stdout.write(f"  violation: {text}")
