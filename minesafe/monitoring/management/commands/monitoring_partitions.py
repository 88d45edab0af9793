"""manage.py monitoring_partitions [--ensure] [--drop-older-than-months [N]] — keep the readings table's
monthly partitions (PostgreSQL) in shape; run daily from cron.

``--ensure`` creates the partitions from ``--back`` months before to ``--ahead`` months after today
(readings outside them still land in the default partition). ``--drop-older-than-months N`` (N = 3
when given without a value: DOMAIN §4.3, real-time values of important points kept ≥ 3 months)
drops the whole months older than the retention; on SQLite it deletes those rows. Minute aggregates
are not touched (kept ≥ 2 years for charts).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from minesafe.monitoring import partitions

RETENTION_MONTHS = 3  # DOMAIN §4.3 (proposal adopted in substance into AQ 6201-2019; final text [U])


class Command(BaseCommand):
    help = "Create the coming monthly partitions of the readings table and drop the expired ones."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--ensure", action="store_true", help="create the partitions around today")
        parser.add_argument("--back", type=int, default=3, help="months before today to create (with --ensure)")
        parser.add_argument("--ahead", type=int, default=2, help="months after today to create (with --ensure)")
        parser.add_argument("--drop-older-than-months", type=int, nargs="?", const=RETENTION_MONTHS, default=None,
                            metavar="N", help=f"drop months older than N months (default {RETENTION_MONTHS})")

    def handle(self, *args: Any, **options: Any) -> None:
        keep = options["drop_older_than_months"]
        if not options["ensure"] and keep is None:
            raise CommandError("nothing to do: give --ensure and/or --drop-older-than-months [N]")
        if keep is not None and keep < 1:
            raise CommandError("--drop-older-than-months must be at least 1")
        if options["ensure"]:
            if connection.vendor != "postgresql":
                self.stdout.write("SQLite: the readings table is not partitioned, nothing to create")
            else:
                created = partitions.ensure(connection, back=options["back"], ahead=options["ahead"])
                self.stdout.write(f"created: {', '.join(created) or 'none (all present)'}")
        if keep is not None:
            dropped = partitions.drop_older_than(connection, keep)
            self.stdout.write(f"dropped (older than {keep} months): {', '.join(dropped) or 'none'}")
