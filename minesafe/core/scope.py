"""The scope contract between accounts (who the user is) and every scoped queryset.

``accounts.User.scope`` builds a :class:`Scope`; :class:`minesafe.core.querysets.ScopedQuerySet`
reads it. Keeping the dataclass here lets core stay free of any accounts import.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NO_SCOPE", "Scope"]


@dataclass(frozen=True)
class Scope:
    """What business data a user may read.

    kind: "regulator" (a division and everything below it), "enterprise" (its own organisation's
    data) or "none" (anonymous users and the three separated admin roles, who read no business data).
    division_prefix: administrative-division code prefix; "" for the national level.
    """

    kind: str
    division_prefix: str = ""
    organisation_id: int | None = None

    @property
    def is_regulator(self) -> bool:
        return self.kind == "regulator"

    @property
    def is_enterprise(self) -> bool:
        return self.kind == "enterprise"


NO_SCOPE = Scope(kind="none")
