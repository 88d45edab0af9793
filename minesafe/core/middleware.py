"""Request id, NUL rejection and interface language middleware."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation

_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Request id: taken from a well-formed X-Request-ID header or generated, echoed in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


def request_id_of(request: HttpRequest) -> str:
    """The id set by :class:`RequestIdMiddleware` (empty outside a request)."""
    return getattr(request, "request_id", "")


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user chose another language with the switcher (cookie set by set_language).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a regulator on an
    English-language browser would get English; the platform speaks Chinese first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class RejectNulMiddleware:
    """Answer 400 to a NUL character in the query string or a form/JSON body.

    PostgreSQL text cannot hold NUL, so such input would otherwise surface as a 500 deep in a query;
    no legitimate form or API value contains one. File uploads (multipart) are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in unquote(request.META.get("QUERY_STRING", "")) or "\x00" in request.path_info:
            return HttpResponseBadRequest("NUL character in the request")
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith("multipart/"):
            # Text fields of a multipart form (files are binary and may contain anything).
            if any("\x00" in value for _key, values in request.POST.lists() for value in values):
                return HttpResponseBadRequest("NUL character in the request")
        elif request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            encoded_nul = b"%00" if content_type.startswith("application/x-www-form-urlencoded") else b"\\u0000"
            if b"\x00" in body or encoded_nul in body.lower():
                return HttpResponseBadRequest("NUL character in the request")
        return self.get_response(request)
