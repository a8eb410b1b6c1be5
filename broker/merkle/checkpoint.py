"""Signed tree heads: a checkpoint body (C2SP tlog-checkpoint) wrapped in a C2SP signed note.

Body, four lines, each ending in ``\\n``::

    footage-broker.example/audit                  origin: names the log, so a head cannot be replayed
    1024                                          tree size: decimal, no sign, no leading zeros
    3q2+7w...=                                    root hash: standard base64 (padded) of 32 bytes
    timestamp 2026-11-20T09:00:00.000000Z         extension line: when the head was signed, UTC,
                                                  always six fractional digits so the text is canonical

Signed note (see ``note``): the body, a blank line, then one line per signature. Parsing is strict
(one text for one value) so equal heads have equal bytes.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker.merkle.hashing import HASH_SIZE
from broker.merkle.note import (
    ED25519_ALGORITHM,
    SIGNATURE_PREFIX,
    CheckpointError,
    key_hash,
    sign_note,
    strict_b64decode,
    verify_note,
)

__all__ = [
    "ED25519_ALGORITHM",
    "SIGNATURE_PREFIX",
    "Checkpoint",
    "CheckpointError",
    "format_checkpoint",
    "key_hash",
    "parse_checkpoint",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_note",
]

_SIZE_LINE = re.compile(r"0|[1-9][0-9]*")
_TIMESTAMP_LINE = re.compile(r"timestamp ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6})Z")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log ``origin`` had ``tree_size`` leaves with ``root_hash`` at ``timestamp``.

    Construction raises ValueError unless origin is a non-empty printable line without surrounding
    whitespace, size >= 0, the root is 32 bytes and the timestamp is timezone-aware; the timestamp
    is stored converted to UTC.
    """

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime

    def __post_init__(self) -> None:
        if not self.origin or not self.origin.isprintable() or self.origin != self.origin.strip():
            raise ValueError(f"bad origin {self.origin!r}")
        if self.tree_size < 0:
            raise ValueError("tree size must be non-negative")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"root hash must be {HASH_SIZE} bytes")
        if self.timestamp.tzinfo is None or self.timestamp.utcoffset() is None:
            raise ValueError("timestamp must be timezone-aware")
        try:
            object.__setattr__(self, "timestamp", self.timestamp.astimezone(UTC))
        except OverflowError as exc:
            raise ValueError("timestamp out of range in UTC") from exc


def format_checkpoint(cp: Checkpoint) -> str:
    """The canonical body text of ``cp`` (the bytes that get signed), ending with a newline."""
    root = base64.b64encode(cp.root_hash).decode("ascii")
    stamp = cp.timestamp.replace(tzinfo=None).isoformat(timespec="microseconds")
    return f"{cp.origin}\n{cp.tree_size}\n{root}\ntimestamp {stamp}Z\n"


def parse_checkpoint(body: str) -> Checkpoint:
    """Inverse of ``format_checkpoint``; raises CheckpointError unless ``body`` is exactly canonical."""
    if not body.endswith("\n"):
        raise CheckpointError("checkpoint body must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) != 4:
        raise CheckpointError(f"checkpoint body must have 4 lines, not {len(lines)}")
    origin, size_line, root_line, stamp_line = lines
    if not _SIZE_LINE.fullmatch(size_line):
        raise CheckpointError(f"bad tree size line {size_line!r}")
    root = strict_b64decode(root_line, "root hash")
    stamp = _TIMESTAMP_LINE.fullmatch(stamp_line)
    if stamp is None:
        raise CheckpointError(f"bad timestamp line {stamp_line!r}")
    try:
        moment = datetime.fromisoformat(stamp.group(1)).replace(tzinfo=UTC)
        cp = Checkpoint(origin, int(size_line), root, moment)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from exc
    if format_checkpoint(cp) != body:
        raise CheckpointError("checkpoint body is not canonical")
    return cp


def sign_checkpoint(cp: Checkpoint, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """``cp``'s canonical body signed as a C2SP note by ``key_name``; ValueError for a bad key name."""
    return sign_note(format_checkpoint(cp), private_key, key_name)


def verify_checkpoint(note: str, public_key: Ed25519PublicKey, key_name: str) -> Checkpoint:
    """The checkpoint in ``note`` if ``key_name``/``public_key`` signed it and its body is canonical.

    Raises CheckpointError for any malformed, unsigned or forged note (see ``verify_note``).
    """
    return parse_checkpoint(verify_note(note, public_key, key_name))
