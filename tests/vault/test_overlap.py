"""The vault's two hand-overs between threads: in order, bounded, errors in place, no leftovers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from broker.adapters.vault.overlap import read_ahead, write_behind


class Boom(Exception):
    pass


class Source:
    """A generator that records how far it got, which thread ran it and whether it was closed."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.produced = 0
        self.threads: set[int] = set()
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[int]:
        try:
            for index in range(self.count):
                self.threads.add(threading.get_ident())
                if index == self.fail_at:
                    raise Boom(index)
                self.produced += 1
                yield index
        finally:
            self.closed.set()


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_read_ahead_yields_everything_in_order_from_another_thread() -> None:
    source = Source(100)
    assert list(read_ahead(iter(source))) == list(range(100))
    assert source.threads and threading.get_ident() not in source.threads
    assert source.closed.is_set()


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_read_ahead_stays_within_its_depth(depth: int) -> None:
    source = Source(50)
    items = read_ahead(iter(source), depth)
    for taken in range(1, 20):
        next(items)
        time.sleep(0.01)  # room for the worker to run as far ahead as it may
        # ``depth`` queued, plus the one the worker holds while it waits for room.
        assert taken <= source.produced <= taken + depth + 1


def test_an_error_arrives_after_the_items_before_it_and_nothing_after() -> None:
    source = Source(10, fail_at=4)
    items = read_ahead(iter(source))
    assert [next(items) for _ in range(4)] == [0, 1, 2, 3]
    with pytest.raises(Boom):
        next(items)
    assert list(items) == []


def test_an_unstarted_read_ahead_starts_nothing() -> None:
    before = threading.active_count()
    source = Source(3)
    items = read_ahead(iter(source))
    assert threading.active_count() == before and source.produced == 0
    del items


@pytest.mark.parametrize("how", ["close", "drop"])
def test_leaving_early_stops_the_worker_and_closes_the_source(how: str) -> None:
    source = Source(1_000_000)
    items = read_ahead(iter(source))
    next(items)
    if how == "close":
        items.close()
    else:
        del items
    assert source.closed.wait(5)
    produced = source.produced
    time.sleep(0.05)
    assert source.produced == produced < 1_000_000
    assert eventually(lambda: not any(t.name == "vault-read-ahead" for t in threading.enumerate()))


def test_write_behind_writes_everything_in_order_from_another_thread() -> None:
    written: list[bytes] = []
    writers: set[int] = set()

    def write(chunk: memoryview) -> None:
        writers.add(threading.get_ident())
        written.append(bytes(chunk))

    chunks = [bytes([i]) * (i + 1) for i in range(50)]
    assert write_behind(write, iter(chunks)) == sum(map(len, chunks))
    assert written == chunks and threading.get_ident() not in writers


def test_write_behind_reads_chunks_in_the_callers_thread_and_copies_reused_buffers() -> None:
    written: list[bytes] = []
    readers: set[int] = set()

    def reused() -> Iterator[bytes]:
        buffer = bytearray(4)
        for i in range(20):
            readers.add(threading.get_ident())
            buffer[:] = bytes([i]) * 4
            yield buffer  # type: ignore[misc]
            yield memoryview(buffer)[:2]  # type: ignore[misc]

    assert write_behind(lambda chunk: written.append(bytes(chunk)), reused()) == 20 * 6
    assert readers == {threading.get_ident()}
    assert written == [c for i in range(20) for c in (bytes([i]) * 4, bytes([i]) * 2)]


def test_a_failing_write_stops_the_chunks_and_is_raised() -> None:
    pulled = 0

    def chunks() -> Iterator[bytes]:
        nonlocal pulled
        for _ in range(1_000_000):
            pulled += 1
            yield b"x"

    def write(chunk: memoryview) -> None:
        raise Boom

    with pytest.raises(Boom):
        write_behind(write, chunks())
    assert pulled < 1_000_000


def test_write_behind_goes_round_a_few_buffers() -> None:
    """However many chunks, the writer only ever sees depth + 1 distinct buffers."""
    buffers: set[int] = set()
    written: list[bytes] = []

    def write(chunk: memoryview) -> None:
        buffers.add(id(chunk.obj))
        written.append(bytes(chunk))

    chunks = [bytes([i % 256]) * 1000 for i in range(200)]
    assert write_behind(write, chunks, depth=2) == 200_000
    assert written == chunks and len(buffers) <= 3


def test_a_failing_chunk_source_stops_the_writer_and_is_raised() -> None:
    written: list[bytes] = []
    source = Source(10, fail_at=5)

    def chunks() -> Iterator[bytes]:
        for index in source:
            yield bytes([index])

    with pytest.raises(Boom):
        write_behind(lambda chunk: written.append(bytes(chunk)), chunks())
    assert written == [bytes([i]) for i in range(len(written))] and len(written) <= 5
    assert not any(t.name == "vault-write-behind" for t in threading.enumerate())
