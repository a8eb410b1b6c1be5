"""C2SP signed notes (c2sp.org/signed-note): text signed by one or more keys, and verifier keys.

A signed note is its text (UTF-8, ending in a newline), a blank line, then one or more signature
lines ``— <key name> <base64(4-byte key id || signature)>``. The text is whatever precedes the last
blank line, so it may itself contain blank lines. The whole note is valid UTF-8 with no control
character other than the newline. A verifier knows a key by the pair (key name, key id) and MUST
ignore every other signature, so cosigners can add lines without breaking the log's signature.

Parsing here is syntax only (``parse_note``); trust comes from ``verify_note`` with a key the
caller was configured with, as a ``VerifierKey`` (the one-string ``<name>+<hex id>+<base64 key>``
form an auditor can be handed) or a raw Ed25519 public key and its key name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from broker.errors import InvalidInput

ED25519_ALGORITHM = 0x01
"""Signature type byte of plain Ed25519 note signatures (what logs sign checkpoints with)."""

COSIGNATURE_V1_ALGORITHM = 0x04
"""Signature type byte of timestamped Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature)."""

SIGNATURE_PREFIX = "— "
"""Every signature line starts with an em dash (U+2014) and a space."""

MAX_SIGNATURE_LINES = 100
"""Notes with more signature lines are refused before any is checked (the spec asks for a limit of
at least 16; 100 is what the Go reference implementation allows)."""

KEY_ID_SIZE = 4
"""Bytes of key id in front of every signature."""

ED25519_SIGNATURE_SIZE = 64
"""Bytes of an Ed25519 signature (RFC 8032)."""

ED25519_PUBLIC_KEY_SIZE = 32
"""Bytes of an Ed25519 public key (RFC 8032)."""

_KNOWN_ALGORITHMS = (ED25519_ALGORITHM, COSIGNATURE_V1_ALGORITHM)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")


class CheckpointError(InvalidInput):
    """A signed note, checkpoint, verifier key or checkpoint log that is malformed, unsigned by the
    expected key, or forged. The one error type this package raises for untrusted text."""

    title = "Invalid checkpoint"


def valid_key_name(name: str) -> bool:
    """True iff ``name`` may name a key: non-empty, no Unicode space, no ``+``, no control character
    and encodable as UTF-8 (the signed-note rules; nothing stricter, so foreign cosigners parse)."""
    return (bool(name) and "+" not in name and not any(c.isspace() for c in name)
            and _CONTROL.search(name) is None and _utf8(name))


def key_id(key_name: str, algorithm: int, public_key: bytes) -> bytes:
    """The 4-byte key id SHA-256(key_name || 0x0A || algorithm || public_key)[:4] (signed-note).

    ``public_key`` is the raw key material (32 bytes for Ed25519). No validation: callers pass a
    key name already checked with ``valid_key_name``.
    """
    data = key_name.encode() + b"\n" + bytes([algorithm]) + public_key
    return hashlib.sha256(data).digest()[:KEY_ID_SIZE]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    """The 32-byte RFC 8032 encoding of ``public_key``."""
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_hash(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key id of a plain Ed25519 note key: SHA-256(key_name || "\\n" || 0x01 || key)[:4]."""
    return key_id(key_name, ED25519_ALGORITHM, raw_public_key(public_key))


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A public key as a verifier is configured with it: key name, signature type and key material.

    ``algorithm`` is ``ED25519_ALGORITHM`` (a log's note signatures) or ``COSIGNATURE_V1_ALGORITHM``
    (a witness's cosignatures); ``key`` is the 32-byte Ed25519 public key. The key id is derived,
    never stored, so a VerifierKey cannot carry a mismatched one. Construction raises ValueError
    for a bad name, an unknown algorithm, or a key of the wrong length. ``str()`` is the vkey text.
    """

    name: str
    algorithm: int
    key: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise ValueError(f"bad key name {self.name!r}: non-empty, no spaces, no '+'")
        if self.algorithm not in _KNOWN_ALGORITHMS:
            raise ValueError(f"unsupported signature type 0x{self.algorithm:02x}")
        if len(self.key) != ED25519_PUBLIC_KEY_SIZE:
            raise ValueError(f"an Ed25519 public key is {ED25519_PUBLIC_KEY_SIZE} bytes")

    @classmethod
    def ed25519(cls, name: str, public_key: Ed25519PublicKey) -> VerifierKey:
        """The plain Ed25519 (type 0x01) verifier key ``name`` of ``public_key``; ValueError if bad name."""
        return cls(name, ED25519_ALGORITHM, raw_public_key(public_key))

    @classmethod
    def cosignature(cls, name: str, public_key: Ed25519PublicKey) -> VerifierKey:
        """The cosignature/v1 (type 0x04) verifier key of witness ``name``; ValueError for a bad name."""
        return cls(name, COSIGNATURE_V1_ALGORITHM, raw_public_key(public_key))

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id signatures by this key start with."""
        return key_id(self.name, self.algorithm, self.key)

    def public_key(self) -> Ed25519PublicKey:
        """The key material as a ``cryptography`` public key."""
        return Ed25519PublicKey.from_public_bytes(self.key)

    def __str__(self) -> str:
        return format_vkey(self)


def format_vkey(vkey: VerifierKey) -> str:
    """``<name>+<hex key id>+<base64(type || key)>``, the signed-note verifier key text."""
    blob = base64.b64encode(bytes([vkey.algorithm]) + vkey.key).decode("ascii")
    return f"{vkey.name}+{vkey.key_id.hex()}+{blob}"


def parse_vkey(text: str) -> VerifierKey:
    """Inverse of ``format_vkey``; raises CheckpointError unless ``text`` is a canonical vkey whose
    key id matches its name and key, of a supported type (0x01 or 0x04, 32-byte Ed25519 key)."""
    name, _, rest = text.partition("+")
    hex_id, _, blob = rest.partition("+")
    if not valid_key_name(name) or _HEX_KEY_ID.fullmatch(hex_id) is None:
        raise CheckpointError("a verifier key is <name>+<8 lowercase hex digits>+<base64 key>")
    material = strict_b64decode(blob, "verifier key")
    if len(material) < 2:
        raise CheckpointError("verifier key material too short")
    try:
        vkey = VerifierKey(name, material[0], material[1:])
    except ValueError as exc:
        raise CheckpointError(f"bad verifier key: {exc}") from exc
    if vkey.key_id.hex() != hex_id:
        raise CheckpointError("verifier key id does not match its name and key")
    return vkey


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: who claims to have signed (name, 4-byte key id) and the signature bytes
    after the key id (for Ed25519 64 bytes; for cosignature/v1 an 8-byte timestamp and 64 bytes).

    A plain value: construction does not validate (``parse_note`` only yields well-formed ones).
    """

    key_name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line, with its final newline, as it appears in a note."""
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.key_name} {blob}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A syntactically valid, *unverified* signed note: its text and its distinct signature lines.

    ``text`` ends in a newline and excludes the separating blank line. ``signatures`` keeps the
    order of first appearance with identical repeated lines dropped; nothing here is trusted until
    ``verify_note`` checks a signature by a configured key. ``str()`` writes the note back, equal
    to what was parsed unless repeated lines were dropped.
    """

    text: str
    signatures: tuple[NoteSignature, ...]

    def signed_by(self, key_name: str, key_id: bytes) -> tuple[NoteSignature, ...]:
        """The signatures claiming (``key_name``, ``key_id``): the only ones a verifier of that key reads."""
        return tuple(s for s in self.signatures if s.key_name == key_name and s.key_id == key_id)

    def __str__(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def parse_note(note: str | bytes) -> Note:
    """Split a signed note into text and signature lines, checking syntax only; no key is involved.

    Raises CheckpointError unless ``note`` (text, or bytes that must be UTF-8) is valid UTF-8 with
    no control character but newline, its text ends in a newline and is followed by a blank line
    and 1 to ``MAX_SIGNATURE_LINES`` lines ``— <valid key name> <canonical padded base64 of at
    least 5 bytes>``, each ending in a newline. Identical repeated lines count towards the limit but
    appear once in the result.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("a signed note must be valid UTF-8") from exc
    if not _utf8(note):
        raise CheckpointError("a signed note must be valid UTF-8")
    if _CONTROL.search(note) is not None:
        raise CheckpointError("a signed note may contain no control character but newline")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n") or cut + 2 == len(note):
        raise CheckpointError("a signed note is a text, a blank line and signature lines")
    text, block = note[: cut + 1], note[cut + 2 : -1]
    lines = block.split("\n")
    if len(lines) > MAX_SIGNATURE_LINES:
        raise CheckpointError(f"more than {MAX_SIGNATURE_LINES} signature lines")
    signatures: dict[str, NoteSignature] = {}
    for line in lines:
        if line not in signatures:
            signatures[line] = _parse_signature_line(line)
    return Note(text, tuple(signatures.values()))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise CheckpointError(f"bad signature line {line!r}")
    name, sep, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep or not valid_key_name(name):
        raise CheckpointError(f"bad signature line {line!r}")
    raw = strict_b64decode(blob, "signature")
    if len(raw) <= KEY_ID_SIZE:
        raise CheckpointError("signature too short")
    return NoteSignature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


def check_note_text(text: str) -> None:
    """Raise ValueError unless ``text`` can be the text of a signed note: non-empty, valid UTF-8,
    ending in a newline, with no control character but newline."""
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    if not _utf8(text) or _CONTROL.search(text) is not None:
        raise ValueError("note text must be UTF-8 without control characters other than newline")


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """A C2SP signed note: ``text``, a blank line and one Ed25519 signature line by ``key_name``.

    Raises ValueError unless ``text`` passes ``check_note_text`` and ``key_name`` is a valid key
    name. Deterministic: the same inputs give the same note.
    """
    _check_key_name(key_name)
    check_note_text(text)
    signature = private_key.sign(text.encode())
    line = NoteSignature(key_name, key_hash(key_name, private_key.public_key()), signature).line()
    return f"{text}\n{line}"


def verify_note(note: str | bytes, key: VerifierKey | Ed25519PublicKey, key_name: str | None = None) -> str:
    """The text of ``note`` if the configured key signed it; CheckpointError otherwise.

    ``key`` is a type 0x01 ``VerifierKey`` (then ``key_name``, if given, must equal its name) or
    an Ed25519 public key with its ``key_name``; a mismatch or a missing name is a ValueError, as
    is a VerifierKey of another type. The note must pass ``parse_note``; signatures claiming another
    (name, key id) are ignored, as the spec requires. Every distinct signature line claiming this
    key must verify (a failing one rejects the note even if another verifies); identical repeated
    lines are one signature.
    """
    vkey = as_verifier_key(key, key_name, ED25519_ALGORITHM)
    parsed = parse_note(note)
    verify_signatures(parsed, vkey, lambda sig: _ed25519_verify(vkey, sig, parsed.text.encode()))
    return parsed.text


def as_verifier_key(key: VerifierKey | Ed25519PublicKey, key_name: str | None, algorithm: int) -> VerifierKey:
    """Normalise a (key, name) argument pair to a VerifierKey of ``algorithm``; ValueError if they
    disagree, the name is missing or invalid, or the VerifierKey has another signature type."""
    if isinstance(key, VerifierKey):
        if key_name is not None and key_name != key.name:
            raise ValueError(f"key name {key_name!r} is not the verifier key's name {key.name!r}")
        if key.algorithm != algorithm:
            raise ValueError(f"expected a signature type 0x{algorithm:02x} key, got 0x{key.algorithm:02x}")
        return key
    if key_name is None:
        raise ValueError("a raw public key needs its key name")
    _check_key_name(key_name)
    return VerifierKey(key_name, algorithm, raw_public_key(key))


def verify_signatures(note: Note, vkey: VerifierKey,
                      check: Callable[[NoteSignature], bool]) -> list[NoteSignature]:
    """Run ``check`` on every signature ``note`` has by ``vkey`` and return them; CheckpointError if
    there is none or ``check`` returns False for any."""
    mine = note.signed_by(vkey.name, vkey.key_id)
    if not mine:
        raise CheckpointError(f"no signature by key {vkey.name}+{vkey.key_id.hex()}")
    for sig in mine:
        if not check(sig):
            raise CheckpointError(f"signature by key {vkey.name}+{vkey.key_id.hex()} does not verify")
    return list(mine)


def _ed25519_verify(vkey: VerifierKey, sig: NoteSignature, message: bytes) -> bool:
    if len(sig.signature) != ED25519_SIGNATURE_SIZE:
        return False
    try:
        vkey.public_key().verify(sig.signature, message)
    except InvalidSignature:
        return False
    return True


def strict_b64decode(text: str, what: str) -> bytes:
    """Standard padded base64 with exactly one spelling per value; CheckpointError otherwise.

    Python's decoder ignores non-zero padding bits; re-encoding rejects those alternative spellings.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_key_name(name: str) -> None:
    if not valid_key_name(name):
        raise ValueError(f"bad key name {name!r}: non-empty, no spaces, no '+'")
