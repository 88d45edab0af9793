"""Scoped querysets for the registry."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from minesafe.core.querysets import ScopedQuerySet


class EnterpriseQuerySet(ScopedQuerySet):
    """A regulator sees an enterprise registered in its division or owning a mine there."""

    division_field = "division__code"
    organisation_field = "organisation_id"

    def regulator_filter(self, prefix: str) -> Q:
        if not prefix:
            return Q()
        from minesafe.registry.models import Mine  # same app; the model module imports this one

        has_mine = Exists(Mine.objects.filter(enterprise=OuterRef("pk"), county__code__startswith=prefix))
        return Q(division__code__startswith=prefix) | Q(has_mine)


class MineQuerySet(ScopedQuerySet):
    division_field = "county__code"
    organisation_field = "enterprise__organisation_id"


class StatusChangeQuerySet(ScopedQuerySet):
    division_field = "mine__county__code"
    organisation_field = "mine__enterprise__organisation_id"
