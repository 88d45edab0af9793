"""Authorization-matrix entries for the hazard ledger's xlsx pages (minesafe/hazards/views_io.py).

Merged into ``core/tests/test_authz_matrix.py``. Only names that resolve are declared, so the matrix
never sees stale entries before the routes are mounted in ``hazards/urls.py``.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from minesafe.core.models import ImportJob
from minesafe.hazards.io import SELF_CHECK_IMPORT_KIND
from minesafe.testing.authz import BUSINESS, Route, r

# An import run belongs to its uploader alone: every other role holding hazards.import gets 404,
# roles without it 403 (kind "hazard_import" below).
_ROUTES: dict[str, tuple[Route, list[Any]]] = {
    "hazards:ledger_export": (r(BUSINESS), []),
    "hazards:import": (r(BUSINESS), []),
    "hazards:import_template": (r(BUSINESS), []),
    "hazards:import_job": (r(BUSINESS, obj="hazard_import"), [1]),
    "hazards:import_progress": (r(BUSINESS, obj="hazard_import"), [1]),
}


def _resolves(name: str, args: list[Any]) -> bool:
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


UI_ROUTES: dict[str, Route] = {name: route for name, (route, args) in _ROUTES.items() if _resolves(name, args)}


def objects(world: Any, kind: str | None, role: str) -> list[tuple[Any, bool]] | None:
    if kind == "hazard_import":
        runs = []
        for owner in ("ent_principal", "county_leader"):
            job = ImportJob.objects.create(kind=SELF_CHECK_IMPORT_KIND, actor=world.roles()[owner], filename="h.xlsx")
            runs.append((job.pk, role == owner))
        return runs
    return None
