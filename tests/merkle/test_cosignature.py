"""Witness cosignatures (c2sp.org/tlog-cosignature) and the witness's consistency check
(c2sp.org/tlog-witness), tested with our own keys, checkpoints and trees: signed messages and key
ids rebuilt by hand from the spec's description, edits refused, and properties."""

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
    consistency_proof,
    cosign_checkpoint,
    cosignature_line,
    cosigned_message,
    format_checkpoint,
    leaf_hash,
    parse_note,
    parse_vkey,
    root_hash,
    sign_checkpoint,
    sign_note,
    valid_key_name,
    verify_checkpoint,
    verify_consistency,
    verify_cosignature,
    verify_note,
)
from tests.merkle.reference import ref_mth, ref_proof

PROPERTY = settings(max_examples=200, deadline=None)


def seeded(label: str) -> Ed25519PrivateKey:
    """A fixed Ed25519 key (seed = SHA-256 of ``label``), so every run and failure is reproducible."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(32))
WITNESS = VerifierKey.cosignature("witness", WITNESS_KEY.public_key())
ORIGIN = "footage-broker.example/audit"
ROOT = hashlib.sha256(b"root").digest()
CP = Checkpoint(ORIGIN, 1024, ROOT)
T = 1_700_000_000


def expected_cosig_id(name: str, public: bytes) -> bytes:
    """tlog-cosignature: key id = SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\x0a" + b"\x04" + public).digest()[:4]


def expected_message(body: str, timestamp: int) -> bytes:
    """tlog-cosignature: the signed message is the line "cosignature/v1", the line "time " and the
    timestamp in decimal, then the whole checkpoint body."""
    return b"cosignature/v1\n" + b"time " + str(timestamp).encode("ascii") + b"\n" + body.encode("utf-8")


def hand_cosignature(body: str, key: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """The cosignature line built from the spec alone: base64(key id || u64 BE timestamp || sig)."""
    public = VerifierKey.cosignature(name, key.public_key()).key
    signature = key.sign(expected_message(body, timestamp))
    blob = expected_cosig_id(name, public) + timestamp.to_bytes(8, "big") + signature
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n"


# --- A checkpoint cosigned by several witnesses -----------------------------------------------------

WITNESSES = [
    ("witness.example/one", seeded("witness one"), T),
    ("witness.example/two", seeded("witness two"), T + 5),
    ("witness-three.example", seeded("witness three"), T + 9),
]
LOG_NOTE = sign_checkpoint(CP, LOG_KEY)
# A second log signature of a type this package does not know (as logs that also sign RFC 6962 tree
# heads add): well-formed, ignored by every verifier here.
FOREIGN_LINE = NoteSignature(
    ORIGIN, hashlib.sha256(ORIGIN.encode() + b"\n\x05" + b"k" * 32).digest()[:4], bytes(range(70)),
).line()


def _cosign_all(note: str) -> str:
    for name, key, timestamp in WITNESSES:
        note = cosign_checkpoint(note, key, name, timestamp)
    return note


COSIGNED = _cosign_all(LOG_NOTE + FOREIGN_LINE)


def witness_vkey(i: int) -> VerifierKey:
    name, key, _ = WITNESSES[i]
    return parse_vkey(str(VerifierKey.cosignature(name, key.public_key())))


def test_the_cosigned_note_is_the_log_note_and_hand_built_lines() -> None:
    body = format_checkpoint(CP)
    assert LOG_NOTE + FOREIGN_LINE + "".join(
        hand_cosignature(body, key, name, timestamp) for name, key, timestamp in WITNESSES
    ) == COSIGNED


@pytest.mark.parametrize("i", range(len(WITNESSES)))
def test_each_witness_cosignature_verifies(i: int) -> None:
    name, key, timestamp = WITNESSES[i]
    assert verify_cosignature(COSIGNED, witness_vkey(i)) == timestamp
    assert verify_cosignature(COSIGNED.encode(), key.public_key(), name) == timestamp
    # The log's own signature is independent of the cosignatures around it.
    assert verify_checkpoint(COSIGNED, LOG_KEY.public_key(), ORIGIN) == CP


def test_a_witness_that_did_not_cosign_finds_no_cosignature() -> None:
    stranger = seeded("witness four").public_key()
    with pytest.raises(CheckpointError, match="no signature"):
        verify_cosignature(COSIGNED, VerifierKey.cosignature("witness.example/four", stranger))
    name, _, _ = WITNESSES[0]
    with pytest.raises(CheckpointError, match="no signature"):  # the right name with another key
        verify_cosignature(COSIGNED, VerifierKey.cosignature(name, stranger))


def _later(note: str, i: int, seconds: int) -> str:
    """``note`` with witness ``i``'s timestamp moved by ``seconds``, its signature unchanged."""
    vkey = witness_vkey(i)
    [sig] = parse_note(note).signed_by(vkey.name, vkey.key_id)
    moved = int.from_bytes(sig.signature[:8], "big") + seconds
    return note.replace(sig.line(), NoteSignature(sig.key_name, sig.key_id,
                                                  moved.to_bytes(8, "big") + sig.signature[8:]).line())


def _flipped_last_byte(note: str, i: int) -> str:
    vkey = witness_vkey(i)
    [sig] = parse_note(note).signed_by(vkey.name, vkey.key_id)
    bad = sig.signature[:-1] + bytes([sig.signature[-1] ^ 1])
    return note.replace(sig.line(), NoteSignature(sig.key_name, sig.key_id, bad).line())


_BODY = format_checkpoint(CP)


@pytest.mark.parametrize(
    ("case", "forged"),
    [
        ("tree size", COSIGNED.replace("\n1024\n", "\n1025\n")),
        ("extension line added", COSIGNED.replace(_BODY, _BODY + "extension\n")),
        ("timestamp one second later", _later(COSIGNED, 0, 1)),
        ("timestamp one second earlier", _later(COSIGNED, 0, -1)),
        ("signature byte", _flipped_last_byte(COSIGNED, 0)),
    ],
)
def test_a_cosignature_does_not_survive_edits(case: str, forged: str) -> None:
    with pytest.raises(CheckpointError):
        verify_cosignature(forged, witness_vkey(0))


def test_a_cosignature_is_not_a_plain_note_signature() -> None:
    cosig = witness_vkey(0)
    plain = VerifierKey.ed25519(cosig.name, cosig.public_key())
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(COSIGNED, plain)  # type 0x01 gives another key id: the line is not its
    with pytest.raises(ValueError):
        verify_cosignature(COSIGNED, plain)


@pytest.mark.parametrize(
    "cp",
    [
        CP,
        Checkpoint(ORIGIN, 0, EMPTY_ROOT),
        Checkpoint("log.example/ext", 8, ROOT, None, ("ext one", "ext two")),
    ],
)
@pytest.mark.parametrize("timestamp", [0, T, MAX_COSIGNATURE_TIMESTAMP])
def test_the_signed_message_is_built_as_the_spec_describes(cp: Checkpoint, timestamp: int) -> None:
    body = format_checkpoint(cp)
    assert cosigned_message(body, timestamp) == expected_message(body, timestamp)
    line = cosignature_line(body, WITNESS_KEY, "witness", timestamp)
    assert line == hand_cosignature(body, WITNESS_KEY, "witness", timestamp)
    sig = parse_note(body + "\n" + line).signatures[0]
    assert sig.key_id == expected_cosig_id("witness", WITNESS.key) and len(sig.signature) == 8 + 64
    assert int.from_bytes(sig.signature[:8], "big") == timestamp
    WITNESS_KEY.public_key().verify(sig.signature[8:], expected_message(body, timestamp))
    note = sign_checkpoint(cp, LOG_KEY) + line
    assert verify_cosignature(note, WITNESS) == timestamp


def test_one_key_as_a_plain_note_key_and_as_a_cosignature_key() -> None:
    # The same Ed25519 key under type 0x01 and type 0x04 has two key ids (the type byte is hashed),
    # so a cosignature is never read as a note signature by that key, nor the other way round.
    plain = parse_vkey(str(VerifierKey.ed25519("witness", WITNESS_KEY.public_key())))
    assert plain.key == WITNESS.key and plain.key_id != WITNESS.key_id
    assert plain.key_id == hashlib.sha256(b"witness\n\x01" + plain.key).digest()[:4]
    assert WITNESS.key_id == expected_cosig_id("witness", plain.key)
    log_note = sign_checkpoint(Checkpoint("log.example/eight", 8, ROOT), LOG_KEY)
    cosigned = cosign_checkpoint(log_note, WITNESS_KEY, "witness", T)
    assert cosigned.startswith(log_note)
    assert verify_cosignature(cosigned, WITNESS) == T
    assert verify_checkpoint(cosigned, LOG_KEY.public_key(), "log.example/eight").tree_size == 8
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(cosigned, plain)


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


def test_a_cosignature_by_another_key_or_for_another_body_is_refused() -> None:
    note = sign_checkpoint(CP, LOG_KEY)
    body = format_checkpoint(CP)
    other_key = NoteSignature("witness", WITNESS.key_id,
                              T.to_bytes(8, "big") + LOG_KEY.sign(expected_message(body, T)))
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_cosignature(note + other_key.line(), WITNESS)
    other_body = format_checkpoint(Checkpoint(ORIGIN, 1025, ROOT))
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_cosignature(note + cosignature_line(other_body, WITNESS_KEY, "witness", T), WITNESS)


def test_the_newest_cosignature_timestamp_is_returned() -> None:
    note = sign_checkpoint(CP, LOG_KEY)
    for timestamp in (T + 30, T, T + 90, T + 60):
        note = cosign_checkpoint(note, WITNESS_KEY, "witness", timestamp)
    assert verify_cosignature(note, WITNESS) == T + 90
    assert len(parse_note(note).signed_by("witness", WITNESS.key_id)) == 4


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

# Our tree of eight leaves, its roots at every size and the 5 -> 8 consistency proof, all from
# broker.merkle's tree and proof code (and checked against tests/merkle/reference.py below).
LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(8)]
ROOTS = [root_hash(LEAVES[:n]) for n in range(len(LEAVES) + 1)]
LOG = "log.example/eight"
AT_5 = Checkpoint(LOG, 5, ROOTS[5])
AT_8 = Checkpoint(LOG, 8, ROOTS[8])
PROOF_5_8 = consistency_proof(5, LEAVES)


def test_our_tree_matches_the_reference_transcription() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert all(ROOTS[n] == ref_mth(LEAVES[:n]) for n in range(1, len(ROOTS)))
    assert ref_proof(5, LEAVES) == PROOF_5_8
    # RFC 9162 SUBPROOF(5, D[8]): leaves 4 and 5, the root of leaves 6-7, the root of leaves 0-3.
    assert [LEAVES[4], LEAVES[5], ref_mth(LEAVES[6:8]), ROOTS[4]] == PROOF_5_8


def test_signed_checkpoints_of_our_tree_pass_the_witness_check() -> None:
    old = verify_checkpoint(sign_checkpoint(AT_5, LOG_KEY), LOG_KEY.public_key(), LOG)
    new = verify_checkpoint(sign_checkpoint(AT_8, LOG_KEY), LOG_KEY.public_key(), LOG)
    check_consistency(old, new, PROOF_5_8)
    cosigned = cosign_checkpoint(sign_checkpoint(new, LOG_KEY), WITNESS_KEY, "witness", T)
    assert verify_cosignature(cosigned, WITNESS) == T


def at(size: int, root: bytes, origin: str = "log") -> Checkpoint:
    return Checkpoint(origin, size, root)


def flip(proof: list[bytes], i: int) -> list[bytes]:
    return [bytes([p[0] ^ 1]) + p[1:] if k == i else p for k, p in enumerate(proof)]


CONSISTENT: list[tuple[str, Checkpoint | None, Checkpoint, list[bytes]]] = [
    ("our tree 5 -> 8", AT_5, AT_8, PROOF_5_8),
    ("first checkpoint, no proof", None, AT_8, []),
    ("same head again", AT_8, AT_8, []),
    ("empty log", None, at(0, EMPTY_ROOT), []),
    ("empty to non-empty", at(0, EMPTY_ROOT, LOG), AT_5, []),
]
INCONSISTENT: list[tuple[str, Checkpoint | None, Checkpoint, list[bytes], str]] = [
    ("proof element altered", AT_5, AT_8, flip(PROOF_5_8, 2), "consistency proof"),
    ("proof truncated", AT_5, AT_8, PROOF_5_8[:-1], "consistency proof"),
    ("proof missing", AT_5, AT_8, [], "consistency proof"),
    ("proof too long", AT_5, AT_8, [*PROOF_5_8, ROOTS[1]], "consistency proof"),
    ("rollback", AT_8, AT_5, PROOF_5_8, "below the old size"),
    ("same size, other root", AT_8, at(8, ROOT, LOG), [], "consistency proof"),
    ("other log", AT_5, at(8, ROOTS[8]), PROOF_5_8, "origin"),
    ("proof from size 0", None, AT_8, PROOF_5_8[:1], "from size 0"),
    ("size 0 with a root", None, at(0, ROOT), [], "empty tree"),
    ("old size 0 with a root", at(0, ROOT, LOG), AT_5, [], "consistency proof"),
    ("a root of another tree", AT_5, at(8, root_hash([*LEAVES[:7], leaf_hash(b"other")]), LOG), PROOF_5_8,
     "consistency proof"),
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


SIZE_PAIRS = [(m, n) for n in range(len(LEAVES) + 1) for m in range(n + 1)]


@pytest.mark.parametrize(("old", "new"), SIZE_PAIRS)
def test_every_pair_of_sizes_of_our_tree_passes_the_witness_check(old: int, new: int) -> None:
    proof = consistency_proof(old, LEAVES[:new])
    if old > 0:
        assert proof == ref_proof(old, LEAVES[:new])
    check_consistency(at(old, ROOTS[old]), at(new, ROOTS[new]), proof)
    for i in range(len(proof)):
        with pytest.raises(CheckpointError):
            check_consistency(at(old, ROOTS[old]), at(new, ROOTS[new]), flip(proof, i))
    if old < new:
        with pytest.raises(CheckpointError, match="below the old size"):
            check_consistency(at(new, ROOTS[new]), at(old, ROOTS[old]), proof)


HASH_POOL = ROOTS + LEAVES


@PROPERTY
@given(st.integers(0, 8), st.integers(0, 8), st.booleans(), st.lists(st.sampled_from(HASH_POOL), max_size=4))
def test_the_witness_check_is_verify_consistency_plus_rules(old: int, new: int, real: bool,
                                                            proof: list[bytes]) -> None:
    if real and old <= new:
        proof = consistency_proof(old, LEAVES[:new])
    ok = old <= new and verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)
    try:
        check_consistency(at(old, ROOTS[old]), at(new, ROOTS[new]), proof)
    except CheckpointError:
        assert not ok
    else:
        assert ok
