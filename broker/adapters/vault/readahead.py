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


def write_behind(write: Callable[[bytes], object], chunks: Iterable[bytes], depth: int = DEPTH) -> int:
    """``write`` every chunk in a thread of its own; the byte count, once all are written.

    ``chunks`` is iterated in the caller's thread (it may be bound to it, like a request body).
    A chunk that is not ``bytes`` is copied first, since its owner may reuse it. The first
    error on either side stops both and is raised here.
    """
    channel: _Channel[bytes] = _Channel(depth)
    failure: list[BaseException] = []

    def drain() -> None:
        try:
            while not isinstance(chunk := channel.get(), _End):
                write(chunk)
        except BaseException as exc:  # raised again in the caller's thread
            failure.append(exc)
            channel.close()

    worker = threading.Thread(target=drain, name="vault-write-behind", daemon=True)
    worker.start()
    written = 0
    try:
        for chunk in chunks:
            data = chunk if type(chunk) is bytes else bytes(chunk)
            if not channel.put(data):
                break
            written += len(data)
    except BaseException:
        channel.close()
        raise
    finally:
        channel.put(_End())
        worker.join()
    if failure:
        raise failure[0]
    return written
