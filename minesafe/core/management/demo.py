"""Base class of the ``demo_*`` commands: the DEBUG guard, ``--if-empty``, ``--seed`` and the blocker check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class DemoCommand(BaseCommand):
    """A command that builds demo data on top of the registry demo.

    Subclasses set ``title`` (e.g. "Demo tip-offs") and ``exists`` (what makes ``--if-empty`` a no-op, e.g.
    "any tip-off exists"), and implement :meth:`blocker` (why the demo cannot be built here, "" when it can)
    and :meth:`build`; :meth:`add_options` adds their own arguments. ``--if-empty`` turns a blocker into a
    message, so ``make run`` never fails on a database of real data.
    """

    title = "Demo data"
    exists = "the demo data exists"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help=f"Do nothing when {self.exists} (or the registry demo is missing).")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (default 2024).")
        parser.add_argument("--allow-without-debug", action="store_true",
                            help="Build even though DEBUG is off (demo data on a disposable test server).")
        self.add_options(parser)

    def add_options(self, parser: CommandParser) -> None:
        """Arguments of the subclass."""

    def blocker(self) -> str:
        raise NotImplementedError

    def build(self, **options: Any) -> None:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError("Refusing to build demo data with DEBUG off. Pass --allow-without-debug for a "
                               "disposable test server.")
        blocker = self.blocker()
        if blocker:
            if options["if_empty"]:
                self.stdout.write(f"{self.title} not built: {blocker}.")
                return
            raise CommandError(f"{self.title} not built: {blocker}.")
        self.build(**options)
