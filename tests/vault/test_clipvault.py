"""ClipVault's read path on every blob store: whole-chunk reads, ranges, errors at the call."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from broker.adapters.vault import kek, overlap, stream
from broker.adapters.vault.blobs import BlobStore
from broker.adapters.vault.clipvault import SHORT_READ_CHUNKS, ClipVault, StoredClip
from broker.adapters.vault.errors import BlobNotFoundError, IntegrityError, KeyShreddedError
from broker.adapters.vault.keystore import SQLiteKeystore

CHUNK = 4096
STEP = CHUNK + stream.TAG_SIZE
DATA = random.Random(5).randbytes(5 * CHUNK + 100)  # five full chunks and a last one of 100 bytes


class Recording:
    """The blob store under test, with a log of the ranges read from it."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.reads: list[tuple[int, int]] = []

    def open_range(self, blob_id: str, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        return self.store.open_range(blob_id, offset, length)

    def iter_ranges(self, blob_id: str, spans: Iterable[tuple[int, int]]) -> Iterator[bytes]:
        def logged() -> Iterator[tuple[int, int]]:
            for span in spans:
                self.reads.append(span)
                yield span

        return self.store.iter_ranges(blob_id, logged())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture
def blobs(blob_store: BlobStore) -> Recording:
    return Recording(blob_store)


@pytest.fixture
def vault(blobs: Recording, tmp_path: Path, keys_dir: Path) -> Iterator[ClipVault]:
    keystore = SQLiteKeystore(tmp_path / "keystore.db", kek.KeyFile(keys_dir))
    yield ClipVault(keystore, blobs, chunk_size=CHUNK)
    keystore.close()


@pytest.fixture
def clip(vault: ClipVault) -> tuple[str, StoredClip]:
    clip_id = str(uuid.uuid4())
    pieces = (DATA[i : i + 1000] for i in range(0, len(DATA), 1000))
    return clip_id, vault.store(clip_id, pieces, max_bytes=len(DATA))


def read(vault: ClipVault, clip: tuple[str, StoredClip], start: int = 0, end: int | None = None,
         size: int | None = None) -> bytes:
    clip_id, stored = clip
    size = stored.size if size is None else size
    return b"".join(vault.read(clip_id, stored.key_id, stored.blob_id, size, start, end))


def chunk_reads(blobs: Recording, clip: tuple[str, StoredClip]) -> list[tuple[int, int]]:
    """(first chunk, length) of every read after the header's, which comes first if the vault
    had not kept it from an earlier read."""
    header = stream.parse_header(blobs.store.open_range(clip[1].blob_id, 0, stream.MAX_HEADER_SIZE))
    reads = blobs.reads
    if reads and reads[0] == (0, stream.MAX_HEADER_SIZE):
        reads = reads[1:]
    found = []
    for offset, length in reads:
        index, misalignment = divmod(offset - header.size, STEP)
        assert misalignment == 0
        found.append((index, length))
    return found


def rewrite(blobs: Recording, clip: tuple[str, StoredClip], change: Any) -> None:
    blob_id = clip[1].blob_id
    ciphertext = bytearray(blobs.store.open_range(blob_id, 0, blobs.store.size(blob_id)))
    blobs.store.put(blob_id, [bytes(change(ciphertext))])


LAST = 5 * CHUNK  # where the short last chunk starts


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, None),
        (0, CHUNK),
        (CHUNK, 3 * CHUNK),
        (CHUNK - 1, CHUNK + 1),
        (LAST, len(DATA)),
        (LAST + 10, LAST + 20),
        (len(DATA) - 1, len(DATA)),
        (1, len(DATA)),
    ],
)
def test_whole_clip_and_ranges_read_exactly_their_chunks(
    vault: ClipVault, blobs: Recording, clip: tuple[str, StoredClip], start: int, end: int | None
) -> None:
    assert read(vault, clip, start, end) == DATA[start:end]
    first, final = start // CHUNK, ((len(DATA) if end is None else end) - 1) // CHUNK
    length = (final - first) * STEP + (len(DATA) - LAST + stream.TAG_SIZE if final == 5 else STEP)
    whole = start == 0 and end is None
    assert chunk_reads(blobs, clip) == [(first, length + whole)]


def test_long_reads_go_a_few_whole_chunks_at_a_time(
    vault: ClipVault, blobs: Recording, clip: tuple[str, StoredClip]
) -> None:
    last_length = len(DATA) - LAST + stream.TAG_SIZE
    with mock.patch.object(stream, "RANGE_READ_SIZE", 2 * STEP):
        assert read(vault, clip) == DATA
        assert chunk_reads(blobs, clip) == [(0, 2 * STEP), (2, 2 * STEP), (4, STEP + last_length + 1)]
        blobs.reads.clear()
        assert read(vault, clip, CHUNK + 1, LAST + 1) == DATA[CHUNK + 1 : LAST + 1]
        assert chunk_reads(blobs, clip) == [(1, 2 * STEP), (3, 2 * STEP), (5, last_length)]


def test_the_header_is_read_once_per_blob_and_forgotten_when_destroyed(
    vault: ClipVault, blobs: Recording, clip: tuple[str, StoredClip]
) -> None:
    for start, end in [(0, None), (10, 20), (CHUNK, 2 * CHUNK)]:
        assert read(vault, clip, start, end) == DATA[start:end]
    assert blobs.reads.count((0, stream.MAX_HEADER_SIZE)) == 1
    vault.destroy(clip[1].key_id, clip[1].blob_id)
    assert clip[1].blob_id not in vault._heads
    with pytest.raises(KeyShreddedError):
        read(vault, clip)


def test_a_missing_blob_or_shredded_key_fails_at_the_call(
    vault: ClipVault, clip: tuple[str, StoredClip]
) -> None:
    clip_id, stored = clip
    vault.blobs.delete(stored.blob_id)
    for start, end in [(0, None), (10, 20)]:
        with pytest.raises(BlobNotFoundError):
            vault.read(clip_id, stored.key_id, stored.blob_id, stored.size, start, end)
    vault.keystore.shred(stored.key_id)
    with pytest.raises(KeyShreddedError):
        vault.read(clip_id, stored.key_id, stored.blob_id, stored.size)


def test_a_tampered_chunk_inside_a_range_releases_only_what_came_before(
    vault: ClipVault, blobs: Recording, clip: tuple[str, StoredClip]
) -> None:
    header_size = stream.parse_header(blobs.store.open_range(clip[1].blob_id, 0, 300)).size

    def flip(ciphertext: bytearray) -> bytearray:
        ciphertext[header_size + 3 * STEP + 7] ^= 1
        return ciphertext

    rewrite(blobs, clip, flip)
    clip_id, stored = clip
    for start, end, verified in [(0, None, 3 * CHUNK), (CHUNK + 5, LAST + 1, 3 * CHUNK)]:
        released = []
        with pytest.raises(IntegrityError), mock.patch.object(stream, "RANGE_READ_SIZE", STEP):
            for piece in vault.read(clip_id, stored.key_id, stored.blob_id, stored.size, start, end):
                released.append(piece)
        assert b"".join(released) == DATA[start:verified]
    assert read(vault, clip, 0, 3 * CHUNK) == DATA[: 3 * CHUNK]


def test_bytes_after_the_last_chunk_fail_a_whole_read(
    vault: ClipVault, blobs: Recording, clip: tuple[str, StoredClip]
) -> None:
    rewrite(blobs, clip, lambda ciphertext: ciphertext + b"\x00")
    with pytest.raises(IntegrityError):
        read(vault, clip)
    assert read(vault, clip, 1, len(DATA)) == DATA[1:]  # a range proves only its own chunks


@pytest.mark.parametrize("claimed", [len(DATA) - 1, len(DATA) + 1, LAST, 10 * CHUNK])
def test_a_wrong_recorded_size_fails(vault: ClipVault, clip: tuple[str, StoredClip], claimed: int) -> None:
    with pytest.raises(IntegrityError):
        read(vault, clip, size=claimed)


def test_an_abandoned_read_leaves_no_worker(vault: ClipVault, clip: tuple[str, StoredClip]) -> None:
    clip_id, stored = clip
    with mock.patch.object(stream, "RANGE_READ_SIZE", STEP):
        body = vault.read(clip_id, stored.key_id, stored.blob_id, stored.size)
        assert next(body) == DATA[:CHUNK]
        del body
    deadline = time.monotonic() + 5
    while any(t.name == "vault-read-ahead" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the read-ahead worker outlived its reader"
        time.sleep(0.01)


def test_short_ranges_are_decrypted_in_the_callers_thread(vault: ClipVault,
                                                          clip: tuple[str, StoredClip]) -> None:
    """A player's Range needs no thread of its own; a long read gets one to read ahead."""
    start, end = CHUNK - 1, CHUNK - 1 + SHORT_READ_CHUNKS * CHUNK  # spans four chunks
    with mock.patch.object(overlap, "read_ahead", side_effect=AssertionError("a thread for this?")):
        assert read(vault, clip, start, end) == DATA[start:end]
    started: list[bool] = []

    def recording(items: Iterator[bytes]) -> Iterator[bytes]:
        started.append(True)
        return items

    with mock.patch.object(overlap, "read_ahead", side_effect=recording):
        assert read(vault, clip, start, end + 1) == DATA[start : end + 1]
        assert read(vault, clip) == DATA
    assert started == [True, True]


def test_an_empty_clip_reads_as_its_verified_lone_tag(vault: ClipVault, blobs: Recording) -> None:
    """``store`` refuses empty bodies, but a stream of none is still read and verified whole."""
    clip_id, key_id, blob_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    key = vault.keystore.create_key(key_id)
    blobs.store.put(blob_id, stream.encrypt_stream(key, key_id, clip_id, [], CHUNK))
    assert list(vault.read(clip_id, key_id, blob_id, 0)) == [b""]
    assert list(vault.read(clip_id, key_id, blob_id, 0, 0, 0)) == [b""]
    with pytest.raises(IntegrityError):
        list(vault.read(str(uuid.uuid4()), key_id, blob_id, 0))
