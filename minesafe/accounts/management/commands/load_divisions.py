"""manage.py load_divisions — add any division missing from the shipped table (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division


class Command(BaseCommand):
    help = "Load the national administrative-division table (province → city → county)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_divisions(Division)
        self.stdout.write(f"{created} divisions created; {Division.objects.count()} in total")
