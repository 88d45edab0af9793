"""Secrets at rest: Fernet encryption plus a keyed HMAC blind index, keyed from a Django setting.

A :class:`Sealer` names the setting holding its secret (``"PERSON_ID_KEY"``, ``"REPORTER_KEY"``, …),
an HKDF salt and a label. Two independent 32-byte keys are derived from the secret with
HKDF-SHA256 (salt ``salt``, info ``label + b"-encryption"`` and ``label + b"-blind-index"``), so
neither key is the configured secret itself and the two cannot be derived from each other.

- :meth:`Sealer.seal` gives a Fernet token (AES-128-CBC + HMAC-SHA256, random IV): the same text
  seals differently every time, and a token only opens with the same secret, salt and label.
- :meth:`Sealer.index` gives the HMAC-SHA256 (hex) of the text under the index key: equal texts give
  equal values, so duplicates are found with an indexed equality without decrypting anything, and
  without the secret the value cannot be brute-forced over a small space of possible texts.

The setting is read on every call (tests and key checks may change it); derived keys are cached per
secret. Changing or losing the secret makes every stored token unreadable: back it up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["DecryptionError", "Sealer"]


class DecryptionError(Exception):
    """The token does not open with the configured key (wrong or rotated secret, or not a token)."""


def _derive(secret: str, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret.encode())


@lru_cache(maxsize=16)
def _keys(secret: str, salt: bytes, label: bytes) -> tuple[Fernet, bytes]:
    fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, salt, label + b"-encryption")))
    return fernet, _derive(secret, salt, label + b"-blind-index")


class Sealer:
    """Encrypts and blind-indexes short texts with keys derived from the secret in ``settings.<setting>``.

    ``Sealer("PERSON_ID_KEY", b"minesafe.people", b"id-number")`` is what ``people.crypto`` uses; give
    every kind of secret its own setting or at least its own label, so tokens and index values of one
    kind are meaningless for another.
    """

    def __init__(self, setting: str, salt: bytes, label: bytes) -> None:
        self.setting = setting
        self.salt = salt
        self.label = label

    def __repr__(self) -> str:
        return f"Sealer({self.setting!r}, {self.salt!r}, {self.label!r})"

    def _keys(self) -> tuple[Fernet, bytes]:
        secret = getattr(settings, self.setting, "")
        if not isinstance(secret, str) or not secret:
            raise ImproperlyConfigured(f"settings.{self.setting} is not set")
        return _keys(secret, self.salt, self.label)

    def seal(self, text: str) -> str:
        """Fernet token (ASCII) of ``text``; different on every call."""
        fernet, _index_key = self._keys()
        return fernet.encrypt(text.encode()).decode("ascii")

    def unseal(self, token: str) -> str:
        """The text sealed in ``token``; :class:`DecryptionError` when it does not open with the key."""
        fernet, _index_key = self._keys()
        try:
            return fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):  # UnicodeError is a ValueError
            raise DecryptionError(f"token cannot be decrypted with the configured {self.setting}") from None

    def index(self, text: str) -> str:
        """HMAC-SHA256 (64 hex characters) of ``text`` under the index key: equal texts, equal values."""
        _fernet, index_key = self._keys()
        return hmac.new(index_key, text.encode(), hashlib.sha256).hexdigest()
