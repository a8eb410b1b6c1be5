"""API keys: ``fb_<client id hex>_<secret>``; only the secret's SHA-256 is ever stored.

The secret has 256 bits of entropy, so a fast hash is enough (no offline guessing is
feasible) and lookups stay cheap on every request. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID

PREFIX = "fb"


@dataclass(frozen=True, slots=True)
class ParsedKey:
    client_id: UUID
    secret: str


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def format_key(client_id: UUID, secret: str) -> str:
    return f"{PREFIX}_{client_id.hex}_{secret}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(key: str) -> ParsedKey | None:
    """None for anything that is not shaped like one of our keys."""
    prefix, sep, rest = key.partition("_")
    if prefix != PREFIX or not sep or len(rest) < 34 or rest[32] != "_":
        return None
    try:
        client_id = UUID(hex=rest[:32])
    except ValueError:
        return None
    return ParsedKey(client_id=client_id, secret=rest[33:])


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
