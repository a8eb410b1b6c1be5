"""Copies of the audit log's signed checkpoints, and of its leaf hashes, kept where the read
model is not: a rebuild of the read model from (possibly edited) events cannot rewrite them.

- ``CheckpointLogFile``: an append-only file of signed notes (``broker.merkle.checkpoint_log``
  format), each append fsynced; a torn last write is cut off before the next append.
- ``LeafLogFile``: the 32-byte leaf hashes, in tree order, appended at each checkpoint; with it
  a verification names the exact edited event, not just a range.
- ``S3CheckpointArchive``: one object per checkpoint in the blob bucket, under S3 Object Lock
  (compliance mode) when the bucket has it enabled, so not even the broker can delete them.

None of these is proof against someone who controls the machine *and* the copies; auditors and
witnesses keep theirs elsewhere (``GET /v1/audit/checkpoints``, ``broker witness cosign``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from broker.adapters.durable import born_private, fsync_dir
from broker.adapters.locks import exclusive
from broker.merkle import HASH_SIZE, checkpoint_log_record, parse_checkpoint_log


class CheckpointArchive(Protocol):
    def append(self, note: str, tree_size: int) -> None:
        """Keep ``note`` (the signed checkpoint of ``tree_size``); idempotent per size."""
        ...

    def notes(self) -> list[str]:
        """Every kept note, oldest first."""
        ...


class CheckpointLogFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, note: str, tree_size: int) -> None:
        record = checkpoint_log_record(note)
        with exclusive(self.path.with_name(self.path.name + ".lock")):
            data = self._read()
            log = parse_checkpoint_log(data)
            if note in log.notes:
                return
            born_private(self.path)
            with self.path.open("r+b") as handle:
                handle.truncate(log.valid_length)  # a torn tail never glues onto this record
                handle.seek(log.valid_length)
                handle.write(record)
                handle.flush()
                os.fsync(handle.fileno())
            fsync_dir(self.path.parent)

    def notes(self) -> list[str]:
        return list(parse_checkpoint_log(self._read()).notes)

    def _read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""


class LeafLogFile:
    """Leaf hashes in tree order, 32 bytes each; its length says how many it holds."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        try:
            return self.path.stat().st_size // HASH_SIZE
        except FileNotFoundError:
            return 0

    def extend(self, first_position: int, hashes: Sequence[bytes]) -> None:
        """Append the hashes of positions ``first_position``...; already kept ones are skipped."""
        with exclusive(self.path.with_name(self.path.name + ".lock")):
            born_private(self.path)
            with self.path.open("r+b") as handle:
                kept = os.fstat(handle.fileno()).st_size // HASH_SIZE
                handle.truncate(kept * HASH_SIZE)  # drop a torn partial hash
                if first_position > kept:
                    raise ValueError(f"leaf log holds {kept} leaves; cannot append from {first_position}")
                new = hashes[kept - first_position:]
                handle.seek(kept * HASH_SIZE)
                handle.write(b"".join(new))
                handle.flush()
                os.fsync(handle.fileno())

    def read(self, start: int, count: int) -> list[bytes]:
        """Hashes of positions ``start`` .. ``start + count - 1`` that the log holds."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(start * HASH_SIZE)
                data = handle.read(count * HASH_SIZE)
        except FileNotFoundError:
            return []
        return [data[i:i + HASH_SIZE] for i in range(0, len(data) - HASH_SIZE + 1, HASH_SIZE)]


class S3CheckpointArchive:
    """``checkpoints/<tree size, 20 digits>.note`` in the bucket; retained ``retain_days`` under
    Object Lock when the bucket supports it."""

    PREFIX = "checkpoints/"

    def __init__(self, client: Any, bucket: str, retain_days: int = 3650) -> None:
        self._client = client
        self._bucket = bucket
        self._retain = timedelta(days=retain_days)
        self._locked: bool | None = None

    def append(self, note: str, tree_size: int) -> None:
        extra: dict[str, Any] = {}
        if self._object_lock():
            extra = {"ObjectLockMode": "COMPLIANCE",
                     "ObjectLockRetainUntilDate": datetime.now(UTC) + self._retain}
        self._client.put_object(Bucket=self._bucket, Key=f"{self.PREFIX}{tree_size:020d}.note",
                                Body=note.encode("utf-8"), ContentType="text/plain; charset=utf-8",
                                **extra)

    def notes(self) -> list[str]:
        notes = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self.PREFIX):
            for item in page.get("Contents", []):
                body = self._client.get_object(Bucket=self._bucket, Key=item["Key"])["Body"]
                notes.append(body.read().decode("utf-8"))
        return notes

    def _object_lock(self) -> bool:
        if self._locked is None:
            try:
                config = self._client.get_object_lock_configuration(Bucket=self._bucket)
                enabled = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
                self._locked = enabled == "Enabled"
            except Exception:
                self._locked = False
        return self._locked
