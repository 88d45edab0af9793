"""Request helpers shared by the apps."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

__all__ = ["client_address"]


def client_address(request: HttpRequest) -> str:
    """The client's address as a string (``""`` when unknown), for rate limits and logs.

    ``REMOTE_ADDR`` by default. Behind a reverse proxy, ``settings.CLIENT_IP_HEADER`` names the
    ``request.META`` key in which the proxy passes the client's address (e.g. ``HTTP_X_REAL_IP``);
    its first comma-separated entry is used, stripped, falling back to ``REMOTE_ADDR`` when the
    header is missing or empty. Only set it behind a proxy that overwrites the header: otherwise a
    client can put any address there.
    """
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        first = str(request.META.get(header, "")).split(",", 1)[0].strip()
        if first:
            return first
    return str(request.META.get("REMOTE_ADDR", "") or "").strip()
