"""ID numbers at rest: Fernet encryption plus a keyed HMAC blind index (``minesafe.core.crypto``).

Both keys are derived from ``settings.PERSON_ID_KEY`` with HKDF-SHA256 (salt ``b"minesafe.people"``,
info ``b"id-number-encryption"`` / ``b"id-number-blind-index"``), so the encryption key and the index
key are independent and neither is the configured secret itself. The database holds only the Fernet
token (AES-128-CBC + HMAC-SHA256, random IV: the same ID number encrypts differently every time) and
the HMAC, which is equal for equal ID numbers, so duplicates are found with an indexed equality
without decrypting anything. Without the key the HMAC cannot be brute-forced over the (small) space
of valid ID numbers. The salt and label are fixed: changing them makes stored ID numbers unreadable.
"""

from __future__ import annotations

from minesafe.core.crypto import DecryptionError, Sealer

__all__ = ["DecryptionError", "blind_index", "decrypt_id", "encrypt_id"]

_SEALER = Sealer("PERSON_ID_KEY", b"minesafe.people", b"id-number")


def encrypt_id(id_number: str) -> str:
    """Fernet token (ASCII) of a normalised ID number."""
    return _SEALER.seal(id_number)


def decrypt_id(token: str) -> str:
    """The ID number in a stored token; :class:`DecryptionError` with a wrong or rotated PERSON_ID_KEY."""
    return _SEALER.unseal(token)


def blind_index(id_number: str) -> str:
    """HMAC-SHA256 (hex) of a normalised ID number: equal IDs give equal values."""
    return _SEALER.index(id_number)
