"""Signed tree heads: a C2SP tlog-checkpoint body wrapped in a C2SP signed note (see ``note``).

Body, three or more non-empty lines, each ending in ``\\n``::

    footage-broker.example/audit                  origin: names the log, so a head cannot be replayed
    1024                                          tree size: decimal, no sign, no leading zeros
    3q2+7w...=                                    root hash: standard base64 (padded) of 32 bytes
    timestamp 2026-11-20T09:00:00.000000Z         optional extension line (ours): when the head was
                                                  signed, UTC, always six fractional digits
    anything else                                 optional opaque extension lines, kept and signed

The first three lines are the spec's checkpoint; the rest are extension lines. This broker's own
extension is the ``timestamp`` line: if present it must come first among the extensions, exactly in
the form above; any other extension line starting with ``timestamp `` is refused, so one value has
one text. Other extension lines are opaque: parsed, kept in order and covered by every signature.

The log signs with key name == origin (tlog-checkpoint says the key name SHOULD match the origin;
tlog-policy says MUST), and ``verify_checkpoint`` requires it. Parsing is strict (one text for one
value) so equal heads have equal bytes.
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
    VerifierKey,
    as_verifier_key,
    key_hash,
    sign_note,
    strict_b64decode,
    valid_key_name,
    verify_note,
)

__all__ = [
    "ED25519_ALGORITHM",
    "SIGNATURE_PREFIX",
    "TIMESTAMP_PREFIX",
    "Checkpoint",
    "CheckpointError",
    "format_checkpoint",
    "key_hash",
    "parse_checkpoint",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_checkpoint_legacy",
    "verify_note",
]

TIMESTAMP_PREFIX = "timestamp "
"""Extension lines starting with this are this broker's timestamp extension, and nothing else."""

_SIZE_LINE = re.compile(r"0|[1-9][0-9]*")
_TIMESTAMP_LINE = re.compile(r"timestamp ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6})Z")
_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f]")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log ``origin`` had ``tree_size`` leaves with ``root_hash``, optionally signed
    at ``timestamp``, with opaque ``extensions`` lines after the timestamp line.

    Construction raises ValueError unless origin is a non-empty printable line without surrounding
    whitespace, size >= 0, the root is 32 bytes, the timestamp (if any) is timezone-aware, and each
    extension is a non-empty line of UTF-8 without control characters that does not start with
    ``TIMESTAMP_PREFIX`` (use ``timestamp``). The timestamp is stored converted to UTC and
    ``extensions`` as a tuple.
    """

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime | None = None
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or not self.origin.isprintable() or self.origin != self.origin.strip():
            raise ValueError(f"bad origin {self.origin!r}")
        if self.tree_size < 0:
            raise ValueError("tree size must be non-negative")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"root hash must be {HASH_SIZE} bytes")
        if self.timestamp is not None:
            if self.timestamp.tzinfo is None or self.timestamp.utcoffset() is None:
                raise ValueError("timestamp must be timezone-aware")
            try:
                object.__setattr__(self, "timestamp", self.timestamp.astimezone(UTC))
            except OverflowError as exc:
                raise ValueError("timestamp out of range in UTC") from exc
        extensions = tuple(self.extensions)
        for line in extensions:
            if not isinstance(line, str) or not line or "\n" in line or _CONTROL.search(line):
                raise ValueError(f"bad extension line {line!r}: one non-empty line, no control characters")
            if not _utf8(line):
                raise ValueError(f"extension line {line!r} is not valid UTF-8")
            if line.startswith(TIMESTAMP_PREFIX):
                raise ValueError(f"extension line {line!r} is reserved: set the timestamp field instead")
        object.__setattr__(self, "extensions", extensions)


def format_checkpoint(cp: Checkpoint) -> str:
    """The canonical body text of ``cp`` (the bytes that get signed), ending with a newline."""
    lines = [cp.origin, str(cp.tree_size), base64.b64encode(cp.root_hash).decode("ascii")]
    if cp.timestamp is not None:
        stamp = cp.timestamp.replace(tzinfo=None).isoformat(timespec="microseconds")
        lines.append(f"{TIMESTAMP_PREFIX}{stamp}Z")
    lines.extend(cp.extensions)
    return "\n".join(lines) + "\n"


def parse_checkpoint(body: str) -> Checkpoint:
    """Inverse of ``format_checkpoint``; raises CheckpointError unless ``body`` is exactly canonical.

    Accepts the spec's three-line body, our timestamp extension, and any other extension lines.
    Refuses: no final newline, fewer than three lines, an empty line, control characters, a size
    that is not plain decimal, a root that is not canonical base64 of 32 bytes, a ``timestamp``
    line that is malformed, repeated or not the first extension, and any field ``Checkpoint``
    rejects.
    """
    if not body.endswith("\n"):
        raise CheckpointError("checkpoint body must end with a newline")
    if _CONTROL_BUT_NEWLINE.search(body) or not _utf8(body):
        raise CheckpointError("checkpoint body must be UTF-8 without control characters")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint body must have at least 3 lines, not {len(lines)}")
    if not all(lines):
        raise CheckpointError("checkpoint body lines must be non-empty")
    origin, size_line, root_line, *extensions = lines
    if not _SIZE_LINE.fullmatch(size_line):
        raise CheckpointError(f"bad tree size line {size_line!r}")
    root = strict_b64decode(root_line, "root hash")
    moment = None
    if extensions and extensions[0].startswith(TIMESTAMP_PREFIX):
        stamp = _TIMESTAMP_LINE.fullmatch(extensions[0])
        if stamp is None:
            raise CheckpointError(f"bad timestamp line {extensions[0]!r}")
        try:
            moment = datetime.fromisoformat(stamp.group(1)).replace(tzinfo=UTC)
        except ValueError as exc:
            raise CheckpointError(str(exc)) from exc
        extensions = extensions[1:]
    if any(line.startswith(TIMESTAMP_PREFIX) for line in extensions):
        raise CheckpointError("the timestamp line must be the first extension line, and appear once")
    try:
        cp = Checkpoint(origin, int(size_line), root, moment, tuple(extensions))
    except ValueError as exc:
        raise CheckpointError(str(exc)) from exc
    if format_checkpoint(cp) != body:
        raise CheckpointError("checkpoint body is not canonical")
    return cp


def sign_checkpoint(cp: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """``cp``'s canonical body signed as a C2SP note under key name ``cp.origin``.

    Raises ValueError if the origin is not a valid key name (it has a space or ``+``).
    """
    if not valid_key_name(cp.origin):
        raise ValueError(f"origin {cp.origin!r} cannot be a key name: no spaces, no '+'")
    return sign_note(format_checkpoint(cp), private_key, cp.origin)


def verify_checkpoint(note: str | bytes, key: VerifierKey | Ed25519PublicKey,
                      origin: str | None = None) -> Checkpoint:
    """The checkpoint in ``note`` if the log ``origin`` signed it with ``key``, under key name origin.

    ``key`` is the log's type 0x01 ``VerifierKey`` (its name is the origin; ``origin``, if given,
    must equal it) or its Ed25519 public key with ``origin``; otherwise ValueError. Raises
    CheckpointError for a malformed, unsigned or forged note (see ``verify_note``), a body that
    ``parse_checkpoint`` refuses, or a body whose origin line is not the key name.
    """
    vkey = as_verifier_key(key, origin, ED25519_ALGORITHM)
    cp = parse_checkpoint(verify_note(note, vkey))
    if cp.origin != vkey.name:
        raise CheckpointError(f"checkpoint origin {cp.origin!r} is not the signing key name {vkey.name!r}")
    return cp


def verify_checkpoint_legacy(note: str | bytes, public_key: Ed25519PublicKey, key_name: str) -> Checkpoint:
    """``verify_checkpoint`` without the key name == origin rule, for notes signed before it.

    Until this change the broker signed origin ``footage-broker.invalid/audit`` under key name
    ``footage-broker-audit``; pass that name to read those notes. Same errors as ``verify_checkpoint``
    except that the origin may differ from ``key_name``. Do not use it for new notes.
    """
    return parse_checkpoint(verify_note(note, public_key, key_name))


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
