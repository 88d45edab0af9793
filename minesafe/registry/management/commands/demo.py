"""manage.py demo — build the 辽宁省 demo jurisdiction (regulators, enterprises, mines, demo logins).

``--if-empty`` makes it a no-op when the database already has mines (``make run`` uses it).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minesafe.registry.demo import build_demo, demo_blocker

_SECTOR_LABELS = {"coal": "煤矿", "metal_underground": "金属非金属地下矿山", "metal_open_pit": "金属非金属露天矿山",
                  "tailings": "尾矿库"}


class Command(BaseCommand):
    help = "Build the demo jurisdiction (辽宁省, ~300 mines) with one login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when any mine (or demo user) already exists.")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (default 2024).")
        parser.add_argument("--mines", type=int, default=300, help="Number of mines (default 300).")
        parser.add_argument("--allow-without-debug", action="store_true",
                            help="Build even though DEBUG is off (the demo accounts share a public password).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError("Refusing to build demo data with DEBUG off: every demo account, the three "
                               "admins included, has the published password. Pass --allow-without-debug "
                               "for a disposable test server.")
        blocker = demo_blocker()
        if blocker:
            if options["if_empty"]:
                self.stdout.write(f"Demo data not built: {blocker}.")
                return
            raise CommandError(f"Demo data not built: {blocker}. Use a fresh database, or pass --if-empty.")
        if options["mines"] < 1:
            raise CommandError("--mines must be at least 1")
        started = time.perf_counter()
        try:
            counts = build_demo(seed=options["seed"], mines=options["mines"], stdout=self.stdout)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        sectors = "，".join(f"{_SECTOR_LABELS.get(k, k)} {v}" for k, v in sorted(counts["by_sector"].items()))
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(counts["by_status"].items()))
        self.stdout.write(self.style.SUCCESS(
            f"Demo built in {elapsed:.1f} s: {counts['mines']} mines, {counts['enterprises']} enterprises "
            f"({counts['groups']} groups), {counts['regulators']} regulators, {counts['users']} users."
        ))
        self.stdout.write(f"  sectors: {sectors}")
        self.stdout.write(f"  statuses: {statuses}; {counts['status_changes']} status changes recorded")
        self.stdout.write(f"  岫岩满族自治县: {counts['county_mines']} mines; demo enterprise: "
                          f"{counts['demo_enterprise_mines']} mines")
        self.stdout.write("Run `manage.py demo_logins` for the demo accounts.")
