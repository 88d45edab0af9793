"""Shared fixtures. The test-run environment itself is set by the plugin minesafe.core.testing.env."""

import pytest

from minesafe.accounts.divisions import load_divisions
from minesafe.accounts.models import Division
from minesafe.core.audit import GENESIS_HASH
from minesafe.core.models import AuditChainHead
from minesafe.testing.factories import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    """PBKDF2 at full strength costs ~0.3 s per user; tests create dozens."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_a_temp_dir(settings, tmp_path_factory) -> None:
    """Uploaded evidence goes to a throwaway directory, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@pytest.fixture
def world(db) -> World:
    # Transactional tests flush every table, including the rows migrations create (divisions and
    # the audit chain head): put them back if needed.
    load_divisions(Division)
    AuditChainHead.objects.get_or_create(id=1, defaults={"last_hash": GENESIS_HASH, "count": 0})
    return build_world()
