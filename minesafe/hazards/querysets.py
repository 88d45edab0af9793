"""Scoped querysets for the hazard ledger (through the hazard's mine)."""

from __future__ import annotations

import datetime as dt
from typing import Self

from minesafe.core.querysets import ScopedQuerySet


class HazardQuerySet(ScopedQuerySet):
    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"

    def open(self) -> Self:
        return self.exclude(status="closed")

    def overdue(self, today: dt.date) -> Self:
        """Open hazards whose latest approved deadline has passed (rules.hazards.is_overdue)."""
        return self.open().filter(deadline__lt=today)


class ByHazardQuerySet(ScopedQuerySet):
    division_field = "hazard__mine__county__code"
    organisation_field = "hazard__mine__enterprise__organisation_id"


class ByMineQuerySet(ScopedQuerySet):
    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"
