"""RFC 9162 §2.1 hashing: domain-separated SHA-256 so a leaf can never pass for an interior node."""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
"""Bytes in every hash this package produces or accepts."""

LEAF_PREFIX = b"\x00"
"""Prepended to leaf data before hashing (RFC 9162 §2.1.1)."""

NODE_PREFIX = b"\x01"
"""Prepended to the two child hashes of an interior node (RFC 9162 §2.1.1)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string: the root of a tree with no leaves."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash a leaf contributes to the tree; ``data`` is the canonical event."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node over two 32-byte child hashes.

    Raises ValueError if either child is not HASH_SIZE bytes, since a short child would make the
    concatenation ambiguous.
    """
    if len(left) != HASH_SIZE or len(right) != HASH_SIZE:
        raise ValueError(f"child hashes must be {HASH_SIZE} bytes")
    return hashlib.sha256(NODE_PREFIX + left + right).digest()
