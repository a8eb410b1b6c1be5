"""File locks, the one place the broker takes them (``filelock``, an OS advisory lock).

- ``FileWriteLock`` queues SQLite writers across threads and processes: SQLite admits one
  writer, and contenders otherwise poll with the busy handler, sleeping up to 100 ms between
  retries; a lock queues them and wakes the next one the moment the holder is done.
  PostgreSQL needs none of this (``no_write_lock``).
- ``exclusive`` serialises a read-modify-write of files (the key files).
- ``try_exclusive`` tells a job whether it is the only runner right now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from filelock import FileLock, Timeout

WriteLock = Callable[[], AbstractContextManager[None]]
LOCK_MODE = 0o600


def _lock(path: Path) -> FileLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path, mode=LOCK_MODE)


class FileWriteLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock: FileLock | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if self._lock is None:
            self._lock = _lock(self._path)
        with self._lock:
            yield


def no_write_lock() -> AbstractContextManager[None]:
    return nullcontext()


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Block until this process alone holds ``path``."""
    with _lock(path):
        yield


@contextmanager
def try_exclusive(path: Path) -> Iterator[bool]:
    """Hold ``path`` if nobody else does (True), or do nothing (False); never waits."""
    lock = _lock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
