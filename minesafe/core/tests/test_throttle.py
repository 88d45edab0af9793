"""core.throttle: sliding-window counts per scope and key, stored as HMACs, purged opportunistically."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minesafe.core import throttle
from minesafe.core.models import ThrottleHit

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_limit_within_a_sliding_window() -> None:
    for minute in (0, 10, 20):
        assert throttle.allowed("tipoffs.submit", "203.0.113.7", limit=3, window=HOUR, now=_at(minute))
        throttle.record("tipoffs.submit", "203.0.113.7", now=_at(minute))
    assert not throttle.allowed("tipoffs.submit", "203.0.113.7", limit=3, window=HOUR, now=_at(30))
    # another client, another scope: counted apart
    assert throttle.allowed("tipoffs.submit", "203.0.113.8", limit=3, window=HOUR, now=_at(30))
    assert throttle.allowed("tipoffs.lookup", "203.0.113.7", limit=3, window=HOUR, now=_at(30))
    # the first hit leaves the window at exactly 60 minutes
    assert not throttle.allowed("tipoffs.submit", "203.0.113.7", limit=3, window=HOUR, now=_at(59.9))
    assert throttle.allowed("tipoffs.submit", "203.0.113.7", limit=3, window=HOUR, now=_at(60))
    # hits after `now` do not count (a check "in the past")
    assert throttle.allowed("tipoffs.submit", "203.0.113.7", limit=1, window=HOUR, now=_at(-1))


def test_retry_after_counts_down_to_the_moment_it_is_allowed_again() -> None:
    for minute in (0, 10, 20):
        throttle.record("s", "k", now=_at(minute))
    assert throttle.retry_after("s", "k", limit=4, window=HOUR, now=_at(30)) == 0
    assert throttle.retry_after("s", "k", limit=3, window=HOUR, now=_at(30)) == 30 * 60  # first hit leaves at 60
    assert throttle.retry_after("s", "k", limit=2, window=HOUR, now=_at(30)) == 40 * 60  # second at 70
    assert throttle.retry_after("s", "k", limit=3, window=HOUR, now=_at(59.99)) == 1  # rounded up, never 0
    now = _at(30) + dt.timedelta(seconds=throttle.retry_after("s", "k", limit=2, window=HOUR, now=_at(30)))
    assert throttle.allowed("s", "k", limit=2, window=HOUR, now=now)


def test_the_raw_key_is_never_stored(settings) -> None:
    throttle.record("tipoffs.submit", "203.0.113.7")
    hit = ThrottleHit.objects.get()
    assert hit.scope == "tipoffs.submit" and len(hit.key) == 64 and "203.0.113.7" not in hit.key
    int(hit.key, 16)
    # keyed with SECRET_KEY: the same address gives another value under another secret
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    throttle.record("tipoffs.submit", "203.0.113.7")
    assert ThrottleHit.objects.values("key").distinct().count() == 2
    # scope and key are separated: ("ab", "c") is not ("a", "bc")
    throttle.record("ab", "c")
    throttle.record("a", "bc")
    assert ThrottleHit.objects.values("key").distinct().count() == 4
    assert timezone.now() - hit.at < dt.timedelta(minutes=1)


def test_clear_forgets_one_client_in_one_scope() -> None:
    for key in ("a", "a", "b"):
        throttle.record("login", key, now=_at(0))
    throttle.record("other", "a", now=_at(0))
    throttle.clear("login", "a")
    assert throttle.allowed("login", "a", limit=1, window=HOUR, now=_at(1))
    assert not throttle.allowed("login", "b", limit=1, window=HOUR, now=_at(1))
    assert not throttle.allowed("other", "a", limit=1, window=HOUR, now=_at(1))


def test_purge_and_opportunistic_purge_from_record(monkeypatch) -> None:
    throttle.record("s", "old", now=T0 - dt.timedelta(days=3))
    throttle.record("s", "recent", now=T0 - dt.timedelta(days=1))
    assert throttle.purge(now=T0) == 1
    assert throttle.purge(older_than=dt.timedelta(hours=12), now=T0) == 1
    assert not ThrottleHit.objects.exists()

    monkeypatch.setattr(throttle, "PURGE_EVERY", 1)  # every record() purges
    throttle.record("s", "old", now=T0 - dt.timedelta(days=3))
    throttle.record("s", "new", now=T0)
    assert list(ThrottleHit.objects.values_list("at", flat=True)) == [T0]


@pytest.mark.parametrize("kwargs", [{"limit": 0, "window": HOUR}, {"limit": 1, "window": dt.timedelta(0)},
                                    {"limit": 1, "window": throttle.KEEP + dt.timedelta(seconds=1)}])
def test_bad_limits_and_windows_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        throttle.allowed("s", "k", **kwargs)
    with pytest.raises(ValueError):
        throttle.retry_after("s", "k", **kwargs)


@pytest.mark.parametrize("scope", ["", "x" * 41])
def test_bad_scopes_are_refused(scope) -> None:
    with pytest.raises(ValueError):
        throttle.record(scope, "k")
