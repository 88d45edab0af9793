"""manage.py falsification_eval [--seeds 1000-1019] [--days 3] — precision and recall of the falsification
detectors per pattern on the labelled simulated data set (``falsification.evaluate``).

The detector parameters were tuned on training seeds 0–19; the default seeds 1000–1019 are held out.
Each seed simulates a low-gas, a high-gas and an outburst coal mine, a halted coal mine and a tailings
pond for ``--days`` days with random falsifications and honest confounders (``simulator.random_events``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from minesafe.monitoring.falsification import DEFAULT_PARAMS, PATTERNS, evaluate


def parse_seeds(text: str) -> list[int]:
    """"1000-1019" or "1,2,5-7" → list of seeds."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part[1:]:
                lo, hi = part.split("-", 1) if not part.startswith("-") else (part, part)
                seeds.extend(range(int(lo), int(hi) + 1))
            else:
                seeds.append(int(part))
    except ValueError as exc:
        raise CommandError(f"bad --seeds {text!r}: use e.g. 1000-1019 or 1,2,5-7") from exc
    if not seeds:
        raise CommandError("no seeds")
    return seeds


class Command(BaseCommand):
    help = "Precision and recall of the falsification detectors per pattern on simulated, labelled data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seeds", default="1000-1019",
                            help="seeds to evaluate (held out: 1000-1019; the parameters were tuned on 0-19)")
        parser.add_argument("--days", type=int, default=3, help="days simulated per mine")

    def handle(self, *args: Any, **options: Any) -> None:
        seeds = parse_seeds(options["seeds"])
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        t0 = time.monotonic()
        details: list[dict[str, Any]] = []
        scores = evaluate(seeds, DEFAULT_PARAMS, days=options["days"], details=details)
        elapsed = time.monotonic() - t0
        other = dict.fromkeys(PATTERNS, 0)
        for d in details:
            if d["type"] == "flag" and d["on_other_fake"]:
                other[d["flag"].pattern] += 1
        contiguous = seeds == list(range(seeds[0], seeds[-1] + 1))
        label = f"{seeds[0]}-{seeds[-1]}" if contiguous else ",".join(map(str, seeds))
        self.stdout.write(f"seeds {label} ({len(seeds)} × 5 mines × {options['days']} days), {elapsed:.0f} s")
        self.stdout.write(f"{'pattern':<12} {'events':>6} {'tp':>5} {'fp':>5} {'fn':>5} {'precision':>9} {'recall':>7}"
                          f"  fp on another fake")
        for p in PATTERNS:
            s = scores[p]
            self.stdout.write(f"{p:<12} {s.tp + s.fn:>6} {s.tp:>5} {s.fp:>5} {s.fn:>5} {s.precision:>9.3f} "
                              f"{s.recall:>7.3f}  {other[p]}")
