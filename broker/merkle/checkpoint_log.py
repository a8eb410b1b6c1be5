"""An append-only file of signed checkpoints: one JSON object per line, ``{"note":"<signed note>"}``.

Why lines of JSON: a note holds newlines and a blank line of its own, so notes cannot simply be
concatenated, while a JSON string escapes them and the record ends at its only raw newline. That
newline is the commit mark: a crash mid-append leaves a last line without one (or with the zero
bytes some filesystems expose), which the parser reports as a torn tail instead of failing, and
everything before it is intact. Records are written ASCII-only, so a torn write never splits a
UTF-8 sequence. No file I/O here: the caller appends ``checkpoint_log_record`` bytes with one write
(and fsync), and gives ``parse_checkpoint_log`` the bytes it read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from broker.merkle.checkpoint import parse_checkpoint
from broker.merkle.note import CheckpointError, parse_note

_KEY = "note"


@dataclass(frozen=True, slots=True)
class CheckpointLog:
    """What ``parse_checkpoint_log`` read.

    ``notes`` are the records before the first bad one, in file order, each a syntactically valid
    signed checkpoint note (signatures not verified). ``valid_length`` is the byte length of that
    good prefix: before appending again, a writer must truncate the file to it, or the next record
    is glued onto the torn one. ``problem`` is None for a clean file, else why reading stopped;
    ``torn`` is True iff the only problem is a final line without its newline (an interrupted
    append), False for a corrupt record (bytes changed, or appended after an untruncated tear).
    """

    notes: tuple[str, ...]
    valid_length: int
    problem: str | None
    torn: bool

    @property
    def ok(self) -> bool:
        """True iff every byte of the file belongs to a complete, well-formed record."""
        return self.problem is None


def checkpoint_log_record(note: str) -> bytes:
    """The bytes to append for ``note``: one ASCII line of JSON ending in a newline.

    Raises CheckpointError unless ``note`` passes ``parse_note`` and its text ``parse_checkpoint``,
    so nothing the parser would refuse is ever written.
    """
    _check_note(note)
    return (json.dumps({_KEY: note}, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def parse_checkpoint_log(data: bytes) -> CheckpointLog:
    """Read a checkpoint log file's bytes; never raises for any content.

    Stops at the first line that is not a complete record: JSON object with exactly the key
    ``note``, whose value is a signed checkpoint note (see ``checkpoint_log_record``).
    """
    notes: list[str] = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            why = f"record {len(notes)} at byte {pos} has no final newline: torn write"
            return CheckpointLog(tuple(notes), pos, why, torn=True)
        try:
            notes.append(_decode(data[pos:end]))
        except (ValueError, RecursionError, CheckpointError) as exc:
            detail = exc.detail if isinstance(exc, CheckpointError) else str(exc)
            why = f"record {len(notes)} at byte {pos} is corrupt: {detail}"
            return CheckpointLog(tuple(notes), pos, why, torn=False)
        pos = end + 1
    return CheckpointLog(tuple(notes), pos, None, torn=False)


def _decode(line: bytes) -> str:
    record = json.loads(line.decode("utf-8"), object_pairs_hook=_no_duplicates)
    if not isinstance(record, dict) or set(record) != {_KEY} or not isinstance(record[_KEY], str):
        raise ValueError('a record is {"note": "<signed note>"}')
    note: str = record[_KEY]
    _check_note(note)
    return note


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key in record")
    return dict(pairs)


def _check_note(note: str) -> None:
    parse_checkpoint(parse_note(note).text)
