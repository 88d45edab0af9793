"""Scoped querysets for the hazard ledger (through the hazard's mine)."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db.models import Q

from minesafe.core.querysets import ScopedQuerySet


class HazardQuerySet(ScopedQuerySet):
    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"

    def open(self) -> Self:
        return self.exclude(status="closed")

    @staticmethod
    def overdue_q(today: dt.date) -> Q:
        """Open hazards whose latest approved deadline has passed, except those awaiting verification
        after an application made in time (rules.hazards.is_overdue; Hazard.is_overdue for one row)."""
        return Q(deadline__lt=today, deadline_met=False) & ~Q(status="closed")

    def overdue(self, today: dt.date) -> Self:
        """The hazards :meth:`overdue_q` selects."""
        return self.filter(self.overdue_q(today))


class ByHazardQuerySet(ScopedQuerySet):
    division_field = "hazard__mine__county__code"
    organisation_field = "hazard__mine__enterprise__organisation_id"


class ByMineQuerySet(ScopedQuerySet):
    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"
