"""manage.py monitoring_engine [--shard i/n] [--once] [--interval-ms 200] [--falsification-every 600]

The alarm engine worker of one shard of mines (``minesafe.monitoring.worker``): reads the stored
readings in arrival order, evaluates them and the clock, stores alarm transitions; every
``--falsification-every`` seconds it also runs the falsification detectors over the last day.
Run one process per shard (``--shard 0/4`` … ``3/4``); a shard may be moved to another machine at
any time, its state is rebuilt from the database.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from minesafe.monitoring import worker


class Command(BaseCommand):
    help = "Turn stored monitoring readings into alarms (one shard of mines) and scan for falsified data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--shard", default="0/1", help="i/n: the mines with id %% n == i (default 0/1: all)")
        parser.add_argument("--once", action="store_true",
                            help="process the readings waiting now (and one falsification scan), then exit")
        parser.add_argument("--interval-ms", type=int, default=200,
                            help="pause between polls when caught up (default 200)")
        parser.add_argument("--falsification-every", type=int, default=600,
                            help="seconds between falsification scans (0: never; default 600)")
        parser.add_argument("--max-rows", type=int, default=50_000, help="readings per batch (default 50000)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            shard = worker.Shard.parse(options["shard"])
        except ValueError as exc:
            raise CommandError(f"--shard: {exc}") from None
        every = max(0, options["falsification_every"])
        interval = max(0, options["interval_ms"]) / 1000
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        if not options["once"]:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        state = None
        next_scan = 0.0
        pending: list[int] = []
        totals = {"rows": 0, "opened": 0, "closed": 0, "flags": 0}
        while not stopping:
            try:
                state, stats = worker.run_once(shard, state, max_rows=options["max_rows"])
            except Exception as exc:  # a lost connection, a deadlock: log, back off, rebuild, go on
                if options["once"]:
                    raise
                self.stderr.write(f"{shard.name}: {exc!r}")
                close_old_connections()
                state = None
                time.sleep(max(interval, 1.0))
                continue
            for key in ("rows", "opened", "closed"):
                totals[key] += stats[key]
            if stats["opened"] or stats["closed"]:
                self.stdout.write(f"{shard.name}: {stats['rows']} readings, {stats['opened']} alarms opened, "
                                  f"{stats['closed']} closed, cursor {stats['last_seq']}")
            if every and not pending and time.monotonic() >= next_scan:
                pending = worker.shard_mine_ids(shard)  # one mine per round: alarms keep flowing
                next_scan = time.monotonic() + every
            if pending:
                mine_id = pending.pop(0)
                try:
                    flags = worker.scan_falsification(shard, mine_ids=[mine_id])
                except Exception as exc:  # one mine's data must not stop the alarms of the others
                    if options["once"]:
                        raise
                    self.stderr.write(f"{shard.name}: falsification scan of mine {mine_id}: {exc!r}")
                    flags = 0
                totals["flags"] += flags
                if flags:
                    self.stdout.write(f"{shard.name}: mine {mine_id}: {flags} falsification flags stored")
                if options["once"] and pending:
                    continue
            if stats["more"]:
                continue
            if options["once"]:
                break
            close_old_connections()
            time.sleep(interval)
        self.stdout.write(f"{shard.name}: {totals['rows']} readings, {totals['opened']} alarms opened, "
                          f"{totals['closed']} closed, {totals['flags']} falsification flags")
