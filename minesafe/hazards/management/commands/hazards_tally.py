"""manage.py hazards_tally [--rebuild] — check the per-county monthly hazard counters against the
ledger (exit status 1 when they differ), or rebuild them (after a bulk load that bypassed the services)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from minesafe.hazards import tally


class Command(BaseCommand):
    help = "Check (or with --rebuild, rebuild) the per-county monthly hazard counters the dashboards read."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rebuild", action="store_true", help="replace the counters by a fresh count")
        parser.add_argument("--division", default="", help="check only counties under this division code")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self.stdout.write(f"{tally.rebuild()} counter rows rebuilt from the ledger")
            return
        wrong = tally.differences(options["division"])
        for (county, found, closed), (stored, expected) in list(wrong.items())[:50]:
            self.stdout.write(f"{county} found {found} closed {closed or '-'}: stored {stored}, ledger {expected}")
        if wrong:
            raise CommandError(f"{len(wrong)} counters differ from the ledger; run with --rebuild")
        self.stdout.write("counters agree with the ledger")
