"""URL map. Every route must also appear in minesafe/core/tests/test_authz_matrix.py."""

from django.urls import include, path

from minesafe.api import api
from minesafe.registry import views as registry_views

urlpatterns = [
    path("", registry_views.home, name="home"),
    path("accounts/", include("minesafe.accounts.urls")),
    path("registry/", include("minesafe.registry.urls")),
    path("hazards/", include("minesafe.hazards.urls")),
    path("people/", include("minesafe.people.urls")),
    path("tipoffs/", include("minesafe.tipoffs.urls")),
    path("report/", include("minesafe.tipoffs.urls_public")),
    path("monitoring/", include("minesafe.monitoring.urls")),
    path("", include("minesafe.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
