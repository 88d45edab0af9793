"""The health check (the only framework page; business and admin pages live in their apps)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


def health(request: HttpRequest) -> HttpResponse:
    """Liveness/readiness for a load balancer: answers 200 when the database responds."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
