"""manage.py demo_hazards — build the demo hazard ledger on top of the registry demo (``manage.py demo``).

``--if-empty`` makes it a no-op when any hazard exists, or when the registry demo it needs is
missing (so ``make run`` never fails on a database of real data).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser

from minesafe.core.management.demo import DemoCommand
from minesafe.hazards.demo import DEFAULT_HAZARDS, build_hazard_demo, hazard_demo_blocker


class Command(DemoCommand):
    title = "Demo hazard ledger"
    exists = "any hazard exists"
    help = "Build the demo hazard ledger (重大事故隐患台账) over the registry demo's mines, last three years."

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--hazards", type=int, default=DEFAULT_HAZARDS,
                            help=f"Number of hazards (default {DEFAULT_HAZARDS}).")

    def blocker(self) -> str:
        return hazard_demo_blocker()

    def build(self, **options: Any) -> None:
        if options["hazards"] < 1:
            raise CommandError("--hazards must be at least 1")
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
