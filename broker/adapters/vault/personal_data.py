"""Personal data inside events, sealed under a per-subject key so it can be erased for real.

Events are immutable, so a caller's location or a free-text description of persons is never
written in the clear: it is sealed with the subject's own data key from the keystore. Read
models open it while the key exists; shredding the key (at the end of the pack's record
retention) erases it from every copy of every event at once, and the events stay verifiable.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from broker.adapters.vault.errors import KeyShreddedError
from broker.adapters.vault.keystore import Keystore, PendingKey
from broker.adapters.vault.sealing import Sealer, open_with_key

PERSONAL_CONTEXT = "FootageRequest.personal"
"""Associated data of a footage request's sealed personal data: binds the seal to its use."""


def subject_key_id(kind: str, aggregate_id: object) -> str:
    return f"subject:{kind}:{aggregate_id}"


class PersonalData:
    def __init__(self, keystore: Keystore) -> None:
        self._keystore = keystore
        self._sealer = Sealer(keystore)

    def seal(self, key_id: str, document: dict[str, Any], context: str) -> str:
        """Create the subject key if needed and seal ``document``; base64 text for events."""
        if not self._keystore.exists(key_id):
            self._keystore.create_key(key_id)
        plaintext = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
        return base64.b64encode(self._sealer.seal(key_id, plaintext, context.encode())).decode()

    def seal_new(self, key_id: str, document: dict[str, Any],
                 context: str) -> tuple[str, PendingKey]:
        """Seal under a fresh subject key that is not stored yet: the caller stores the key
        (``Keystore.insert_keys``) before anything holding the seal becomes durable."""
        pending = self._keystore.prepare_key(key_id)
        plaintext = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
        sealed = Sealer.seal_with(pending.data_key, key_id, plaintext, context.encode())
        return base64.b64encode(sealed).decode(), pending

    def open(self, key_id: str, sealed: str, context: str) -> dict[str, Any] | None:
        """The document, or None once the subject's key has been shredded."""
        try:
            plaintext = self._sealer.open_sealed(key_id, base64.b64decode(sealed), context.encode())
        except KeyShreddedError:
            return None
        document: dict[str, Any] = json.loads(plaintext)
        return document

    def open_many(self, sealed: Sequence[tuple[str, str]], context: str) -> list[dict[str, Any] | None]:
        """Each ``(key id, sealed)`` opened, the keys read in one batch; None where erased."""
        keys = self._keystore.get_keys([key_id for key_id, _ in sealed])
        opened: list[dict[str, Any] | None] = []
        for key_id, value in sealed:
            key = keys.get(key_id)
            if key is None:
                opened.append(None)
                continue
            document: dict[str, Any] = json.loads(
                open_with_key(key, key_id, base64.b64decode(value), context.encode()))
            opened.append(document)
        return opened

    def erase(self, key_id: str) -> bool:
        return self._keystore.shred(key_id)
