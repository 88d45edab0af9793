"""manage.py audit_verify — walk the hash chain and report the first broken link (exit 1 if broken)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from minesafe.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log hash chain; exits non-zero at the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.checked} entries verified"))
            return
        brk = result.first_break
        assert brk is not None
        where = f"entry #{brk.entry_id}" if brk.entry_id is not None else "chain head"
        raise CommandError(f"audit chain BROKEN at {where}: {brk.reason} ({result.checked} entries intact before it)")
