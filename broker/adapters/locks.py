"""One writer at a time across threads and processes, for SQLite files.

SQLite admits a single writer; contenders otherwise poll with the busy handler, sleeping up to
100 ms between retries. An OS file lock queues them instead and wakes the next one the moment
the holder is done. PostgreSQL needs none of this (``no_write_lock``).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

WriteLock = Callable[[], AbstractContextManager[None]]


class FileWriteLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._thread_lock:
            if self._fd is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


def no_write_lock() -> AbstractContextManager[None]:
    return nullcontext()
