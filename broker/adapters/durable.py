"""Files that survive a crash and stay private: whole 0600 files, 0700 directories, durable
directory entries."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import secrets
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a rename, link or unlink in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(path: Path) -> bool:
    """Flush the whole file system holding ``path`` (Linux ``syncfs``); False if unavailable."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    call = getattr(ctypes.CDLL(libc_name, use_errno=True), "syncfs", None)
    if call is None:
        return False
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return bool(call(fd) == 0)
    finally:
        os.close(fd)


def private_dir(path: Path) -> Path:
    """A directory only its owner may enter (0700), made if missing, tightened if not."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def born_private(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; SQLite then keeps the mode and
    gives its -wal and -shm files the same one."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path


def write_private(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write a 0600 file whole (temp, fsync, rename, fsync the directory).

    With ``exclusive``, FileExistsError if ``path`` already exists: nothing is overwritten.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if exclusive:
            os.link(temp, path)
            os.unlink(temp)
        else:
            os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)
