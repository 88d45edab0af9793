"""manage.py demo_hazards — build the demo hazard ledger on top of the registry demo (``manage.py demo``).

``--if-empty`` makes it a no-op when any hazard exists, or when the registry demo it needs is
missing (so ``make run`` never fails on a database of real data).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minesafe.hazards.demo import DEFAULT_HAZARDS, build_hazard_demo, hazard_demo_blocker


class Command(BaseCommand):
    help = "Build the demo hazard ledger (重大事故隐患台账) over the registry demo's mines, last three years."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when any hazard exists (or the registry demo is missing).")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (default 2024).")
        parser.add_argument("--hazards", type=int, default=DEFAULT_HAZARDS,
                            help=f"Number of hazards (default {DEFAULT_HAZARDS}).")
        parser.add_argument("--allow-without-debug", action="store_true",
                            help="Build even though DEBUG is off (demo data on a disposable test server).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError("Refusing to build demo data with DEBUG off. Pass --allow-without-debug for a "
                               "disposable test server.")
        if options["hazards"] < 1:
            raise CommandError("--hazards must be at least 1")
        blocker = hazard_demo_blocker()
        if blocker:
            if options["if_empty"]:
                self.stdout.write(f"Demo hazard ledger not built: {blocker}.")
                return
            raise CommandError(f"Demo hazard ledger not built: {blocker}.")
        started = time.perf_counter()
        try:
            counts = build_hazard_demo(seed=options["seed"], hazards=options["hazards"], stdout=self.stdout)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(counts["by_status"].items()))
        sources = ", ".join(f"{k} {v}" for k, v in sorted(counts["by_source"].items()))
        self.stdout.write(self.style.SUCCESS(
            f"Demo hazard ledger built in {elapsed:.1f} s: {counts['hazards']} hazards at "
            f"{counts['mines_with_hazards']} mines."))
        self.stdout.write(f"  statuses: {statuses}")
        self.stdout.write(f"  sources: {sources}")
        self.stdout.write(
            f"  overdue {counts['overdue']}, listed {counts['listed']} ({counts['listings']} listings), extensions "
            f"approved {counts['extensions_approved']} / rejected {counts['extensions_rejected']}, "
            f"close-outs rejected {counts['closure_rejections']}")
        self.stdout.write(
            f"  closure proposals at {counts['closure_proposal_mines']} mines, repeat offences at "
            f"{counts['repeat_offence_mines']} mines, {counts['escalation_suggestions']} escalation suggestions")
        self.stdout.write(f"  self-inspections {counts['self_inspections']} "
                          f"({counts['missing_self_inspections']} months missing)")
