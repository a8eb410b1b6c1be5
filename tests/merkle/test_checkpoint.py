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
    Checkpoint,
    CheckpointError,
    format_checkpoint,
    key_hash,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
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
    note = sign_checkpoint(CP, KEY, NAME)
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


@PROPERTY
@given(checkpoints, origins.filter(lambda s: "+" not in s))
def test_sign_verify_round_trip(cp: Checkpoint, key_name: str) -> None:
    assert verify_checkpoint(sign_checkpoint(cp, KEY, key_name), KEY.public_key(), key_name) == cp


def tamperings(note: str) -> list[str]:
    out = []
    for i, c in enumerate(note):
        for replacement in {chr(ord(c) ^ 1), "A" if c != "A" else "B", "\n" if c != "\n" else " "}:
            out.append(note[:i] + replacement + note[i + 1 :])
        out.append(note[:i] + note[i + 1 :])
    return out


def test_any_altered_character_of_body_or_signature_is_rejected() -> None:
    note = sign_checkpoint(CP, KEY, NAME)
    for forged in tamperings(note):
        with pytest.raises(CheckpointError):
            verify_checkpoint(forged, KEY.public_key(), NAME)


@PROPERTY
@given(checkpoints, st.data())
def test_random_alterations_are_rejected(cp: Checkpoint, data: st.DataObject) -> None:
    note = sign_checkpoint(cp, KEY, NAME)
    i = data.draw(st.integers(0, len(note) - 1))
    c = data.draw(st.characters(exclude_categories=["Cs"]).filter(lambda ch: ch != note[i]))
    with pytest.raises(CheckpointError):
        verify_checkpoint(note[:i] + c + note[i + 1 :], KEY.public_key(), NAME)


def test_non_canonical_base64_signature_is_rejected() -> None:
    # 68 bytes end in "x=" where only 4 of the last character's 6 bits carry data: flipping a padding
    # bit decodes to the same signature under lenient decoders, so it must be refused.
    note = sign_checkpoint(CP, KEY, NAME)
    last = note.rindex("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sibling = alphabet[alphabet.index(note[last - 1]) ^ 1]
    forged = note[: last - 1] + sibling + note[last:]
    assert base64.b64decode(forged.split(" ")[-1]) == base64.b64decode(note.split(" ")[-1])
    with pytest.raises(CheckpointError, match="canonical"):
        verify_checkpoint(forged, KEY.public_key(), NAME)


def test_wrong_key_or_key_name_is_rejected() -> None:
    note = sign_checkpoint(CP, KEY, NAME)
    with pytest.raises(CheckpointError):
        verify_checkpoint(note, OTHER_KEY.public_key(), NAME)
    with pytest.raises(CheckpointError):
        verify_checkpoint(note, KEY.public_key(), NAME + "2")
    # Same key, signature line relabelled with another name: the key hash no longer matches.
    relabelled = note.replace(f"— {NAME} ", "— other.example/log ")
    with pytest.raises(CheckpointError):
        verify_checkpoint(relabelled, KEY.public_key(), "other.example/log")


def test_cosignatures_are_ignored_and_identical_duplicates_tolerated() -> None:
    note = sign_checkpoint(CP, KEY, NAME)
    cosig = sign_note(BODY, OTHER_KEY, "witness.example").split("\n\n", 1)[1]
    cosigned = note + cosig
    assert verify_checkpoint(cosigned, KEY.public_key(), NAME) == CP
    assert verify_checkpoint(cosigned, OTHER_KEY.public_key(), "witness.example") == CP
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
        BODY.replace("timestamp ", "time "),
        BODY.replace("2026-11-20", "2026-02-30"),
        BODY.replace("timestamp 2026-11-20T09:00:01.250000Z\n", ""),
        BODY + "extra\n",
        BODY.replace(NAME, ""),
        BODY.replace(NAME, " " + NAME),
        "\n\n\n\n",
    ],
)
def test_parse_rejects_non_canonical_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)


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
    with pytest.raises(ValueError):
        sign_checkpoint(CP, KEY, key_name)
    with pytest.raises(ValueError):
        verify_checkpoint(sign_checkpoint(CP, KEY, NAME), KEY.public_key(), key_name)


def test_sign_note_needs_a_final_newline() -> None:
    with pytest.raises(ValueError):
        sign_note("no newline", KEY, NAME)
