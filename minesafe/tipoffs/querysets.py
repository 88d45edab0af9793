"""Scoping of the tip-off register: regulators see their division and below; nobody else sees anything."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.db.models import Q

from minesafe.core.querysets import ScopedQuerySet


class TipoffQuerySet(ScopedQuerySet):
    # Enterprises never see reports or reporters (no organisation_field: visible_to gives them none).
    division_field = "division_id"

    @staticmethod
    def overdue_q(today: dt.date) -> Q:
        """Reports past a deadline (rules.tipoffs.overdue_flags, written as a query)."""
        return (
            Q(status="received", accept_due__lt=today)
            | Q(status__in=("accepted", "verifying", "verified"), handling_due__lt=today)
            | Q(status__in=("verified", "handled"), answer_due__lt=today)
        )

    def overdue(self, today: dt.date) -> Self:
        return self.filter(self.overdue_q(today))

    def active(self) -> Self:
        return self.exclude(status__in=("closed", "merged"))


class ByTipoffQuerySet(ScopedQuerySet):
    division_field = "tipoff__division_id"
