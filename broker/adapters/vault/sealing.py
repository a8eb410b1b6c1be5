"""Sealing small personal data (names, phone numbers, caller locations) under per-subject keys.

Events are never deleted, so personal data in them is stored sealed; shredding the subject's
data key in the keystore erases it from every event at once.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from broker.adapters.vault.errors import IntegrityError
from broker.adapters.vault.keystore import Keystore

SEAL_MAGIC = b"FBS1"
_NONCE_SIZE = 12
_MIN_SIZE = len(SEAL_MAGIC) + _NONCE_SIZE + 16


class Sealer:
    """Seals and opens byte strings with data keys from a keystore (created by the caller)."""

    def __init__(self, keystore: Keystore) -> None:
        self._keystore = keystore

    def seal(self, key_id: str, plaintext: bytes, context: bytes = b"") -> bytes:
        """``magic | nonce | ciphertext | tag``; ``context`` (e.g. the field name) is bound in.

        KeyShreddedError if the subject's key is gone: nothing new is sealed for a subject
        whose data has been erased.
        """
        nonce = os.urandom(_NONCE_SIZE)
        aead = AESGCM(self._keystore.get_key(key_id))
        return SEAL_MAGIC + nonce + aead.encrypt(nonce, plaintext, _aad(key_id, context))

    @staticmethod
    def seal_with(data_key: bytes, key_id: str, plaintext: bytes, context: bytes = b"") -> bytes:
        """``seal`` with a key in hand (a ``PendingKey`` not yet stored): no keystore read."""
        nonce = os.urandom(_NONCE_SIZE)
        return SEAL_MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, _aad(key_id, context))

    def open_sealed(self, key_id: str, blob: bytes, context: bytes = b"") -> bytes:
        """The plaintext; KeyShreddedError once the subject's key is shredded."""
        _check_sealed(blob)
        return open_with_key(self._keystore.get_key(key_id), key_id, blob, context)


def open_with_key(key: bytes, key_id: str, blob: bytes, context: bytes = b"") -> bytes:
    """The plaintext of a value sealed under ``key_id``, its data key already in hand (a batch
    read the keys together: ``Keystore.get_keys``)."""
    _check_sealed(blob)
    nonce = blob[len(SEAL_MAGIC) : len(SEAL_MAGIC) + _NONCE_SIZE]
    sealed = blob[len(SEAL_MAGIC) + _NONCE_SIZE :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, _aad(key_id, context))
    except InvalidTag:
        raise IntegrityError(f"sealed value for {key_id!r} failed authentication") from None


def _check_sealed(blob: bytes) -> None:
    if blob[: len(SEAL_MAGIC)] != SEAL_MAGIC or len(blob) < _MIN_SIZE:
        raise IntegrityError("not a sealed value (bad magic or truncated)")


def _aad(key_id: str, context: bytes) -> bytes:
    key_id_bytes = key_id.encode("utf-8")
    return SEAL_MAGIC + len(key_id_bytes).to_bytes(2, "big") + key_id_bytes + context
