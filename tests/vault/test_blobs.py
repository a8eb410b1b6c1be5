"""The blob store contract, run on the filesystem and on S3 (a private SeaweedFS)."""

from __future__ import annotations

import itertools
import os
import random
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.adapters.vault.blobs import BlobStore, FilesystemBlobStore, S3BlobStore
from broker.adapters.vault.errors import BlobNotFoundError
from tests.vault.conftest import BlobBackend

DATA = random.Random(3).randbytes(300_000)


class Boom(Exception):
    """The source of a blob failing half-way (camera connection lost, disk full...)."""


def new_id() -> str:
    return str(uuid.uuid4())


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def failing_after(data: bytes, size: int, pieces_before_failure: int) -> Iterator[bytes]:
    for index, piece in enumerate(pieces(data, size)):
        if index == pieces_before_failure:
            raise Boom
        yield piece


def test_put_then_read_back_every_way(blob_store: BlobStore) -> None:
    blob_id = new_id()
    assert blob_store.put(blob_id, pieces(DATA, 7000)) == len(DATA)
    assert blob_store.exists(blob_id) and blob_store.size(blob_id) == len(DATA)
    assert b"".join(blob_store.iter_chunks(blob_id)) == DATA
    chunks = list(blob_store.iter_chunks(blob_id, 65536))
    assert max(map(len, chunks)) <= 65536 and b"".join(chunks) == DATA
    for offset, length in [(0, 1), (0, len(DATA)), (12345, 6789), (len(DATA) - 1, 1)]:
        assert blob_store.open_range(blob_id, offset, length) == DATA[offset : offset + length]


def test_iter_ranges_reads_each_span_like_open_range(blob_store: BlobStore) -> None:
    blob_id = new_id()
    blob_store.put(blob_id, pieces(DATA, 7000))
    spans = [(0, 1000), (1000, 4112), (5112, 4112), (0, 0), (len(DATA) - 10, 100), (len(DATA) + 5, 10)]
    assert list(blob_store.iter_ranges(blob_id, iter(spans))) == [
        blob_store.open_range(blob_id, offset, length) for offset, length in spans
    ]
    assert list(blob_store.iter_ranges(blob_id, [])) == []


def test_iter_ranges_takes_its_spans_lazily_and_stays_a_few_ahead(blob_store: BlobStore) -> None:
    """An endless list of spans is fine: the store fetches ahead a bounded few, then stops."""
    blob_id = new_id()
    blob_store.put(blob_id, [DATA])
    pulled = 0

    def endless() -> Iterator[tuple[int, int]]:
        nonlocal pulled
        for offset in itertools.count(step=1000):
            pulled += 1
            yield offset % len(DATA), 1000

    ranges = blob_store.iter_ranges(blob_id, endless())
    assert pulled == 0
    for taken in range(1, 8):
        assert next(ranges) == DATA[(taken - 1) * 1000 : taken * 1000]
        assert taken <= pulled <= taken + 4
    ranges.close()  # type: ignore[attr-defined]


def test_s3_reads_ahead_at_least_one_range() -> None:
    with pytest.raises(ValueError, match="read_ahead"):
        S3BlobStore("bucket", "http://127.0.0.1:1", "key", "secret", read_ahead=0)


def test_ranges_running_past_the_end_are_short(blob_store: BlobStore) -> None:
    blob_id = new_id()
    blob_store.put(blob_id, [b"0123456789"])
    assert blob_store.open_range(blob_id, 8, 100) == b"89"
    assert blob_store.open_range(blob_id, 10, 5) == b""
    assert blob_store.open_range(blob_id, 50, 5) == b""
    assert blob_store.open_range(blob_id, 3, 0) == b""
    with pytest.raises(ValueError):
        blob_store.open_range(blob_id, -1, 5)


def test_empty_blob_and_dash_less_ids(blob_store: BlobStore) -> None:
    blob_id = uuid.uuid4().hex
    assert blob_store.put(blob_id, []) == 0
    assert blob_store.size(blob_id) == 0 and list(blob_store.iter_chunks(blob_id)) == []
    assert blob_store.open_range(blob_id, 0, 10) == b""


def test_put_replaces_a_blob_whole(blob_store: BlobStore) -> None:
    blob_id = new_id()
    blob_store.put(blob_id, [b"first version, longer"])
    blob_store.put(blob_id, [b"second"])
    assert b"".join(blob_store.iter_chunks(blob_id)) == b"second"


def test_delete_is_idempotent(blob_store: BlobStore) -> None:
    blob_id = new_id()
    blob_store.put(blob_id, [b"x"])
    assert blob_store.delete(blob_id) is True
    assert blob_store.delete(blob_id) is False
    assert not blob_store.exists(blob_id)


def test_missing_blobs_raise_at_the_call(blob_store: BlobStore) -> None:
    blob_id = new_id()
    assert not blob_store.exists(blob_id)
    with pytest.raises(BlobNotFoundError):
        blob_store.size(blob_id)
    with pytest.raises(BlobNotFoundError):
        blob_store.open_range(blob_id, 0, 10)
    with pytest.raises(BlobNotFoundError):
        blob_store.open_range(blob_id, 0, 0)
    with pytest.raises(BlobNotFoundError):
        blob_store.iter_chunks(blob_id)
    with pytest.raises(BlobNotFoundError):
        list(blob_store.iter_ranges(blob_id, [(0, 10)]))


@pytest.mark.parametrize(
    ("total", "piece", "failing_piece"),
    [(300_000, 7000, 0), (300_000, 7000, 20), (12 << 20, 1 << 20, 11)],
    ids=["before-any-byte", "mid-blob", "after-two-multipart-parts"],
)
def test_a_failed_put_leaves_nothing_behind(
    blob_backend: BlobBackend, total: int, piece: int, failing_piece: int
) -> None:
    store, blob_id = blob_backend.store, new_id()
    data = DATA * (total // len(DATA) + 1)
    with pytest.raises(Boom):
        store.put(blob_id, failing_after(data[:total], piece, failing_piece))
    assert not store.exists(blob_id)
    assert list(store.iter_ids()) == []
    assert blob_backend.leftovers() == []


def test_a_failed_put_keeps_the_previous_blob(blob_backend: BlobBackend) -> None:
    store, blob_id = blob_backend.store, new_id()
    store.put(blob_id, [b"evidence"])
    with pytest.raises(Boom):
        store.put(blob_id, failing_after(DATA, 1000, 5))
    assert store.open_range(blob_id, 0, 100) == b"evidence"
    assert blob_backend.leftovers() == []


def test_large_blobs_stream_in_parts(blob_store: BlobStore) -> None:
    blob_id = new_id()
    data = os.urandom(11 << 20)
    assert blob_store.put(blob_id, pieces(data, 1 << 20)) == len(data)
    assert blob_store.size(blob_id) == len(data)
    assert blob_store.open_range(blob_id, (5 << 20) - 10, 20) == data[(5 << 20) - 10 : (5 << 20) + 10]
    assert b"".join(blob_store.iter_chunks(blob_id)) == data


def test_iter_ids_lists_exactly_the_stored_blobs(blob_store: BlobStore) -> None:
    ids = sorted([new_id(), new_id(), uuid.uuid4().hex])
    for blob_id in ids:
        blob_store.put(blob_id, [blob_id.encode()])
    blob_store.delete(ids[0])
    assert sorted(blob_store.iter_ids()) == ids[1:]


BAD_IDS = [
    "",
    "../x",
    "a/b",
    "..",
    "/etc/passwd",
    "../../../../etc/passwd",
    "0" * 31,
    "0" * 33,
    "0" * 32 + "\n",
    "ABCDEF00" + "0" * 24,
    "0000000-00000-0000-0000-000000000000",
    "00000000-0000-0000-0000-000000000000/..",
    "00000000-0000-0000-0000-00000000000٠",  # an Arabic-Indic digit
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_ids_that_are_not_uuids_never_reach_storage(
    blob_store: BlobStore, bad_id: str, tmp_path: Path
) -> None:
    before = sorted(tmp_path.rglob("*"))
    calls = [
        lambda: blob_store.put(bad_id, [b"x"]),
        lambda: blob_store.open_range(bad_id, 0, 1),
        lambda: blob_store.iter_chunks(bad_id),
        lambda: blob_store.iter_ranges(bad_id, [(0, 1)]),
        lambda: blob_store.size(bad_id),
        lambda: blob_store.delete(bad_id),
        lambda: blob_store.exists(bad_id),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="invalid blob id"):
            call()
    assert sorted(tmp_path.rglob("*")) == before


class TestFilesystem:
    def test_layout_and_modes(self, tmp_path: Path) -> None:
        store = FilesystemBlobStore(tmp_path / "blobs")
        blob_id = "0123abcd-0000-4000-8000-000000000000"
        store.put(blob_id, [b"x"])
        path = tmp_path / "blobs" / "01" / "23" / blob_id
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    def test_stale_temp_files_are_ignored_then_swept(self, tmp_path: Path) -> None:
        store = FilesystemBlobStore(tmp_path / "blobs")
        blob_id = new_id()
        store.put(blob_id, [b"x"])
        directory = tmp_path / "blobs" / blob_id[:2] / blob_id[2:4]
        stale, fresh = directory / f".{blob_id}.dead.tmp", directory / f".{blob_id}.live.tmp"
        stale.write_bytes(b"half a blob")
        fresh.write_bytes(b"being written")
        an_hour_ago = time.time() - 7200
        os.utime(stale, (an_hour_ago, an_hour_ago))
        assert list(store.iter_ids()) == [blob_id]
        assert store.sweep_temp_files(older_than_seconds=3600) == 1
        assert not stale.exists() and fresh.exists()

    def test_an_unread_chunk_iterator_holds_no_file(self, tmp_path: Path) -> None:
        """A streaming response dropped before its first byte must not leak a descriptor."""
        store = FilesystemBlobStore(tmp_path / "blobs")
        blob_id = new_id()
        store.put(blob_id, [b"x"])
        before = len(os.listdir("/proc/self/fd"))
        iterators = [store.iter_chunks(blob_id) for _ in range(10)]
        assert len(os.listdir("/proc/self/fd")) == before
        assert [b"".join(i) for i in iterators] == [b"x"] * 10


def test_delete_many_removes_a_batch_and_is_idempotent(blob_store: BlobStore) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    for blob_id in ids[:4]:
        blob_store.put(blob_id, [b"x" * 10])
    assert blob_store.delete_many(ids) == 4
    assert not any(blob_store.exists(blob_id) for blob_id in ids)
    assert blob_store.delete_many(ids) == 0
