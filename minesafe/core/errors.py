"""Domain errors raised by services and mapped to form errors, 403/404 pages and 422 bodies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from minesafe.rules import Verdict

__all__ = ["Conflict", "DomainError", "FieldErrors", "NotFound", "PermissionDenied", "RateLimited"]


class DomainError(Exception):
    """Base class for errors a service raises on purpose."""


class PermissionDenied(DomainError):
    """The actor's role or scope does not allow this action (HTTP 403)."""


class NotFound(DomainError):
    """The object does not exist or is outside the actor's scope (HTTP 404)."""


class Conflict(DomainError):
    """Someone else changed the object first (compare-and-set failed, HTTP 409)."""


class RateLimited(DomainError):
    """Too many attempts from one client; ``retry_after`` seconds until the next is accepted (HTTP 429).
    ``str(exc)`` is the message for the user."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)


class FieldErrors(DomainError):
    """Input or rule violations keyed by field; ``"__all__"`` holds object-level errors (HTTP 422)."""

    def __init__(self, errors: Mapping[str, Iterable[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items() if list(v)}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))

    @classmethod
    def from_verdict(cls, verdict: Verdict) -> FieldErrors:
        return cls(verdict.field_errors())

    @classmethod
    def single(cls, field: str, message: str) -> FieldErrors:
        return cls({field: [message]})
