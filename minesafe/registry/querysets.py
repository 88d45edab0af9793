"""Scoped querysets for the registry."""

from __future__ import annotations

from django.db.models import Q

from minesafe.core.querysets import ScopedQuerySet, code_prefix_q


class EnterpriseQuerySet(ScopedQuerySet):
    """A regulator sees an enterprise registered in its division or owning a mine there."""

    division_field = "division__code"
    organisation_field = "organisation_id"

    def regulator_filter(self, prefix: str) -> Q:
        if not prefix:
            return Q()
        from minesafe.registry.models import Mine  # same app; the model module imports this one

        with_mines_here = Mine.objects.filter(code_prefix_q("county__code", prefix)).values("enterprise_id")
        return code_prefix_q("division__code", prefix) | Q(pk__in=with_mines_here)


class MineQuerySet(ScopedQuerySet):
    division_field = "county__code"
    organisation_field = "enterprise__organisation_id"


class StatusChangeQuerySet(ScopedQuerySet):
    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"
