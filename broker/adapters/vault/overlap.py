"""Overlap the vault's CPU work with the I/O around it, a couple of chunks apart.

AES-GCM holds the GIL for a whole chunk, but file and socket I/O release it. So on a second
core, :func:`read_ahead` reads and decrypts the next chunks while the caller writes out the one
it has (to a socket, a file), and :func:`write_behind` writes one chunk while the caller
encrypts the next. Either way only a few chunks are held, and an error reaches the caller in
its place in the stream: nothing after it is released.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

DEPTH = 2
"""Chunks a worker may be ahead of (or behind) its caller."""


class _End:
    """The last thing handed over: after the last item, or carrying the error that ended it."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class _Channel(Generic[T]):
    """A bounded hand-over between two threads; closing it drops what is queued and wakes both."""

    def __init__(self, depth: int) -> None:
        self._items: deque[T | _End] = deque()
        self._depth = depth
        self._changed = threading.Condition()
        self._closed = False

    def put(self, item: T | _End) -> bool:
        """Wait for room; False (item dropped) once the channel is closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or len(self._items) < self._depth)
            if self._closed:
                return False
            self._items.append(item)
            self._changed.notify_all()
            return True

    def get(self) -> T | _End:
        """The next item; an ``_End`` once the channel is closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._items)
            if self._closed:
                return _End()
            item = self._items.popleft()
            self._changed.notify_all()
            return item

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._items.clear()
            self._changed.notify_all()


def read_ahead(items: Iterator[T], depth: int = DEPTH) -> Generator[T, None, None]:
    """``items``, produced in a thread of their own up to ``depth`` ahead of the caller.

    The thread starts with the first ``next`` (an iterator never started costs nothing), and
    closing this iterator, or dropping it, stops the thread, which then closes ``items``.
    """
    channel: _Channel[T] = _Channel(depth)
    threading.Thread(target=_produce, args=(items, channel), name="vault-read-ahead", daemon=True).start()
    try:
        while not isinstance(item := channel.get(), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        channel.close()


def _produce(items: Iterator[T], channel: _Channel[T]) -> None:
    end = _End()
    try:
        for item in items:
            if not channel.put(item):
                return
    except BaseException as exc:  # raised again in the caller's thread
        end = _End(exc)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
        channel.put(end)


def write_behind(write: Callable[[memoryview], object], chunks: Iterable[bytes], depth: int = DEPTH) -> int:
    """``write`` every chunk from a thread of its own; the byte count, once all are written.

    ``chunks`` is iterated in the caller's thread (it may be bound to it, like a request body).
    Each chunk is copied into one of ``depth + 1`` buffers that go round between the two
    threads, so its owner may reuse it, and memory is not taken anew per chunk (with chunks
    freed in another thread, the allocator hands fresh pages back and forth instead). ``write``
    must be done with its view when it returns. The first error on either side stops both
    and is raised here.
    """
    filled: _Channel[tuple[bytearray, int]] = _Channel(depth)
    emptied: _Channel[bytearray] = _Channel(depth + 1)
    for _ in range(depth + 1):
        emptied.put(bytearray())
    failure: list[BaseException] = []

    def drain() -> None:
        try:
            while not isinstance(item := filled.get(), _End):
                buffer, size = item
                with memoryview(buffer) as view:
                    write(view[:size])
                emptied.put(buffer)
        except BaseException as exc:  # raised again in the caller's thread
            failure.append(exc)
            filled.close()
            emptied.close()

    worker = threading.Thread(target=drain, name="vault-write-behind", daemon=True)
    worker.start()
    written = 0
    try:
        for chunk in chunks:
            buffer = emptied.get()
            if isinstance(buffer, _End):
                break
            size = len(chunk)
            if len(buffer) < size:
                buffer = bytearray(size)
            buffer[:size] = chunk
            if not filled.put((buffer, size)):
                break
            written += size
    except BaseException:
        filled.close()
        emptied.close()
        raise
    finally:
        filled.put(_End())
        worker.join()
    if failure:
        raise failure[0]
    return written
