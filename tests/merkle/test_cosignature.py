"""Witness cosignatures (c2sp.org/tlog-cosignature) and the witness's consistency check
(c2sp.org/tlog-witness): a real cosigned checkpoint, the spec's example, and properties."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.merkle import (
    EMPTY_ROOT,
    MAX_COSIGNATURE_TIMESTAMP,
    MAX_SIGNATURE_LINES,
    Checkpoint,
    CheckpointError,
    NoteSignature,
    VerifierKey,
    check_consistency,
    cosign_checkpoint,
    cosignature_line,
    cosigned_message,
    format_checkpoint,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    sign_checkpoint,
    sign_note,
    valid_key_name,
    verify_checkpoint,
    verify_consistency,
    verify_cosignature,
    verify_note,
)
from tests.merkle.published_notes import (
    ARCHE_BODY,
    ARCHE_NOTE,
    ARCHE_VKEY,
    MONKEYS_INIT,
    MONKEYS_NEXT,
    MONKEYS_PROOF_5_8,
    MONKEYS_VKEY,
    REMORA_TIMESTAMP,
    REMORA_VKEY,
    SPEC_COSIGNATURE_TIMESTAMP,
    SPEC_COSIGNED_NOTE,
    WITNESS_SKEY,
)
from tests.merkle.test_vectors import CONSISTENCY, ROOTS

PROPERTY = settings(max_examples=200, deadline=None)
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(base64.b64decode(WITNESS_SKEY.split("+")[4])[1:])
WITNESS = VerifierKey.cosignature("witness", WITNESS_KEY.public_key())
ORIGIN = "footage-broker.example/audit"
ROOT = hashlib.sha256(b"root").digest()
CP = Checkpoint(ORIGIN, 1024, ROOT)
T = 1_700_000_000


# --- Published vectors ------------------------------------------------------------------------------

def test_a_real_witness_cosignature_verifies() -> None:
    remora = parse_vkey(REMORA_VKEY)
    assert verify_cosignature(ARCHE_NOTE, remora) == REMORA_TIMESTAMP
    assert verify_cosignature(ARCHE_NOTE.encode(), remora.public_key(), "remora.n621.de") == REMORA_TIMESTAMP
    # The log's own signature is independent of the cosignatures around it.
    assert verify_checkpoint(ARCHE_NOTE, parse_vkey(ARCHE_VKEY)).tree_size == 1432088532


@pytest.mark.parametrize(
    "forged",
    [
        ARCHE_NOTE.replace("\n1432088532\n", "\n1432088533\n"),
        ARCHE_NOTE.replace(ARCHE_BODY, ARCHE_BODY + "extension\n"),
        ARCHE_NOTE.replace("2net5wAAAABqEiEg", "2net5wAAAABqEiEh"),  # the timestamp, one second later
        ARCHE_NOTE.replace("fBw==", "fBA=="),
    ],
)
def test_a_real_cosignature_does_not_survive_edits(forged: str) -> None:
    with pytest.raises(CheckpointError):
        verify_cosignature(forged, parse_vkey(REMORA_VKEY))


def test_the_remora_cosignature_is_not_a_plain_note_signature() -> None:
    remora = parse_vkey(REMORA_VKEY)
    plain = VerifierKey.ed25519(remora.name, remora.public_key())
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(ARCHE_NOTE, plain)  # type 0x01 gives another key id: the line is not its
    with pytest.raises(ValueError):
        verify_cosignature(ARCHE_NOTE, plain)


def test_the_spec_example_layout() -> None:
    note = parse_note(SPEC_COSIGNED_NOTE)
    log_sig, cosig = note.signatures
    assert cosig.key_name == "witness.example.com/w1" and len(cosig.signature) == 8 + 64
    assert int.from_bytes(cosig.signature[:8], "big") == SPEC_COSIGNATURE_TIMESTAMP
    # https://github.com/C2SP/C2SP/blob/main/tlog-cosignature.md, "Ed25519 signed message".
    assert cosigned_message(note.text, SPEC_COSIGNATURE_TIMESTAMP) == (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert len(log_sig.signature) == 64


def test_a_go_witness_key_cosigns_a_go_log_checkpoint() -> None:
    # transparency-dev/witness uses a type 0x01 skey for cosignature/v1: same key, key id of type 0x04.
    plain = parse_vkey("witness+f13a86db+AdYV1Ztajd9BvyjP2HgpwrqYL6TjOwIjGMOq8Bu42xbN")
    assert plain.key == WITNESS.key and plain.key_id != WITNESS.key_id
    verify_checkpoint(MONKEYS_NEXT, parse_vkey(MONKEYS_VKEY))
    cosigned = cosign_checkpoint(MONKEYS_NEXT, WITNESS_KEY, "witness", T)
    assert cosigned.startswith(MONKEYS_NEXT)
    assert verify_cosignature(cosigned, WITNESS) == T
    assert verify_checkpoint(cosigned, parse_vkey(MONKEYS_VKEY)).tree_size == 8


# --- Cosigning -------------------------------------------------------------------------------------

def test_cosignature_line_layout() -> None:
    body = format_checkpoint(CP)
    line = cosignature_line(body, WITNESS_KEY, "witness", T)
    prefix, name, blob = line[:-1].split(" ")
    assert (prefix, name) == ("—", "witness") and line.endswith("\n")
    raw = base64.b64decode(blob)
    pub = WITNESS.key
    assert raw[:4] == hashlib.sha256(b"witness\n\x04" + pub).digest()[:4] == WITNESS.key_id
    assert raw[4:12] == T.to_bytes(8, "big") and len(raw) == 4 + 8 + 64
    WITNESS_KEY.public_key().verify(raw[12:], b"cosignature/v1\ntime 1700000000\n" + body.encode())
    assert cosignature_line(body, WITNESS_KEY, "witness", T) == line  # deterministic


def test_cosign_keeps_the_note_and_is_idempotent() -> None:
    note = sign_checkpoint(CP, LOG_KEY)
    once = cosign_checkpoint(note, WITNESS_KEY, "witness", T)
    assert once.startswith(note) and once.count("\n— ") == 2
    assert cosign_checkpoint(once, WITNESS_KEY, "witness", T) == once
    later = cosign_checkpoint(once, WITNESS_KEY, "witness", T + 60)
    assert verify_cosignature(later, WITNESS) == T + 60  # the newest of its cosignatures
    assert verify_checkpoint(later, LOG_KEY.public_key(), ORIGIN) == CP


def test_every_cosignature_by_the_witness_must_verify() -> None:
    once = cosign_checkpoint(sign_checkpoint(CP, LOG_KEY), WITNESS_KEY, "witness", T)
    line = once.split("\n")[-2]
    sig = parse_note(once).signatures[-1]
    stale = NoteSignature(sig.key_name, sig.key_id, (T + 1).to_bytes(8, "big") + sig.signature[8:])
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_cosignature(once + stale.line(), WITNESS)
    assert verify_cosignature(once + line + "\n", WITNESS) == T  # identical duplicate: one cosignature


@pytest.mark.parametrize("timestamp", [-1, MAX_COSIGNATURE_TIMESTAMP + 1, True])
def test_cosignature_timestamps_are_bounded(timestamp: int) -> None:
    with pytest.raises(ValueError):
        cosignature_line(format_checkpoint(CP), WITNESS_KEY, "witness", timestamp)


def test_a_timestamp_above_2_63_is_refused_even_if_signed() -> None:
    body = format_checkpoint(CP)
    ts = MAX_COSIGNATURE_TIMESTAMP + 1
    forged = NoteSignature("witness", WITNESS.key_id,
                           ts.to_bytes(8, "big") + WITNESS_KEY.sign(cosigned_message(body, ts)))
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_cosignature(sign_checkpoint(CP, LOG_KEY) + forged.line(), WITNESS)
    edge = MAX_COSIGNATURE_TIMESTAMP
    assert verify_cosignature(cosign_checkpoint(sign_checkpoint(CP, LOG_KEY), WITNESS_KEY, "witness", edge),
                              WITNESS) == edge


def test_a_plain_signature_by_the_witness_key_is_not_a_cosignature() -> None:
    note = sign_checkpoint(CP, LOG_KEY)
    plain = sign_note(format_checkpoint(CP), WITNESS_KEY, "witness").split("\n\n")[1]
    with pytest.raises(CheckpointError, match="no signature"):
        verify_cosignature(note + plain, WITNESS)
    relabelled = parse_note(note + plain).signatures[-1]
    forged = NoteSignature("witness", WITNESS.key_id, relabelled.signature)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_cosignature(note + forged.line(), WITNESS)


def test_cosigning_needs_a_checkpoint_and_room_for_a_line() -> None:
    with pytest.raises(CheckpointError):
        cosign_checkpoint(sign_note("not a checkpoint\n", LOG_KEY, "log"), WITNESS_KEY, "witness", T)
    with pytest.raises(CheckpointError):
        cosign_checkpoint(format_checkpoint(CP), WITNESS_KEY, "witness", T)  # a body, not a note
    with pytest.raises(ValueError):
        cosign_checkpoint(sign_checkpoint(CP, LOG_KEY), WITNESS_KEY, "a witness", T)
    note = sign_checkpoint(CP, LOG_KEY)
    for i in range(MAX_SIGNATURE_LINES - 1):
        note = cosign_checkpoint(note, WITNESS_KEY, "witness", i)
    assert note.count("\n— ") == MAX_SIGNATURE_LINES
    with pytest.raises(CheckpointError, match="more than"):
        cosign_checkpoint(note, WITNESS_KEY, "witness", MAX_SIGNATURE_LINES)


def test_verify_cosignature_needs_a_checkpoint_and_the_right_key_type() -> None:
    text = "not a checkpoint\n"
    line = cosignature_line(format_checkpoint(CP), WITNESS_KEY, "witness", T)
    note = sign_note(text, LOG_KEY, "log") + line
    with pytest.raises(CheckpointError):
        verify_cosignature(note, WITNESS)
    cosigned = cosign_checkpoint(sign_checkpoint(CP, LOG_KEY), WITNESS_KEY, "witness", T)
    with pytest.raises(ValueError):
        verify_cosignature(cosigned, WITNESS, "other")
    with pytest.raises(ValueError):
        verify_cosignature(cosigned, WITNESS_KEY.public_key())
    with pytest.raises(CheckpointError, match="no signature"):
        verify_cosignature(cosigned, VerifierKey.cosignature("witness", LOG_KEY.public_key()))


printable = st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"))
names = st.text(printable, min_size=1, max_size=30).filter(valid_key_name)
extension_lines = st.text(printable, min_size=1, max_size=20).filter(lambda s: not s.startswith("timestamp "))
checkpoints = st.builds(
    Checkpoint,
    origin=names,
    tree_size=st.integers(0, 2**63),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(extension_lines, max_size=3).map(tuple),
)
timestamps = st.integers(0, MAX_COSIGNATURE_TIMESTAMP)


@PROPERTY
@given(checkpoints, names, timestamps)
def test_cosign_verify_round_trip(cp: Checkpoint, witness: str, timestamp: int) -> None:
    note = cosign_checkpoint(sign_checkpoint(cp, LOG_KEY), WITNESS_KEY, witness, timestamp)
    assert verify_cosignature(note, VerifierKey.cosignature(witness, WITNESS_KEY.public_key())) == timestamp
    assert verify_checkpoint(note, LOG_KEY.public_key(), cp.origin) == cp


@PROPERTY
@given(checkpoints, timestamps, st.data())
def test_any_single_byte_edit_of_a_cosigned_note_is_rejected(
    cp: Checkpoint, timestamp: int, data: st.DataObject,
) -> None:
    note = cosign_checkpoint(sign_checkpoint(cp, LOG_KEY), WITNESS_KEY, "witness", timestamp).encode()
    # Edits inside the log's own signature line leave the cosignature intact: skip that line.
    log_line = note.index(b"\n\n") + 2, note.index(b"\n", note.index(b"\n\n") + 2) + 1
    i = data.draw(st.integers(0, len(note) - 1).filter(lambda k: not log_line[0] <= k < log_line[1]))
    b = data.draw(st.integers(0, 255).filter(lambda v: v != note[i]))
    with pytest.raises(CheckpointError):
        verify_cosignature(note[:i] + bytes([b]) + note[i + 1 :], WITNESS)


# --- The witness's consistency check ----------------------------------------------------------------

MONKEYS_5 = parse_checkpoint(MONKEYS_INIT.split("\n\n")[0] + "\n")
MONKEYS_8 = parse_checkpoint(MONKEYS_NEXT.split("\n\n")[0] + "\n")


def at(size: int, root: bytes, origin: str = "log") -> Checkpoint:
    return Checkpoint(origin, size, root)


def flip(proof: list[bytes], i: int) -> list[bytes]:
    return [bytes([p[0] ^ 1]) + p[1:] if k == i else p for k, p in enumerate(proof)]


CONSISTENT: list[tuple[str, Checkpoint | None, Checkpoint, list[bytes]]] = [
    ("transparency-dev/witness 5 -> 8", MONKEYS_5, MONKEYS_8, MONKEYS_PROOF_5_8),
    ("first checkpoint, no proof", None, MONKEYS_8, []),
    ("same head again", MONKEYS_8, MONKEYS_8, []),
    ("empty log", None, at(0, EMPTY_ROOT), []),
    ("empty to non-empty", at(0, EMPTY_ROOT, "monkeys"), MONKEYS_5, []),
]
INCONSISTENT: list[tuple[str, Checkpoint | None, Checkpoint, list[bytes], str]] = [
    ("proof element altered", MONKEYS_5, MONKEYS_8, flip(MONKEYS_PROOF_5_8, 2), "consistency proof"),
    ("proof truncated", MONKEYS_5, MONKEYS_8, MONKEYS_PROOF_5_8[:-1], "consistency proof"),
    ("proof missing", MONKEYS_5, MONKEYS_8, [], "consistency proof"),
    ("rollback", MONKEYS_8, MONKEYS_5, MONKEYS_PROOF_5_8, "below the old size"),
    ("same size, other root", MONKEYS_8, at(8, ROOT, "monkeys"), [], "consistency proof"),
    ("other log", MONKEYS_5, at(8, MONKEYS_8.root_hash), MONKEYS_PROOF_5_8, "origin"),
    ("proof from size 0", None, MONKEYS_8, MONKEYS_PROOF_5_8[:1], "from size 0"),
    ("size 0 with a root", None, at(0, ROOT), [], "empty tree"),
    ("old size 0 with a root", at(0, ROOT, "monkeys"), MONKEYS_5, [], "consistency proof"),
]


@pytest.mark.parametrize(("case", "old", "new", "proof"), CONSISTENT)
def test_consistent_heads_may_be_cosigned(case: str, old: Checkpoint | None, new: Checkpoint,
                                          proof: list[bytes]) -> None:
    check_consistency(old, new, proof)


@pytest.mark.parametrize(("case", "old", "new", "proof", "why"), INCONSISTENT)
def test_inconsistent_heads_are_refused(case: str, old: Checkpoint | None, new: Checkpoint,
                                        proof: list[bytes], why: str) -> None:
    with pytest.raises(CheckpointError, match=why):
        check_consistency(old, new, proof)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_rfc_consistency_vectors_pass_the_witness_check(old: int, new: int, proof: list[bytes]) -> None:
    check_consistency(at(old, ROOTS[old]), at(new, ROOTS[new]), proof)
    if proof:
        with pytest.raises(CheckpointError):
            check_consistency(at(old, ROOTS[old]), at(new, ROOTS[new]), flip(proof, 0))


@PROPERTY
@given(st.integers(0, 8), st.integers(0, 8), st.lists(st.sampled_from(ROOTS), max_size=4))
def test_the_witness_check_is_verify_consistency_plus_rules(old: int, new: int, proof: list[bytes]) -> None:
    ok = old <= new and verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)
    try:
        check_consistency(at(old, ROOTS[old]), at(new, ROOTS[new]), proof)
    except CheckpointError:
        assert not ok
    else:
        assert ok
