"""Authorization-matrix entry of the 动态清零 dashboard (merged by core/tests/test_authz_matrix.py).

The route is mounted by the hazard UI pages (``hazards/urls.py``); until it is, declaring it would
make the matrix fail with a stale entry, so it is declared only when it resolves.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from minesafe.testing.authz import BUSINESS, Route, r


def _routes() -> dict[str, Route]:
    try:
        reverse("hazards:dashboard")
    except NoReverseMatch:
        return {}
    return {"hazards:dashboard": r(BUSINESS)}


UI_ROUTES = _routes()
