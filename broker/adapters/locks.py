"""File locks, the one place the broker takes them.

- ``FileWriteLock`` queues SQLite writers across threads and processes: SQLite admits one
  writer, and contenders otherwise poll with the busy handler, sleeping up to 100 ms between
  retries. A blocking ``flock`` queues them in the kernel, which wakes the next one the moment
  the holder is done. (``filelock`` acquires by polling every 50 ms: on this hot path that
  measured p99 90 ms -> 175 ms in ``bench/requests.py``, so here it is the plain system call.)
  PostgreSQL needs none of this (``no_write_lock``).
- ``exclusive`` serialises a read-modify-write of files (the key files), ``try_exclusive``
  tells a job whether it is the only runner right now: rare and brief, ``filelock`` serves.
"""

from __future__ import annotations

import fcntl
import os
import threading
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
        self._threads = threading.Lock()  # flock is per open file: threads queue here first
        self._fd: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._threads:
            if self._fd is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, LOCK_MODE)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


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
