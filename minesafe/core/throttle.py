"""Rate limiting in the database: count a client's recent attempts per scope (sliding window).

Typical use in a public view::

    ip = client_address(request)
    if not throttle.allowed("tipoffs.submit", ip, limit=5, window=dt.timedelta(hours=1)):
        wait = throttle.retry_after("tipoffs.submit", ip, limit=5, window=dt.timedelta(hours=1))
        raise RateLimited(..., retry_after=wait)
    throttle.record("tipoffs.submit", ip)

- A *scope* names what is limited (at most 40 characters, e.g. ``"tipoffs.submit"``); a *key* names
  who (a client address, a user name …). The key is never stored: each :class:`ThrottleHit` row
  holds ``HMAC-SHA256(k, scope + "\\n" + key)`` (hex), ``k`` derived from ``SECRET_KEY`` by Django's
  ``salted_hmac`` under this module's salt, so the table reveals neither addresses nor which two
  scopes a client used. Rotating ``SECRET_KEY`` forgets the recorded hits.
- :func:`allowed` is true while fewer than ``limit`` hits fall within ``window`` before ``now``
  (``now - window < at <= now``); :func:`retry_after` says how many seconds until it is true again.
  Checking and recording are separate calls, so two simultaneous requests may both pass at the
  limit: this slows a client down, it is not an exact quota.
- **Purging** is opportunistic: every :data:`PURGE_EVERY`-th :func:`record` in a process deletes hits
  older than :data:`KEEP` (two days), so no cron job is needed; :func:`purge` can also be called
  directly. Windows longer than :data:`KEEP` are refused with ``ValueError``, because purged hits
  would no longer be counted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import threading

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from minesafe.core.models import ThrottleHit

__all__ = ["KEEP", "PURGE_EVERY", "allowed", "clear", "purge", "record", "retry_after"]

KEEP = dt.timedelta(days=2)
"""Hits older than this are purged; also the longest window :func:`allowed` accepts."""
PURGE_EVERY = 200
""":func:`record` purges old hits on every ``PURGE_EVERY``-th call in a process."""

_SALT = "minesafe.core.throttle"
_SCOPE_MAX = ThrottleHit._meta.get_field("scope").max_length
_calls = itertools.count(1)
_calls_lock = threading.Lock()


def _digest(scope: str, key: str) -> str:
    if not scope or len(scope) > _SCOPE_MAX:
        raise ValueError(f"throttle scope must be 1–{_SCOPE_MAX} characters: {scope!r}")
    return salted_hmac(_SALT, f"{scope}\n{key}", algorithm="sha256").hexdigest()


def _check_window(limit: int, window: dt.timedelta) -> None:
    if limit < 1:
        raise ValueError(f"throttle limit must be at least 1, got {limit}")
    if not dt.timedelta(0) < window <= KEEP:
        raise ValueError(f"throttle window must be positive and at most {KEEP}, got {window}")


def _hits(scope: str, key: str, window: dt.timedelta, now: dt.datetime) -> QuerySet[ThrottleHit]:
    return ThrottleHit.objects.filter(scope=scope, key=_digest(scope, key), at__gt=now - window, at__lte=now)


def allowed(scope: str, key: str, *, limit: int, window: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """True when fewer than ``limit`` hits of ``key`` in ``scope`` fall within ``window`` before ``now``."""
    _check_window(limit, window)
    now = now or timezone.now()
    return _hits(scope, key, window, now)[:limit].count() < limit


def record(scope: str, key: str, *, now: dt.datetime | None = None) -> None:
    """Count one hit of ``key`` in ``scope`` at ``now``; now and then purges old hits (module docstring)."""
    now = now or timezone.now()
    ThrottleHit.objects.create(scope=scope, key=_digest(scope, key), at=now)
    with _calls_lock:
        due = next(_calls) % PURGE_EVERY == 0
    if due:
        purge(now=now)


def retry_after(scope: str, key: str, *, limit: int, window: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Whole seconds until :func:`allowed` is true again (0 when it is true now, else at least 1)."""
    _check_window(limit, window)
    now = now or timezone.now()
    # Newest first: once the limit-th newest hit leaves the window, limit - 1 hits remain in it.
    times = list(_hits(scope, key, window, now).order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) < limit:
        return 0
    return max(1, math.ceil((times[limit - 1] + window - now).total_seconds()))


def clear(scope: str, key: str) -> None:
    """Forget every hit of ``key`` in ``scope`` (e.g. after a successful login)."""
    ThrottleHit.objects.filter(scope=scope, key=_digest(scope, key)).delete()


def purge(older_than: dt.timedelta = KEEP, now: dt.datetime | None = None) -> int:
    """Delete hits older than ``older_than`` before ``now``; returns how many were deleted."""
    now = now or timezone.now()
    deleted, _by_model = ThrottleHit.objects.filter(at__lt=now - older_than).delete()
    return deleted
