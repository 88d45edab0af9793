"""The /api/v1/ root: mounts each app's router. OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from minesafe.accounts.api import router as accounts_router
from minesafe.accounts.api_auth import BearerAuth, SessionUserAuth
from minesafe.core.api import install_error_handlers
from minesafe.hazards.api import router as hazards_router
from minesafe.monitoring.api import router as monitoring_router
from minesafe.people.api import router as people_router
from minesafe.registry.api import router as registry_router
from minesafe.tipoffs.api import router as tipoffs_router

api = NinjaAPI(
    title="MineSafe API",
    version="1",
    description="矿安治本监管平台 API. Authenticate with `Authorization: Bearer <token>` (issue one on "
    "the API tokens page) or a browser session. Every list is scoped to what the caller may see.",
    auth=[BearerAuth(), SessionUserAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/", registry_router)
api.add_router("/", hazards_router)
api.add_router("/", people_router)
api.add_router("/", tipoffs_router)
api.add_router("/", monitoring_router)
