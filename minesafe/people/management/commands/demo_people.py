"""manage.py demo_people — demo rosters, training, drills and findings over the registry demo.

``--if-empty`` makes it a no-op when any person exists, or when the registry demo it needs is
missing (so ``make run`` never fails on a database of real data).
"""

from __future__ import annotations

import time
from typing import Any

from minesafe.core.management.demo import DemoCommand
from minesafe.people.demo import build_people_demo, people_demo_blocker


class Command(DemoCommand):
    title = "Demo rosters"
    exists = "any person exists"
    help = "Build demo rosters (五职矿长, 五科, special operators), training, drills and findings for the demo mines."

    def blocker(self) -> str:
        return people_demo_blocker()

    def build(self, **options: Any) -> None:
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
