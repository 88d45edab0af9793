"""ID numbers at rest: Fernet encryption plus a keyed HMAC blind index.

Both keys are derived from ``settings.PERSON_ID_KEY`` with HKDF-SHA256 under distinct labels, so
the encryption key and the index key are independent and neither is the configured secret itself.
The database holds only the Fernet token (AES-128-CBC + HMAC-SHA256, random IV: the same ID number
encrypts differently every time) and the HMAC, which is equal for equal ID numbers, so duplicates are
found with an indexed equality without decrypting anything. Without the key the HMAC cannot be
brute-forced over the (small) space of valid ID numbers.
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

__all__ = ["DecryptionError", "blind_index", "decrypt_id", "encrypt_id"]


class DecryptionError(Exception):
    """The stored token does not decrypt with the configured key (wrong or rotated PERSON_ID_KEY)."""


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"minesafe.people", info=label).derive(secret.encode())


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[Fernet, bytes]:
    fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"id-number-encryption")))
    return fernet, _derive(secret, b"id-number-blind-index")


def encrypt_id(id_number: str) -> str:
    """Fernet token (ASCII) of a normalised ID number."""
    fernet, _index_key = _keys(settings.PERSON_ID_KEY)
    return fernet.encrypt(id_number.encode()).decode("ascii")


def decrypt_id(token: str) -> str:
    fernet, _index_key = _keys(settings.PERSON_ID_KEY)
    try:
        return fernet.decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise DecryptionError("ID number cannot be decrypted with the configured PERSON_ID_KEY") from None


def blind_index(id_number: str) -> str:
    """HMAC-SHA256 (hex) of a normalised ID number: equal IDs give equal values."""
    _fernet, index_key = _keys(settings.PERSON_ID_KEY)
    return hmac.new(index_key, id_number.encode(), hashlib.sha256).hexdigest()
