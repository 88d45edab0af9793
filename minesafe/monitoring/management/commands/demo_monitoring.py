"""manage.py demo_monitoring — demo sensors, a day of simulated history, alarms and falsification flags
over the registry demo (``minesafe.monitoring.demo``).

``--if-empty`` makes it a no-op when any sensor exists, or when the registry demo it needs is missing
(so ``make run`` never fails on a database of real data).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from minesafe.core.management.demo import DemoCommand
from minesafe.monitoring.demo import HISTORY_HOURS, build_monitoring_demo, monitoring_demo_blocker


class Command(DemoCommand):
    title = "Demo monitoring"
    exists = "any sensor exists"
    help = ("Build demo monitoring: sensors for every mine, gateways for the demo enterprise, a day of simulated "
            "readings with injected episodes for the demo county, then alarms and falsification flags.")

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=HISTORY_HOURS,
                            help=f"Hours of history to simulate (default {HISTORY_HOURS}).")

    def blocker(self) -> str:
        return monitoring_demo_blocker()

    def build(self, **options: Any) -> None:
        if options["hours"] < 1:
            raise CommandError("--hours must be at least 1")
        verbose = options["verbosity"] >= 2
        counts = build_monitoring_demo(seed=options["seed"], hours=options["hours"],
                                       stdout=self.stdout.write if verbose else None)
        alarms = ", ".join(f"{kind} {n}" for kind, n in sorted(counts["alarms"].items())) or "none"
        flags = ", ".join(f"{pattern} {n}" for pattern, n in sorted(counts["flags"].items())) or "none"
        self.stdout.write(self.style.SUCCESS(
            f"Demo monitoring built in {counts['seconds']:.1f} s: {counts['sensors']} sensors at {counts['mines']} "
            f"mines, {counts['gateways']} gateways (tokens not shown), {counts['readings']:,} readings of "
            f"{options['hours']} h at {counts['history_mines']} mines; alarms: {alarms} ({counts['open_alarms']} "
            f"open); falsification flags: {flags}."))
        if verbose:
            for name, kind, sensors in counts["episodes"]:
                self.stdout.write(f"  episode at {name}: {kind} ({', '.join(sensors)})")
