"""Scoped-by-default querysets: the one place that decides which rows a user may see."""

from __future__ import annotations

from typing import Any, Self

from django.db import models
from django.db.models import Q

from minesafe.core.scope import NO_SCOPE, Scope

__all__ = ["ScopedQuerySet", "code_prefix_q", "scope_of"]


COUNTY_CODE_LENGTH = 6


def _next_prefix(prefix: str) -> str | None:
    """The smallest digit string above every string starting with ``prefix`` ("2103" → "2104",
    "2109" → "211"); None when there is none ("99")."""
    digits = prefix.rstrip("9")
    if not digits or digits[-1] not in "012345678":
        return None
    return digits[:-1] + str(int(digits[-1]) + 1)


def code_prefix_q(field: str, prefix: str) -> Q:
    """Rows whose division code in ``field`` starts with ``prefix``, in a form an index can serve.

    A bare ``startswith`` is ``LIKE 'p%'``, which SQLite (case-insensitive LIKE) and PostgreSQL
    (non-C collations) answer with a full scan, and whose row estimate misleads PostgreSQL's planner.
    Division codes are digit strings (2, 4 or 6 digits), so "starts with the prefix" is exactly the
    half-open range [prefix, next prefix); a county code (6 digits, the leaves) is an equality.
    Exactness is checked against Python's ``startswith`` on the real table in
    core/tests/test_querysets.py.
    """
    if not prefix:
        return Q()
    if len(prefix) == COUNTY_CODE_LENGTH:
        # County codes are the leaves of the tree (nothing below them): the prefix is the code itself.
        return Q(**{field: prefix})
    upper = _next_prefix(prefix) if prefix.isascii() and prefix.isdigit() else None
    if upper is None:
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def scope_of(user: Any) -> Scope:
    """Return the user's :class:`Scope`; anonymous or inactive users get no scope."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return NO_SCOPE
    return getattr(user, "scope", NO_SCOPE)


class ScopedQuerySet(models.QuerySet):
    """Queryset with ``visible_to(user)``.

    Subclasses declare ``division_field`` (a lookup ending in a division code, e.g. ``"county__code"``)
    and ``organisation_field`` (a lookup to the owning enterprise organisation id). They may override
    :meth:`regulator_filter` when a row is reachable through more than one division.
    """

    division_field: str = ""
    organisation_field: str = ""

    def regulator_filter(self, prefix: str) -> Q:
        return code_prefix_q(self.division_field, prefix)  # "" (national) → everything

    def enterprise_filter(self, organisation_id: int) -> Q:
        return Q(**{self.organisation_field: organisation_id})

    def visible_to(self, user: Any) -> Self:
        scope = scope_of(user)
        if scope.is_regulator and self.division_field:
            return self.filter(self.regulator_filter(scope.division_prefix))
        if scope.is_enterprise and self.organisation_field and scope.organisation_id is not None:
            return self.filter(self.enterprise_filter(scope.organisation_id))
        return self.none()
