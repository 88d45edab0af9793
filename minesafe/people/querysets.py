"""Scoped querysets for people: enterprises see their own staff, regulators the staff of mines in
their division and below."""

from __future__ import annotations

from django.db.models import Q

from minesafe.core.querysets import ScopedQuerySet, code_prefix_q


class PersonQuerySet(ScopedQuerySet):
    """A person belongs to an enterprise; a regulator sees them through a post at a mine in its division."""

    division_field = "enterprise__division__code"  # unused: regulator_filter goes through posts
    organisation_field = "enterprise__organisation_id"

    def regulator_filter(self, prefix: str) -> Q:
        if not prefix:
            return Q()
        from minesafe.people.models import Post  # same app; the model module imports this one

        at_mines_here = Post.objects.filter(code_prefix_q("mine__county__code", prefix)).values("person_id")
        return Q(pk__in=at_mines_here)


class MineScopedQuerySet(ScopedQuerySet):
    """Rows hanging off a mine (posts, training sessions, checks, findings)."""

    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"

    def current(self) -> MineScopedQuerySet:
        return self.filter(end_date__isnull=True)


class AttendanceQuerySet(ScopedQuerySet):
    division_field = "session__mine__county__code"
    organisation_field = "session__mine__enterprise__organisation_id"
