"""manage.py demo_tipoffs — demo tip-offs at every stage of the loop over the registry demo.

``--if-empty`` makes it a no-op when any tip-off exists, or when the registry demo it needs is
missing (so ``make run`` never fails on a database of real data).
"""

from __future__ import annotations

import time
from typing import Any

from minesafe.core.management.demo import DemoCommand
from minesafe.tipoffs.demo import build_tipoffs_demo, tipoffs_demo_blocker


class Command(DemoCommand):
    title = "Demo tip-offs"
    exists = "any tip-off exists"
    help = "Build demo tip-offs (举报) at every stage: received, accepted, verified, handled, answered, rewarded."

    def blocker(self) -> str:
        return tipoffs_demo_blocker()

    def build(self, **options: Any) -> None:
        started = time.perf_counter()
        counts = build_tipoffs_demo(seed=options["seed"])
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"Demo tip-offs built in {elapsed:.1f} s: {counts['total']} reports, {counts['hazards']} of them "
            f"entered in the hazard ledger."))
