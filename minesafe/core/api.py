"""API framework: DomainError and validation errors → JSON answers with the right status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.pagination import LimitOffsetPagination
from pydantic import ConfigDict

from minesafe.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, RateLimited

__all__ = ["BoundedPagination", "StrictSchema", "install_error_handlers"]


class StrictSchema(Schema):
    """Request bodies: unknown fields and non-object bodies are 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class BoundedPagination(LimitOffsetPagination):
    """limit ≤ 500 and a bounded offset, so huge numbers are a 422 rather than a database overflow."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=100_000_000)


def _loc_field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data", "form", "file")]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    """422 with ``{"detail", "errors": {field: [messages]}}`` for bad input; never a 500 for it."""

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for err in exc.errors:
            errors.setdefault(_loc_field(err.get("loc", ())), []).append(str(err.get("msg", "invalid")))
        return api.create_response(request, {"detail": "输入有误", "errors": errors}, status=422)

    @api.exception_handler(FieldErrors)
    def _fields(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
        return api.create_response(request, {"detail": "输入有误", "errors": exc.errors}, status=422)

    @api.exception_handler(PermissionDenied)
    def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": "无权执行此操作"}, status=403)

    @api.exception_handler(NotFound)
    def _missing(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return api.create_response(request, {"detail": "未找到"}, status=404)

    @api.exception_handler(RateLimited)
    def _limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = api.create_response(request, {"detail": str(exc), "retry_after": exc.retry_after}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(Conflict)
    def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=409)

    @api.exception_handler(AuthenticationError)
    def _unauth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, {"detail": "需要登录或有效的 API 令牌"}, status=401)
