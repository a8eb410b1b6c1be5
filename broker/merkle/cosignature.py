"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) and the consistency
check a witness makes before cosigning (c2sp.org/tlog-witness, add-checkpoint).

A cosignature is one more signature line on a checkpoint note: key name = the witness's name, key
id = SHA-256(name || "\\n" || 0x04 || public key)[:4], and after the key id an 8-byte big-endian
Unix timestamp and an Ed25519 signature over::

    cosignature/v1
    time <timestamp, decimal>
    <the whole checkpoint body, extension lines included>

It says: at that time, this was the largest consistent tree head the witness had seen for the
origin. The signed message does not name the witness, so each witness needs its own key.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from broker.merkle.checkpoint import Checkpoint, parse_checkpoint
from broker.merkle.hashing import EMPTY_ROOT
from broker.merkle.note import (
    COSIGNATURE_V1_ALGORITHM,
    ED25519_SIGNATURE_SIZE,
    CheckpointError,
    NoteSignature,
    VerifierKey,
    as_verifier_key,
    parse_note,
    verify_signatures,
)
from broker.merkle.proofs import verify_consistency

MAX_COSIGNATURE_TIMESTAMP = 2**63 - 1
"""Largest timestamp a cosignature may carry (the spec's bound on the u64 field)."""

COSIGNATURE_HEADER = "cosignature/v1\n"
"""First line of every cosignature/v1 signed message: domain separation from other signatures."""

_TIMESTAMP_SIZE = 8


def cosigned_message(text: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs: header, ``time <timestamp>`` line, then checkpoint ``text``.

    No validation; ``cosignature_line`` and ``verify_cosignature`` check their inputs first.
    """
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def cosignature_line(text: str, private_key: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """The signature line, with its newline, by witness ``name`` cosigning checkpoint body ``text``
    at Unix time ``timestamp`` (seconds).

    Raises CheckpointError unless ``text`` is a body ``parse_checkpoint`` accepts; ValueError for a
    bad key name or a timestamp outside [0, 2**63 - 1]. Deterministic for equal inputs. This only
    signs: the caller (a witness) must first verify the log's signature and ``check_consistency``.
    """
    vkey = VerifierKey.cosignature(name, private_key.public_key())
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_COSIGNATURE_TIMESTAMP:
        raise ValueError(f"cosignature timestamp {timestamp!r} outside [0, 2**63 - 1]")
    parse_checkpoint(text)
    signature = private_key.sign(cosigned_message(text, timestamp))
    return NoteSignature(name, vkey.key_id, timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature).line()


def cosign_checkpoint(note: str, private_key: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """``note`` with witness ``name``'s cosignature at ``timestamp`` appended (unchanged if that
    exact line is already there); existing lines are kept byte for byte.

    Raises CheckpointError unless ``note`` passes ``parse_note`` with a checkpoint body and room for
    one more signature line; ValueError as ``cosignature_line``. It does not check the log's
    signature: verify that (``verify_checkpoint``) and consistency (``check_consistency``) first.
    """
    parsed = parse_note(note)
    line = cosignature_line(parsed.text, private_key, name, timestamp)
    if any(sig.line() == line for sig in parsed.signatures):
        return note
    parse_note(note + line)  # the result must still be a note: at most MAX_SIGNATURE_LINES lines
    return note + line


def verify_cosignature(note: str | bytes, witness: VerifierKey | Ed25519PublicKey,
                       name: str | None = None) -> int:
    """The Unix timestamp of witness ``witness``'s cosignature on the checkpoint ``note``; the
    newest one if it cosigned more than once.

    ``witness`` is a type 0x04 ``VerifierKey`` (``name``, if given, must equal its name) or an
    Ed25519 public key with ``name``; otherwise ValueError. Raises CheckpointError unless ``note``
    passes ``parse_note``, its text passes ``parse_checkpoint``, at least one signature line claims
    this witness's (name, key id), and every such line is 72 bytes with a timestamp <= 2**63 - 1 and
    a valid Ed25519 signature. It says nothing about the log's own signature (``verify_checkpoint``)
    and does not reject timestamps in the future: compare the result with the caller's clock.
    """
    vkey = as_verifier_key(witness, name, COSIGNATURE_V1_ALGORITHM)
    parsed = parse_note(note)
    parse_checkpoint(parsed.text)
    public_key = vkey.public_key()

    def check(sig: NoteSignature) -> bool:
        if len(sig.signature) != _TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
        if timestamp > MAX_COSIGNATURE_TIMESTAMP:
            return False
        try:
            public_key.verify(sig.signature[_TIMESTAMP_SIZE:], cosigned_message(parsed.text, timestamp))
        except InvalidSignature:
            return False
        return True

    sigs = verify_signatures(parsed, vkey, check)
    return max(int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big") for sig in sigs)


def check_consistency(old: Checkpoint | None, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise CheckpointError unless a witness whose latest cosigned head is ``old`` may cosign ``new``.

    ``old`` is None for a log never cosigned (size 0, empty root). The rules of tlog-witness
    add-checkpoint: same origin; a size-0 ``new`` has the empty tree's root; ``old`` is no larger
    than ``new``; ``proof`` (RFC 6962 consistency proof, 32-byte hashes) is empty from size 0 and
    verifies otherwise (equal sizes need equal roots and an empty proof). Both checkpoints must
    already be signature-verified; the witness must also check, atomically with recording ``new``,
    that the submitted old size equals ``old``'s.
    """
    if new.tree_size == 0 and new.root_hash != EMPTY_ROOT:
        raise CheckpointError("a checkpoint of size 0 must have the empty tree's root")
    old_size, old_root = (0, EMPTY_ROOT) if old is None else (old.tree_size, old.root_hash)
    if old is not None and old.origin != new.origin:
        raise CheckpointError(f"origin {new.origin!r} is not the old checkpoint's {old.origin!r}")
    if old_size > new.tree_size:
        raise CheckpointError(f"new size {new.tree_size} is below the old size {old_size}")
    if old_size == 0 and proof:
        raise CheckpointError("a consistency proof from size 0 must be empty")
    if not verify_consistency(old_size, new.tree_size, old_root, new.root_hash, proof):
        raise CheckpointError(f"no valid consistency proof from size {old_size} to {new.tree_size}")
