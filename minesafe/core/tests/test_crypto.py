"""core.crypto.Sealer, people.crypto on top of it (same keys as before the move) and REPORTER_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

from minesafe.core import crypto
from minesafe.core.crypto import DecryptionError, Sealer
from minesafe.people import crypto as people_crypto

KEY = "fixed-vector-key-for-the-compatibility-test"
ID_NUMBER = "210323198001011235"
# Made by people/crypto.py before it moved onto core.crypto (commit 5ce053f), with PERSON_ID_KEY=KEY.
OLD_TOKEN = ("gAAAAABrA7rECtGa2_seP4133wG5a_c-JDmWq_NNatCD_BTzTBZVz-ljwHxJN8H6d4_P6PbtJKoxy-3cl0v3vbo4SHnpCb4volzaFeRs"
             "mbOMv3KwExyR-N0=")
OLD_INDEX = "9cb1d8283cf26b8c97fb7d87a318ac9ce83fbf581acb8d74aa2da59539e9df46"


def _old_derive(secret: str, info: bytes) -> bytes:
    """The derivation people/crypto.py used before the move, written out independently."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"minesafe.people", info=info).derive(secret.encode())


def test_a_stored_id_number_from_before_the_move_still_decrypts(settings) -> None:
    settings.PERSON_ID_KEY = KEY
    assert people_crypto.decrypt_id(OLD_TOKEN) == ID_NUMBER
    assert people_crypto.blind_index(ID_NUMBER) == OLD_INDEX


def test_people_keys_are_the_old_hkdf_derivation(settings) -> None:
    settings.PERSON_ID_KEY = "another-person-id-key-of-at-least-32-characters"
    old_fernet = Fernet(base64.urlsafe_b64encode(_old_derive(settings.PERSON_ID_KEY, b"id-number-encryption")))
    old_index_key = _old_derive(settings.PERSON_ID_KEY, b"id-number-blind-index")
    token = old_fernet.encrypt(ID_NUMBER.encode()).decode("ascii")
    assert people_crypto.decrypt_id(token) == ID_NUMBER
    assert old_fernet.decrypt(people_crypto.encrypt_id(ID_NUMBER).encode()).decode() == ID_NUMBER
    assert people_crypto.blind_index(ID_NUMBER) == hmac.new(old_index_key, ID_NUMBER.encode(),
                                                             hashlib.sha256).hexdigest()
    assert people_crypto.DecryptionError is DecryptionError


def test_seal_unseal_and_index(settings) -> None:
    sealer = Sealer("REPORTER_KEY", b"minesafe.test", b"reporter")
    token = sealer.seal("张三 13800000000")
    assert token.isascii() and "13800000000" not in token
    assert token != sealer.seal("张三 13800000000")  # random IV
    assert sealer.unseal(token) == "张三 13800000000"
    digest = sealer.index("13800000000")
    assert len(digest) == 64 and digest == sealer.index("13800000000") != sealer.index("13800000001")


def test_labels_salts_and_settings_separate_the_keys(settings) -> None:
    settings.PERSON_ID_KEY = settings.REPORTER_KEY = KEY  # even with one secret, labels keep kinds apart
    a = Sealer("REPORTER_KEY", b"minesafe.test", b"a")
    others = [Sealer("REPORTER_KEY", b"minesafe.test", b"b"), Sealer("REPORTER_KEY", b"minesafe.other", b"a")]
    token = a.seal("secret")
    for other in others:
        with pytest.raises(DecryptionError):
            other.unseal(token)
        assert other.index("secret") != a.index("secret")
    settings.REPORTER_KEY = "a-different-reporter-key-of-32-characters-or-more"
    with pytest.raises(DecryptionError):
        a.unseal(token)  # the setting is read on every call


@pytest.mark.parametrize("token", ["", "not a token", "gAAAAAB" + "A" * 80, "令牌"])
def test_garbage_is_a_decryption_error(token) -> None:
    with pytest.raises(DecryptionError):
        Sealer("REPORTER_KEY", b"minesafe.test", b"x").unseal(token)


def test_a_missing_setting_is_a_configuration_error(settings) -> None:
    with pytest.raises(ImproperlyConfigured):
        Sealer("NO_SUCH_KEY_SETTING", b"s", b"l").seal("x")
    assert "Sealer('REPORTER_KEY'" in repr(Sealer("REPORTER_KEY", b"s", b"l"))
    assert crypto.__all__ == ["DecryptionError", "Sealer"]


def _import_settings(**extra: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "false", "SECRET_KEY": "x" * 50, "PERSON_ID_KEY": "p" * 40, **extra}
    return subprocess.run([sys.executable, "-c", "import minesafe.settings as s; print(s.REPORTER_KEY)"],
                          env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("extra,expected", [({}, "REPORTER_KEY (or REPORTER_KEY_FILE) must be set"),
                                            ({"REPORTER_KEY": "short"}, "REPORTER_KEY must be at least 32")])
def test_production_settings_need_a_reporter_key(extra, expected) -> None:
    result = _import_settings(**extra)
    assert result.returncode != 0 and expected in result.stderr


def test_reporter_key_from_env_file_or_debug_default(tmp_path) -> None:
    assert _import_settings(REPORTER_KEY="r" * 32).stdout.strip() == "r" * 32
    path = tmp_path / "reporter_key"
    path.write_text("f" * 40 + "\n")
    assert _import_settings(REPORTER_KEY_FILE=str(path)).stdout.strip() == "f" * 40
    result = _import_settings(DEBUG="true")
    assert result.returncode == 0 and "insecure-development-reporter-key" in result.stdout
