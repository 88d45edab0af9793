"""manage.py monitoring_dropfolder --folder PATH [--loop] — import CDDY/CDSS upload files (DOMAIN §5).

Each pass takes the folder's ``*.txt`` files oldest first and moves them to ``done/`` or ``failed/``
(with a ``.reason.txt``); see minesafe.monitoring.dropfolder. With ``--loop`` it polls every
``--interval`` seconds and waits ``--settle`` seconds after a file's last change before reading it;
a database outage leaves the files in place for the next pass.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from minesafe.monitoring.dropfolder import process_folder

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Import networked monitoring upload files (CDDY point definitions, CDSS real-time values) from a folder."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--folder", required=True, help="the drop folder")
        parser.add_argument("--loop", action="store_true", help="keep polling the folder")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes with --loop")
        parser.add_argument("--settle", type=float, default=None,
                            help="skip files changed less than this many seconds ago (default 2 with --loop, else 0)")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        settle = options["settle"] if options["settle"] is not None else (2.0 if options["loop"] else 0.0)
        while True:
            try:
                for outcome in process_folder(folder, settle_seconds=settle):
                    detail = outcome.reason or (f"stored {outcome.stored}, duplicates {outcome.duplicates}"
                                                if outcome.type == "CDSS" else
                                                f"points created {outcome.created}, updated {outcome.updated}")
                    extra = f", {len(outcome.rejected)} records rejected" if outcome.rejected else ""
                    self.stdout.write(f"{outcome.name}: {outcome.status} ({detail}{extra})")
            except DatabaseError as exc:
                if not options["loop"]:
                    raise CommandError(f"database error, files left in place: {exc}") from exc
                log.warning("database error, retrying on the next pass: %s", exc)
                connection.close()
            if not options["loop"]:
                return
            time.sleep(options["interval"])
