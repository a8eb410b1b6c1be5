"""Signed tree heads: a checkpoint body (C2SP tlog-checkpoint) wrapped in a C2SP signed note.

Body, four lines, each ending in ``\\n``::

    footage-broker.example/audit                  origin: names the log, so a head cannot be replayed
    1024                                          tree size: decimal, no sign, no leading zeros
    3q2+7w...=                                    root hash: standard base64 (padded) of 32 bytes
    timestamp 2026-11-20T09:00:00.000000Z         extension line: when the head was signed, UTC,
                                                  always six fractional digits so the text is canonical

Signed note: the body, a blank line, then one line per signature ``— <key name> <base64(key hash ||
Ed25519 signature)>`` where key hash is the first 4 bytes of SHA-256(key name || "\\n" || 0x01 ||
raw 32-byte public key). Parsing is strict (one text for one value) so equal heads have equal bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from broker.errors import InvalidInput
from broker.merkle.hashing import HASH_SIZE

ED25519_ALGORITHM = 0x01
"""Signature type byte of Ed25519 in the C2SP signed-note key hash."""

SIGNATURE_PREFIX = "— "
"""Every signature line starts with an em dash (U+2014) and a space."""

_KEY_HASH_SIZE = 4
_ED25519_SIGNATURE_SIZE = 64
_SIZE_LINE = re.compile(r"0|[1-9][0-9]*")
_TIMESTAMP_LINE = re.compile(r"timestamp ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6})Z")


class CheckpointError(InvalidInput):
    """A checkpoint or signed note that is malformed, unsigned by the expected key, or forged."""

    title = "Invalid checkpoint"


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
    root = _strict_b64decode(root_line, "root hash")
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


def key_hash(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte C2SP key id: SHA-256(key_name || "\\n" || 0x01 || raw public key)[:4]."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    digest = hashlib.sha256(key_name.encode() + b"\n" + bytes([ED25519_ALGORITHM]) + raw).digest()
    return digest[:_KEY_HASH_SIZE]


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """A C2SP signed note: ``text``, a blank line and one Ed25519 signature line by ``key_name``.

    Raises ValueError unless ``text`` is non-empty valid UTF-8 ending in a newline and ``key_name``
    is non-empty without whitespace or ``+``.
    """
    _check_key_name(key_name)
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    signature = private_key.sign(text.encode())
    blob = base64.b64encode(key_hash(key_name, private_key.public_key()) + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{key_name} {blob}\n"


def verify_note(note: str, public_key: Ed25519PublicKey, key_name: str) -> str:
    """The text of ``note`` if ``key_name``/``public_key`` signed it exactly once, else CheckpointError.

    Signature lines by other keys are ignored (cosigners), but every signature line must be well
    formed. Raises ValueError if ``key_name`` itself is not a valid key name.
    """
    _check_key_name(key_name)
    text, signatures = _split_note(note)
    expected = key_hash(key_name, public_key)
    mine = [sig for name, sig in signatures if name == key_name and sig[:_KEY_HASH_SIZE] == expected]
    if not mine:
        raise CheckpointError(f"no signature by key {key_name!r}")
    if len(mine) > 1:
        raise CheckpointError(f"more than one signature by key {key_name!r}")
    signature = mine[0][_KEY_HASH_SIZE:]
    if len(signature) != _ED25519_SIGNATURE_SIZE:
        raise CheckpointError("Ed25519 signature must be 64 bytes")
    try:
        public_key.verify(signature, text.encode())
    except InvalidSignature as exc:
        raise CheckpointError(f"signature by key {key_name!r} does not verify") from exc
    return text


def sign_checkpoint(cp: Checkpoint, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """``cp``'s canonical body signed as a C2SP note by ``key_name``; ValueError for a bad key name."""
    return sign_note(format_checkpoint(cp), private_key, key_name)


def verify_checkpoint(note: str, public_key: Ed25519PublicKey, key_name: str) -> Checkpoint:
    """The checkpoint in ``note`` if ``key_name``/``public_key`` signed it and its body is canonical.

    Raises CheckpointError for any malformed, unsigned or forged note (see ``verify_note``).
    """
    return parse_checkpoint(verify_note(note, public_key, key_name))


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    try:
        note.encode()
    except UnicodeEncodeError as exc:
        raise CheckpointError("a signed note must be valid UTF-8") from exc
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise CheckpointError("a signed note is a text, a blank line and signature lines")
    body, tail = note[: cut + 1], note[cut + 2 : -1]
    signatures: list[tuple[str, bytes]] = []
    for line in tail.split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"bad signature line {line!r}")
        name, sep, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not sep or not _valid_key_name(name):
            raise CheckpointError(f"bad signature line {line!r}")
        sig = _strict_b64decode(blob, "signature")
        if len(sig) <= _KEY_HASH_SIZE:
            raise CheckpointError("signature too short")
        signatures.append((name, sig))
    return body, signatures


def _strict_b64decode(text: str, what: str) -> bytes:
    # Python's decoder ignores non-zero padding bits; re-encoding rejects those alternative spellings.
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name) and name.isprintable()


def _check_key_name(name: str) -> None:
    if not _valid_key_name(name):
        raise ValueError(f"bad key name {name!r}: non-empty, no spaces, no '+'")
