"""Checkpoint text and C2SP signed notes: exact format, round trips, and rejection of any tampering."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.errors import InvalidInput
from broker.merkle import (
    EMPTY_ROOT,
    TIMESTAMP_PREFIX,
    Checkpoint,
    CheckpointError,
    VerifierKey,
    format_checkpoint,
    key_hash,
    leaf_hash,
    parse_checkpoint,
    parse_vkey,
    root_hash,
    sign_checkpoint,
    sign_note,
    valid_key_name,
    verify_checkpoint,
    verify_checkpoint_legacy,
    verify_note,
)

PROPERTY = settings(max_examples=200, deadline=None)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
NAME = "footage-broker.example/audit"
ROOT = hashlib.sha256(b"root").digest()
CP = Checkpoint(NAME, 1024, ROOT, datetime(2026, 11, 20, 9, 0, 1, 250000, tzinfo=UTC))
BODY = (
    "footage-broker.example/audit\n"
    "1024\n"
    f"{base64.b64encode(ROOT).decode()}\n"
    "timestamp 2026-11-20T09:00:01.250000Z\n"
)


def test_body_format_is_exact() -> None:
    assert format_checkpoint(CP) == BODY
    assert parse_checkpoint(BODY) == CP


def test_signed_note_layout() -> None:
    note = sign_checkpoint(CP, KEY)
    body, blank, sig_line = note.partition("\n\n")
    assert body + "\n" == BODY and blank == "\n\n"
    assert sig_line.startswith(f"— {NAME} ") and sig_line.endswith("\n")
    blob = base64.b64decode(sig_line.split(" ")[2])
    raw = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    by_hand = hashlib.sha256(NAME.encode() + b"\n\x01" + raw).digest()[:4]
    assert blob[:4] == by_hand == key_hash(NAME, KEY.public_key())
    assert len(blob) == 4 + 64
    assert verify_checkpoint(note, KEY.public_key(), NAME) == CP


# The example key and note from Go's golang.org/x/mod/sumdb/note, the reference implementation.
GO_SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
GO_VKEY = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"  # noqa: E501
GO_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501


def test_interoperates_with_the_go_reference_note() -> None:
    assert GO_SKEY_SEED[0] == GO_VKEY[0] == 0x01
    private = Ed25519PrivateKey.from_private_bytes(GO_SKEY_SEED[1:])
    public = Ed25519PublicKey.from_public_bytes(GO_VKEY[1:])
    assert private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == GO_VKEY[1:]
    assert key_hash("PeterNeumann", public).hex() == "c74f20a3"
    assert sign_note(GO_TEXT, private, "PeterNeumann") == GO_TEXT + "\n" + GO_SIG
    assert verify_note(GO_TEXT + "\n" + GO_SIG, public, "PeterNeumann") == GO_TEXT


printable = st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"))
origins = st.text(printable, min_size=1, max_size=40)
checkpoints = st.builds(
    Checkpoint,
    origin=origins,
    tree_size=st.integers(0, 2**64),
    root_hash=st.binary(min_size=32, max_size=32),
    timestamp=st.datetimes(timezones=st.just(UTC)),
)


@PROPERTY
@given(checkpoints)
def test_format_parse_round_trip(cp: Checkpoint) -> None:
    assert parse_checkpoint(format_checkpoint(cp)) == cp


# Changed: the log's key name is now the origin (sign_checkpoint takes no key name), so signable
# checkpoints are those whose origin is a valid key name, and verification names the origin.
signable = checkpoints.filter(lambda cp: valid_key_name(cp.origin))


@PROPERTY
@given(signable)
def test_sign_verify_round_trip(cp: Checkpoint) -> None:
    note = sign_checkpoint(cp, KEY)
    assert note.startswith(format_checkpoint(cp) + f"\n— {cp.origin} ")
    assert verify_checkpoint(note, KEY.public_key(), cp.origin) == cp
    assert verify_checkpoint(note, VerifierKey.ed25519(cp.origin, KEY.public_key())) == cp


def tamperings(note: str) -> list[str]:
    out = []
    for i, c in enumerate(note):
        for replacement in {chr(ord(c) ^ 1), "A" if c != "A" else "B", "\n" if c != "\n" else " "}:
            out.append(note[:i] + replacement + note[i + 1 :])
        out.append(note[:i] + note[i + 1 :])
    return out


def test_any_altered_character_of_body_or_signature_is_rejected() -> None:
    note = sign_checkpoint(CP, KEY)
    for forged in tamperings(note):
        with pytest.raises(CheckpointError):
            verify_checkpoint(forged, KEY.public_key(), NAME)


@PROPERTY
@given(signable, st.data())
def test_random_alterations_are_rejected(cp: Checkpoint, data: st.DataObject) -> None:
    note = sign_checkpoint(cp, KEY)
    i = data.draw(st.integers(0, len(note) - 1))
    c = data.draw(st.characters(exclude_categories=["Cs"]).filter(lambda ch: ch != note[i]))
    with pytest.raises(CheckpointError):
        verify_checkpoint(note[:i] + c + note[i + 1 :], KEY.public_key(), cp.origin)


def test_non_canonical_base64_signature_is_rejected() -> None:
    # 68 bytes end in "x=" where only 4 of the last character's 6 bits carry data: flipping a padding
    # bit decodes to the same signature under lenient decoders, so it must be refused.
    note = sign_checkpoint(CP, KEY)
    last = note.rindex("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sibling = alphabet[alphabet.index(note[last - 1]) ^ 1]
    forged = note[: last - 1] + sibling + note[last:]
    assert base64.b64decode(forged.split(" ")[-1]) == base64.b64decode(note.split(" ")[-1])
    with pytest.raises(CheckpointError, match="canonical"):
        verify_checkpoint(forged, KEY.public_key(), NAME)


def test_wrong_key_or_key_name_is_rejected() -> None:
    note = sign_checkpoint(CP, KEY)
    with pytest.raises(CheckpointError):
        verify_checkpoint(note, OTHER_KEY.public_key(), NAME)
    with pytest.raises(CheckpointError):
        verify_checkpoint(note, KEY.public_key(), NAME + "2")
    # Same key, signature line relabelled with another name: the key hash no longer matches.
    relabelled = note.replace(f"— {NAME} ", "— other.example/log ")
    with pytest.raises(CheckpointError):
        verify_checkpoint(relabelled, KEY.public_key(), "other.example/log")


def test_cosignatures_are_ignored_and_identical_duplicates_tolerated() -> None:
    note = sign_checkpoint(CP, KEY)
    cosig = sign_note(BODY, OTHER_KEY, "witness.example").split("\n\n", 1)[1]
    cosigned = note + cosig
    assert verify_checkpoint(cosigned, KEY.public_key(), NAME) == CP
    # Changed: the other key's signature still verifies as a note signature, but it does not make
    # a checkpoint of origin NAME, whose log key name must be NAME.
    assert verify_note(cosigned, OTHER_KEY.public_key(), "witness.example") == BODY
    with pytest.raises(CheckpointError, match="no signature"):
        verify_checkpoint(cosigned, OTHER_KEY.public_key(), NAME)
    with pytest.raises(CheckpointError, match="origin"):
        verify_checkpoint(cosigned, OTHER_KEY.public_key(), "witness.example")
    # Changed: signed-note readers drop repeated identical signature lines (c2sp.org/signed-note,
    # golang.org/x/mod/sumdb/note), so the same line twice is one signature, not an error.
    mine = note.split("\n\n", 1)[1]
    assert verify_checkpoint(note + mine, KEY.public_key(), NAME) == CP
    with pytest.raises(CheckpointError):
        verify_checkpoint(note + "— witness.example not-base64!\n", KEY.public_key(), NAME)


@pytest.mark.parametrize(
    "body",
    [
        BODY[:-1],
        BODY.replace("\n1024\n", "\n01024\n"),
        BODY.replace("\n1024\n", "\n+1024\n"),
        BODY.replace("\n1024\n", "\n 1024\n"),
        BODY.replace("\n1024\n", "\n١٠٢٤\n"),
        BODY.replace("\n1024\n", "\n-1\n"),
        BODY.replace(base64.b64encode(ROOT).decode(), base64.b64encode(ROOT[:31]).decode()),
        BODY.replace(base64.b64encode(ROOT).decode(), base64.b64encode(ROOT).decode().rstrip("=")),
        BODY.replace(base64.b64encode(ROOT).decode(), base64.urlsafe_b64encode(b"\xff" * 32).decode()),
        BODY.replace("01.250000Z", "01.25Z"),
        BODY.replace("01.250000Z", "01.250000+00:00"),
        BODY.replace("2026-11-20", "2026-02-30"),
        BODY.replace(NAME, ""),
        BODY.replace(NAME, " " + NAME),
        "\n\n\n\n",
        # Extension lines: non-empty (tlog-checkpoint), no control characters (signed-note), and the
        # timestamp line only once, first among them.
        BODY + "\n",
        BODY.replace("\ntimestamp", "\n\ntimestamp"),
        BODY + "tab\there\n",
        BODY + "cr\r\n",
        BODY + "timestamp 2026-11-20T09:00:01.250000Z\n",
        BODY.replace("timestamp", "first\ntimestamp"),
        BODY + "timestamp soon\n",
        BODY.replace("\n1024\n", "\n1024\x00\n"),
    ],
)
def test_parse_rejects_non_canonical_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)


# Changed: these three were refused while the body had to be exactly our four lines. The spec's body
# is three lines, and any further non-empty lines are extension lines that must be kept.
@pytest.mark.parametrize(
    ("body", "timestamp", "extensions"),
    [
        (BODY.replace("timestamp 2026-11-20T09:00:01.250000Z\n", ""), None, ()),
        (BODY + "extra\n", CP.timestamp, ("extra",)),
        (BODY.replace("timestamp ", "time "), None, ("time 2026-11-20T09:00:01.250000Z",)),
    ],
)
def test_spec_bodies_and_extension_lines_are_accepted(
    body: str, timestamp: datetime | None, extensions: tuple[str, ...],
) -> None:
    cp = parse_checkpoint(body)
    assert (cp.origin, cp.tree_size, cp.root_hash) == (NAME, 1024, ROOT)
    assert cp.timestamp == timestamp and cp.extensions == extensions
    assert format_checkpoint(cp) == body


# Our trees: the roots of the first n of eight leaves, computed with broker.merkle's tree code.
LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(8)]
TREE_ROOTS = [root_hash(LEAVES[:n]) for n in range(len(LEAVES) + 1)]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# (case, body): tlog-checkpoint's three-line bodies (origin, size, base64 root), none with our timestamp.
THREE_LINE_BODIES = [
    ("empty tree", f"{NAME}\n0\n{b64(EMPTY_ROOT)}\n"),
    ("tree of 5", f"{NAME}\n5\n{b64(TREE_ROOTS[5])}\n"),
    ("tree of 8", f"log.example/eight\n8\n{b64(TREE_ROOTS[8])}\n"),
    ("origin with spaces", f"Footage Broker audit tree\n3\n{b64(TREE_ROOTS[3])}\n"),
    ("unicode origin", f"журнал.example/κάμερα\n1\n{b64(TREE_ROOTS[1])}\n"),
    ("2**64 leaves", f"{NAME}\n{2**64}\n{b64(ROOT)}\n"),
]


@pytest.mark.parametrize(("case", "body"), THREE_LINE_BODIES)
def test_three_line_bodies_parse(case: str, body: str) -> None:
    origin, size, root = body[:-1].split("\n")
    cp = parse_checkpoint(body)
    assert (cp.origin, cp.tree_size, b64(cp.root_hash)) == (origin, int(size), root)
    assert cp.timestamp is None and cp.extensions == ()
    assert format_checkpoint(cp) == body


def test_extension_lines_follow_a_32_byte_root() -> None:
    # tlog-checkpoint: any lines after the root are opaque extension lines. The root is the tree's
    # RFC 6962 hash here, so a body whose root is 16 bytes is refused even with valid extensions.
    short = f"Camera Log\n42\n{b64(ROOT[:16])}\nbuild 7f3a09\nrainy tuesday\n"
    with pytest.raises(CheckpointError, match="32 bytes"):
        parse_checkpoint(short)
    body = short.replace(b64(ROOT[:16]), b64(ROOT))
    cp = parse_checkpoint(body)
    assert cp.extensions == ("build 7f3a09", "rainy tuesday") and cp.timestamp is None
    assert format_checkpoint(cp) == body


@pytest.mark.parametrize(
    "body",
    [
        # tlog-checkpoint: three non-empty lines ending in newlines; a decimal size; a base64 root.
        "Camera Log\n42\n",
        f"\n42\n{b64(ROOT)}\n",
        f"Camera Log\n42\n{b64(ROOT)}",
        f"Camera Log\nforty-two\n{b64(ROOT)}\n",
        f"Camera Log\n-42\n{b64(ROOT)}\n",
        f"Camera Log\n0x2a\n{b64(ROOT)}\n",
        "Camera Log\n42\nnot base64 at all!\n",
        f"Camera Log\n42\n{b64(ROOT[:8])}\n",
        f"Camera Log\n42\n{b64(ROOT + ROOT[:1])}\n",
        # Trailing empty lines (tlog-checkpoint: extension lines are never empty).
        f"Camera Log\n42\n{b64(ROOT)}\n\n",
        f"Camera Log\n42\n{b64(ROOT)}\n\n\n\n",
    ],
)
def test_malformed_three_line_bodies_are_refused(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)


extension_lines = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=[chr(i) for i in range(32)]), min_size=1,
).filter(lambda line: not line.startswith(TIMESTAMP_PREFIX))
full_checkpoints = st.builds(
    Checkpoint,
    origin=origins,
    tree_size=st.integers(0, 2**64),
    root_hash=st.binary(min_size=32, max_size=32),
    timestamp=st.none() | st.datetimes(timezones=st.just(UTC)),
    extensions=st.lists(extension_lines, max_size=4).map(tuple),
)


@PROPERTY
@given(full_checkpoints)
def test_format_parse_round_trip_with_extensions(cp: Checkpoint) -> None:
    body = format_checkpoint(cp)
    assert parse_checkpoint(body) == cp
    assert body.count("\n") == 3 + (cp.timestamp is not None) + len(cp.extensions)


@pytest.mark.parametrize("line", ["", "a\nb", "tab\t", "timestamp 2026-11-20T09:00:01.250000Z", "\ud800"])
def test_checkpoint_rejects_bad_extension_lines(line: str) -> None:
    with pytest.raises(ValueError):
        Checkpoint(NAME, 1, ROOT, None, (line,))


def test_checkpoint_error_is_an_invalid_input() -> None:
    assert issubclass(CheckpointError, InvalidInput)


def test_timestamps_are_stored_in_utc_and_must_be_aware() -> None:
    seoul = timezone(timedelta(hours=9))
    cp = Checkpoint(NAME, 1, ROOT, datetime(2026, 11, 20, 18, 0, 1, 250000, tzinfo=seoul))
    assert cp.timestamp == CP.timestamp and cp.timestamp.tzinfo is UTC
    with pytest.raises(ValueError):
        Checkpoint(NAME, 1, ROOT, datetime(2026, 11, 20))


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [("", 1, ROOT), ("a\nb", 1, ROOT), (" a", 1, ROOT), ("a", -1, ROOT), ("a", 1, ROOT[:31])],
)
def test_checkpoint_rejects_bad_fields(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(ValueError):
        Checkpoint(origin, size, root, CP.timestamp)


@pytest.mark.parametrize("key_name", ["", "a b", "a+b", "a\nb"])
def test_bad_key_names_are_refused(key_name: str) -> None:
    # Changed: the key name is the origin, so a bad one is refused as the origin of the checkpoint
    # being signed (or as a Checkpoint at all), and still when verifying.
    with pytest.raises(ValueError):
        sign_checkpoint(Checkpoint(key_name, 1, ROOT, CP.timestamp), KEY)
    with pytest.raises(ValueError):
        verify_checkpoint(sign_checkpoint(CP, KEY), KEY.public_key(), key_name)


def test_sign_note_needs_a_final_newline() -> None:
    with pytest.raises(ValueError):
        sign_note("no newline", KEY, NAME)


# --- The log's key name is the origin -------------------------------------------------------------

def test_checkpoints_signed_under_their_origin_verify() -> None:
    # tlog-checkpoint: the log's key name is the origin line. Our log, at sizes 5 and 8 of our tree.
    origin = "log.example/eight"
    vkey = parse_vkey(str(VerifierKey.ed25519(origin, KEY.public_key())))
    at_5 = sign_checkpoint(Checkpoint(origin, 5, TREE_ROOTS[5]), KEY)
    at_8 = sign_checkpoint(Checkpoint(origin, 8, TREE_ROOTS[8]), KEY)
    assert at_5.startswith(f"{origin}\n5\n{b64(TREE_ROOTS[5])}\n\n\u2014 {origin} ")
    cp = verify_checkpoint(at_5, vkey)
    assert (cp.origin, cp.tree_size, cp.root_hash) == (origin, 5, TREE_ROOTS[5])
    assert verify_checkpoint(at_8, vkey.public_key(), origin).tree_size == 8
    with pytest.raises(CheckpointError):
        verify_checkpoint(at_5.replace("\n5\n", "\n6\n"), vkey)
    with pytest.raises(CheckpointError, match="no signature"):
        verify_checkpoint(at_5, VerifierKey.ed25519(origin, OTHER_KEY.public_key()))


# A log that signs under a key name other than its origin (and whose origin has spaces, so it could
# not be a key name): its checkpoints verify as notes, not as checkpoints, unless legacy.
FOREIGN_ORIGIN, FOREIGN_KEY_NAME = "Footage Broker audit tree", "audit-tree.footage-broker.example"


def test_a_key_name_other_than_the_origin_is_refused_unless_legacy() -> None:
    old = Checkpoint(FOREIGN_ORIGIN, 8, TREE_ROOTS[8])
    note = sign_note(format_checkpoint(old), KEY, FOREIGN_KEY_NAME)
    vkey = parse_vkey(str(VerifierKey.ed25519(FOREIGN_KEY_NAME, KEY.public_key())))
    assert verify_note(note, vkey) == format_checkpoint(old)
    with pytest.raises(CheckpointError, match="origin"):
        verify_checkpoint(note, vkey)
    legacy = verify_checkpoint_legacy(note, vkey.public_key(), FOREIGN_KEY_NAME)
    assert legacy == old
    with pytest.raises(CheckpointError):
        verify_checkpoint_legacy(note, OTHER_KEY.public_key(), FOREIGN_KEY_NAME)


LEGACY_ORIGIN, LEGACY_KEY_NAME = "footage-broker.invalid/audit", "footage-broker-audit"


def test_notes_signed_before_the_change_need_the_legacy_verifier() -> None:
    old = Checkpoint(LEGACY_ORIGIN, 7, ROOT, CP.timestamp)
    note = sign_note(format_checkpoint(old), KEY, LEGACY_KEY_NAME)  # what the broker used to write
    for origin in (LEGACY_ORIGIN, LEGACY_KEY_NAME):
        with pytest.raises(CheckpointError):
            verify_checkpoint(note, KEY.public_key(), origin)
    assert verify_checkpoint_legacy(note, KEY.public_key(), LEGACY_KEY_NAME) == old
    new = sign_checkpoint(old, KEY)
    assert f"\n— {LEGACY_ORIGIN} " in new
    assert verify_checkpoint(new, KEY.public_key(), LEGACY_ORIGIN) == old


def test_verify_checkpoint_key_arguments() -> None:
    note = sign_checkpoint(CP, KEY)
    vkey = VerifierKey.ed25519(NAME, KEY.public_key())
    assert verify_checkpoint(note, vkey) == verify_checkpoint(note, vkey, NAME) == CP
    with pytest.raises(ValueError):
        verify_checkpoint(note, vkey, "other.example/log")
    with pytest.raises(ValueError):
        verify_checkpoint(note, KEY.public_key())
    with pytest.raises(ValueError):
        verify_checkpoint(note, VerifierKey.cosignature(NAME, KEY.public_key()))


def test_an_origin_that_cannot_be_a_key_name_cannot_be_signed() -> None:
    with pytest.raises(ValueError):
        sign_checkpoint(Checkpoint(FOREIGN_ORIGIN, 8, TREE_ROOTS[8]), KEY)
    with pytest.raises(ValueError):
        sign_checkpoint(Checkpoint("a+b", 1, ROOT), KEY)


signable_full = full_checkpoints.filter(lambda cp: valid_key_name(cp.origin))


@PROPERTY
@given(signable_full)
def test_extension_lines_survive_signing_and_verification(cp: Checkpoint) -> None:
    back = verify_checkpoint(sign_checkpoint(cp, KEY), KEY.public_key(), cp.origin)
    assert back == cp and back.extensions == cp.extensions


@PROPERTY
@given(signable_full, st.data())
def test_any_single_byte_edit_of_a_signed_checkpoint_is_rejected(cp: Checkpoint, data: st.DataObject) -> None:
    note = sign_checkpoint(cp, KEY).encode()
    i = data.draw(st.integers(0, len(note) - 1), label="offset")
    b = data.draw(st.integers(0, 255).filter(lambda v: v != note[i]), label="byte")
    with pytest.raises(CheckpointError):
        verify_checkpoint(note[:i] + bytes([b]) + note[i + 1 :], KEY.public_key(), cp.origin)


def test_editing_an_extension_line_breaks_the_signature() -> None:
    note = sign_checkpoint(Checkpoint(NAME, 3, ROOT, None, ("color blue",)), KEY)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(note.replace("color blue", "color red"), KEY.public_key(), NAME)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(note.replace("color blue\n", ""), KEY.public_key(), NAME)
