"""The checkpoint log file format: records round-trip, a torn last write is reported (never raised),
and anything else that is not a record stops the reader where the good prefix ends."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.merkle import (
    Checkpoint,
    CheckpointError,
    CheckpointLog,
    NoteSignature,
    checkpoint_log_record,
    cosign_checkpoint,
    parse_checkpoint_log,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
)

PROPERTY = settings(max_examples=200, deadline=None)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ORIGIN = "footage-broker.example/audit"


def note(size: int, *extensions: str) -> str:
    cp = Checkpoint(ORIGIN, size, hashlib.sha256(size.to_bytes(8, "big")).digest(), None, extensions)
    return sign_checkpoint(cp, KEY)


NOTES = [note(1), cosign_checkpoint(note(2, "ünïcode ✓"), WITNESS, "witness.example", 1), note(3)]
FILE = b"".join(checkpoint_log_record(n) for n in NOTES)
ENDS = [sum(len(checkpoint_log_record(n)) for n in NOTES[: i + 1]) for i in range(len(NOTES))]


def test_records_are_one_ascii_json_line() -> None:
    record = checkpoint_log_record(NOTES[1])
    assert record.startswith(b'{"note":"') and record.endswith(b'"}\n')
    assert record.count(b"\n") == 1 and max(record) < 0x80


def test_a_clean_file_round_trips() -> None:
    log = parse_checkpoint_log(FILE)
    assert log == CheckpointLog(tuple(NOTES), len(FILE), None, torn=False) and log.ok
    assert [verify_checkpoint(n, KEY.public_key(), ORIGIN).tree_size for n in log.notes] == [1, 2, 3]
    assert parse_checkpoint_log(b"") == CheckpointLog((), 0, None, torn=False)


def test_notes_of_other_logs_and_many_signatures_can_be_logged() -> None:
    # Three-line bodies of another origin, extension lines, a non-ASCII origin, and a note with a
    # signature line of a type nobody here knows plus cosignatures by several witnesses.
    other = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    plain = sign_checkpoint(Checkpoint("log.example/eight", 5, hashlib.sha256(b"5").digest()), other)
    unicode_origin = sign_checkpoint(Checkpoint("журнал.example/κάμερα", 8, hashlib.sha256(b"8").digest(),
                                                None, ("ext ✓", "build 7")), other)
    foreign = NoteSignature("log.example/eight", b"\x05\x05\x05\x05", bytes(range(70))).line()
    crowded = plain + foreign
    for i in range(5):
        crowded = cosign_checkpoint(crowded, WITNESS, f"witness-{i}.example", 1_700_000_000 + i)
    notes = (plain, unicode_origin, crowded)
    data = b"".join(checkpoint_log_record(n) for n in notes)
    assert max(data) < 0x80
    log = parse_checkpoint_log(data)
    assert log.notes == notes and log.ok
    assert verify_checkpoint(log.notes[2], other.public_key(), "log.example/eight").tree_size == 5


def test_every_truncation_is_a_torn_tail_after_the_last_whole_record() -> None:
    for cut in range(len(FILE) + 1):
        log = parse_checkpoint_log(FILE[:cut])
        whole = [end for end in ENDS if end <= cut]
        assert log.notes == tuple(NOTES[: len(whole)])
        assert log.valid_length == (whole[-1] if whole else 0)
        assert log.torn == (cut != log.valid_length) == (not log.ok)
        if log.torn:
            assert log.problem is not None and "torn" in log.problem


@pytest.mark.parametrize("tail", [b"\x00" * 64, b"{", b'{"note":"x', checkpoint_log_record(NOTES[0])[:-1]])
def test_an_unterminated_last_line_is_torn_whatever_it_holds(tail: bytes) -> None:
    log = parse_checkpoint_log(FILE + tail)
    assert log.notes == tuple(NOTES) and log.valid_length == len(FILE) and log.torn


def test_appending_after_an_untruncated_tear_is_corruption_not_a_tear() -> None:
    torn = FILE[: ENDS[0] + 40]
    log = parse_checkpoint_log(torn + checkpoint_log_record(note(4)))
    assert log.notes == (NOTES[0],) and log.valid_length == ENDS[0]
    assert not log.torn and log.problem is not None and "corrupt" in log.problem
    # What a writer must do instead: truncate to the valid length, then append.
    fixed = torn[: parse_checkpoint_log(torn).valid_length] + checkpoint_log_record(note(4))
    assert parse_checkpoint_log(fixed).notes == (NOTES[0], note(4))


BAD_LINES = [
    b"",
    b"null",
    b'"a string"',
    b"[]",
    b"{}",
    b'{"note": 1}',
    b'{"Note": "x"}',
    checkpoint_log_record(NOTES[0])[:-2] + b',"extra":1}',
    checkpoint_log_record(NOTES[0])[:-2] + b',"note":' + json.dumps(NOTES[0]).encode() + b"}",  # key twice
    b'{"note":"not a note\\n"}',
    json.dumps({"note": sign_note("not a checkpoint\n", KEY, "k")}).encode(),
    checkpoint_log_record(NOTES[0])[:-1].replace(b"\\n\\n", b"\\n"),
    checkpoint_log_record(NOTES[0])[:-1].replace(b"\\n", b"\\r\\n", 1),
    b"\xff" + checkpoint_log_record(NOTES[0])[:-1],
    b"[" * 100_000 + b"]" * 100_000,
    b"{" + checkpoint_log_record(NOTES[0])[:-1],
]


@pytest.mark.parametrize("line", BAD_LINES)
def test_a_line_that_is_not_a_record_stops_the_reader(line: bytes) -> None:
    log = parse_checkpoint_log(FILE[: ENDS[0]] + line + b"\n" + FILE[ENDS[0] :])
    assert log.notes == (NOTES[0],) and log.valid_length == ENDS[0]
    assert not log.torn and not log.ok and log.problem is not None and "record 1" in log.problem


def test_the_writer_refuses_what_the_reader_would() -> None:
    for bad in ("", "not a note", sign_note("not a checkpoint\n", KEY, "k")):
        with pytest.raises(CheckpointError):
            checkpoint_log_record(bad)


def test_bytes_changed_inside_a_note_are_left_to_signature_verification() -> None:
    # The format frames records; a flipped signature character still frames, and only verifying
    # the note with the log's key (as the caller must) shows it.
    record = checkpoint_log_record(NOTES[0])
    i = record.rindex(b"=")
    changed = record[: i - 2] + (b"A" if record[i - 2 : i - 1] != b"A" else b"B") + record[i - 1 :]
    [forged] = parse_checkpoint_log(changed).notes
    with pytest.raises(CheckpointError):
        verify_checkpoint(forged, KEY.public_key(), ORIGIN)


@PROPERTY
@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=5), st.data())
def test_any_prefix_reads_as_whole_records_and_a_torn_tail(sizes: list[int], data: st.DataObject) -> None:
    notes = [note(size) for size in sizes]
    blob = b"".join(checkpoint_log_record(n) for n in notes)
    cut = data.draw(st.integers(0, len(blob)))
    log = parse_checkpoint_log(blob[:cut])
    assert notes[: len(log.notes)] == list(log.notes)
    assert blob[: log.valid_length] == b"".join(checkpoint_log_record(n) for n in log.notes)
    assert log.ok or log.torn


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_the_reader_never_raises(data: bytes) -> None:
    log = parse_checkpoint_log(data)
    assert 0 <= log.valid_length <= len(data)
    assert log.ok == (log.valid_length == len(data))
