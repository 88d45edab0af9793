"""Shared fixtures. The test-run environment itself is set by the plugin minesafe.core.testing.env."""

import pytest

from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division
from minesafe.testing.factories import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    """PBKDF2 at full strength costs ~0.3 s per user; tests create dozens."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    # Transactional tests flush every table, the migrated divisions included: reload if needed.
    load_divisions(Division)
    return build_world()
