"""Blob stores for clip ciphertext: a local directory by default, S3 (e.g. SeaweedFS) at scale.

Blobs are written whole or not at all: readers never see part of a blob, and a failed
``put`` leaves nothing behind (an earlier blob under the same id stays as it was). Ids are
clip UUIDs, checked against :data:`BLOB_ID` before they name any file or object.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from broker.adapters.durable import fsync_dir, syncfs
from broker.adapters.vault.errors import BlobNotFoundError
from broker.adapters.vault.overlap import write_behind

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BLOB_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A UUID in lower-case hex, with or without dashes: nothing else reaches a path or key."""
DEFAULT_READ_SIZE = 1 << 20
_S3_PREFIX = re.compile(r"(?:[A-Za-z0-9._-]+/)*")


class BlobStore(Protocol):
    """Where clip ciphertext lives; every implementation passes ``tests/vault/test_blobs.py``."""

    def put(self, blob_id: str, chunks: Iterable[bytes]) -> int:
        """Store the concatenated chunks atomically (replacing any blob of that id); byte count."""
        ...

    def open_range(self, blob_id: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``: fewer only where the blob ends."""
        ...

    def iter_chunks(self, blob_id: str, chunk_size: int = DEFAULT_READ_SIZE) -> Iterator[bytes]:
        """The blob in pieces of at most ``chunk_size``; BlobNotFoundError raised at the call."""
        ...

    def iter_ranges(self, blob_id: str, spans: Iterable[tuple[int, int]]) -> Iterator[bytes]:
        """``open_range`` of each ``(offset, length)``, in order (the vault's whole-chunk reads).

        Told every read in advance, a store may fetch a few ahead. ``spans`` is taken lazily, so
        a missing blob raises with the first range.
        """
        ...

    def size(self, blob_id: str) -> int: ...

    def delete(self, blob_id: str) -> bool:
        """Remove the blob; False if there was none."""
        ...

    def delete_many(self, blob_ids: Sequence[str]) -> int:
        """Remove a batch (purge); returns how many existed. Idempotent like ``delete``."""
        ...

    def exists(self, blob_id: str) -> bool: ...

    def iter_ids(self) -> Iterator[str]:
        """Every stored blob id, for orphan sweeps."""
        ...

    def stale_ids(self, older_than_seconds: float) -> list[str]:
        """Ids of the blobs last written more than ``older_than_seconds`` ago."""
        ...

    def sweep_stale_uploads(self, older_than_seconds: float) -> int:
        """Remove what writers that died mid-``put`` left (temp files, open multipart uploads)."""
        ...


def check_blob_id(blob_id: str) -> str:
    """``blob_id`` if it is a well-formed id, else ValueError (before any I/O)."""
    if not isinstance(blob_id, str) or BLOB_ID.fullmatch(blob_id) is None:
        raise ValueError(f"invalid blob id {str(blob_id)[:80]!r}: expected a lower-case UUID")
    return blob_id


def _check_range(offset: int, length: int) -> None:
    if offset < 0 or length < 0:
        raise ValueError("offset and length must not be negative")


class FilesystemBlobStore:
    """Blobs as files ``root/ab/cd/<id>``, written to a temp file, fsynced, then renamed.

    ``put`` writes behind the chunks' producer (see :mod:`.overlap`): an encrypting producer
    uses one core while the file system copies the chunk before on the other.
    """

    _TEMP_SUFFIX = ".tmp"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put(self, blob_id: str, chunks: Iterable[bytes]) -> int:
        path = self._path(blob_id)
        self._make_dirs(path.parent)
        temp = path.parent / f".{blob_id}.{secrets.token_hex(8)}{self._TEMP_SUFFIX}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(temp, flags, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                written = write_behind(file.write, chunks)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        fsync_dir(path.parent)
        return written

    def open_range(self, blob_id: str, offset: int, length: int) -> bytes:
        _check_range(offset, length)
        fd = self._open(blob_id)
        try:
            pieces = []
            while length > 0:
                piece = os.pread(fd, length, offset)
                if not piece:
                    break
                pieces.append(piece)
                offset += len(piece)
                length -= len(piece)
            return pieces[0] if len(pieces) == 1 else b"".join(pieces)
        finally:
            os.close(fd)

    def iter_chunks(self, blob_id: str, chunk_size: int = DEFAULT_READ_SIZE) -> Iterator[bytes]:
        if chunk_size < 1:
            raise ValueError("chunk size must be positive")
        if not self.exists(blob_id):
            raise BlobNotFoundError(f"no blob {blob_id}")
        # Opened on the first read: a generator that is never started holds no descriptor.
        return self._read_chunks(blob_id, chunk_size)

    def iter_ranges(self, blob_id: str, spans: Iterable[tuple[int, int]]) -> Iterator[bytes]:
        check_blob_id(blob_id)
        return (self.open_range(blob_id, offset, length) for offset, length in spans)

    def size(self, blob_id: str) -> int:
        try:
            return self._path(blob_id).stat().st_size
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {blob_id}") from None

    def delete(self, blob_id: str) -> bool:
        path = self._path(blob_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True

    def delete_many(self, blob_ids: Sequence[str]) -> int:
        """Unlink the batch, then make it durable: one ``syncfs`` of the blob file system where
        the platform has it, else one fsync per touched directory (blobs fan out over 65,536)."""
        removed = 0
        directories: set[Path] = set()
        for blob_id in blob_ids:
            path = self._path(blob_id)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            directories.add(path.parent)
        if directories and not syncfs(self.root):
            for directory in directories:
                fsync_dir(directory)
        return removed

    def exists(self, blob_id: str) -> bool:
        return self._path(blob_id).is_file()

    def iter_ids(self) -> Iterator[str]:
        for directory in self._fan_out_dirs():
            with os.scandir(directory) as entries:
                names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
            yield from (name for name in names if BLOB_ID.fullmatch(name))

    def stale_ids(self, older_than_seconds: float) -> list[str]:
        cutoff = time.time() - older_than_seconds
        stale = []
        for directory in self._fan_out_dirs():
            with os.scandir(directory) as entries:
                stale += [e.name for e in entries if BLOB_ID.fullmatch(e.name)
                          and e.stat(follow_symlinks=False).st_mtime < cutoff]
        return sorted(stale)

    def sweep_stale_uploads(self, older_than_seconds: float) -> int:
        return self.sweep_temp_files(older_than_seconds)

    def sweep_temp_files(self, older_than_seconds: float = 3600.0) -> int:
        """Remove temp files left by writers that died mid-``put``; returns how many."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for directory in self._fan_out_dirs():
            with os.scandir(directory) as entries:
                stale = [
                    e.path
                    for e in entries
                    if e.name.startswith(".")
                    and e.name.endswith(self._TEMP_SUFFIX)
                    and e.stat(follow_symlinks=False).st_mtime < cutoff
                ]
            for path in stale:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                    removed += 1
        return removed

    def __repr__(self) -> str:
        return f"FilesystemBlobStore({str(self.root)!r})"

    def _path(self, blob_id: str) -> Path:
        check_blob_id(blob_id)
        return self.root / blob_id[:2] / blob_id[2:4] / blob_id

    def _open(self, blob_id: str) -> int:
        try:
            return os.open(self._path(blob_id), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {blob_id}") from None

    def _read_chunks(self, blob_id: str, chunk_size: int) -> Iterator[bytes]:
        with os.fdopen(self._open(blob_id), "rb", buffering=0) as file:
            while chunk := file.read(chunk_size):
                yield chunk

    def _make_dirs(self, directory: Path) -> None:
        """Create the fan-out directories, making each new entry durable."""
        if directory.is_dir():
            return
        for level in (directory.parent, directory):
            try:
                level.mkdir(mode=0o700)
            except FileExistsError:
                continue
            fsync_dir(level.parent)

    def _fan_out_dirs(self) -> Iterator[str]:
        for first in _subdirs(str(self.root)):
            yield from _subdirs(first)


def _subdirs(path: str) -> list[str]:
    with os.scandir(path) as entries:
        return sorted(
            e.path
            for e in entries
            if len(e.name) == 2 and BLOB_ID.fullmatch(e.name * 16) and e.is_dir()
        )


class S3BlobStore:
    """Blobs as objects in an S3 bucket; uploads stream in parts so memory stays bounded.

    ``iter_ranges`` keeps ``read_ahead`` ranged GETs in flight beyond the range being read:
    a GET's round trip then overlaps the decryption of the ranges before it.
    """

    MIN_PART_SIZE = 5 << 20

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        *,
        prefix: str = "",
        part_size: int = 8 << 20,
        read_ahead: int = 2,
    ) -> None:
        import boto3.session
        from botocore.config import Config

        if _S3_PREFIX.fullmatch(prefix) is None:
            raise ValueError("prefix must be empty or path segments each ending in '/'")
        if part_size < self.MIN_PART_SIZE:
            raise ValueError(f"S3 parts are at least {self.MIN_PART_SIZE} bytes")
        if read_ahead < 1:
            raise ValueError("read_ahead must be at least 1")
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self.read_ahead = read_ahead
        self._endpoint_url = endpoint_url
        config = Config(
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=10,
            read_timeout=60,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=config,
        )

    def put(self, blob_id: str, chunks: Iterable[bytes]) -> int:
        key = self._key(blob_id)
        buffer = bytearray()
        written = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            for chunk in chunks:
                buffer += chunk
                written += len(chunk)
                while len(buffer) >= self.part_size:
                    if upload_id is None:
                        upload = self._client.create_multipart_upload(Bucket=self.bucket, Key=key)
                        upload_id = upload["UploadId"]
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    parts.append(self._upload_part(key, upload_id, len(parts) + 1, part))
            if upload_id is None:
                self._client.put_object(Bucket=self.bucket, Key=key, Body=bytes(buffer))
            else:
                if buffer:
                    parts.append(self._upload_part(key, upload_id, len(parts) + 1, bytes(buffer)))
                self._client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    self._client.abort_multipart_upload(
                        Bucket=self.bucket, Key=key, UploadId=upload_id
                    )
            raise
        return written

    def open_range(self, blob_id: str, offset: int, length: int) -> bytes:
        _check_range(offset, length)
        key = self._key(blob_id)
        if length == 0:
            self.size(blob_id)
            return b""
        try:
            with self._translating_missing(blob_id):
                response = self._client.get_object(
                    Bucket=self.bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}"
                )
        except self._client.exceptions.ClientError as exc:
            if _error_code(exc) != "InvalidRange":
                raise
            self.size(blob_id)  # the range starts at or past the end of an existing blob
            return b""
        with contextlib.closing(response["Body"]) as body:
            return bytes(body.read())

    def iter_chunks(self, blob_id: str, chunk_size: int = DEFAULT_READ_SIZE) -> Iterator[bytes]:
        if chunk_size < 1:
            raise ValueError("chunk size must be positive")
        key = self._key(blob_id)
        with self._translating_missing(blob_id):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        return _read_body(response["Body"], chunk_size)

    def iter_ranges(self, blob_id: str, spans: Iterable[tuple[int, int]]) -> Iterator[bytes]:
        self._key(blob_id)
        return self._fetch_ahead(blob_id, iter(spans))

    def size(self, blob_id: str) -> int:
        key = self._key(blob_id)
        with self._translating_missing(blob_id):
            response = self._client.head_object(Bucket=self.bucket, Key=key)
        return int(response["ContentLength"])

    def delete(self, blob_id: str) -> bool:
        existed = self.exists(blob_id)
        self._client.delete_object(Bucket=self.bucket, Key=self._key(blob_id))
        return existed

    def delete_many(self, blob_ids: Sequence[str]) -> int:
        """DeleteObjects in batches of 1,000 (the S3 limit); counts the blobs that existed."""
        removed = 0
        for start in range(0, len(blob_ids), 1000):
            batch = list(blob_ids[start : start + 1000])
            removed += sum(1 for blob_id in batch if self.exists(blob_id))
            self._client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self._key(b)} for b in batch], "Quiet": True},
            )
        return removed

    def exists(self, blob_id: str) -> bool:
        try:
            self.size(blob_id)
        except BlobNotFoundError:
            return False
        return True

    def iter_ids(self) -> Iterator[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if BLOB_ID.fullmatch(name):
                    yield name

    def stale_ids(self, older_than_seconds: float) -> list[str]:
        cutoff = time.time() - older_than_seconds
        stale = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix):]
                if BLOB_ID.fullmatch(name) and item["LastModified"].timestamp() < cutoff:
                    stale.append(name)
        return sorted(stale)

    def sweep_stale_uploads(self, older_than_seconds: float) -> int:
        return self.abort_stale_uploads(older_than_seconds)

    @property
    def client(self) -> Any:
        """The boto3 client, for other objects kept in the same bucket (checkpoints)."""
        return self._client

    def abort_stale_uploads(self, older_than_seconds: float = 3600.0) -> int:
        """Abort multipart uploads left by writers that died mid-``put``; returns how many."""
        cutoff = time.time() - older_than_seconds
        aborted = 0
        paginator = self._client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    self._client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return aborted

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, endpoint_url={self._endpoint_url!r})"

    def _key(self, blob_id: str) -> str:
        return self.prefix + check_blob_id(blob_id)

    @contextlib.contextmanager
    def _translating_missing(self, blob_id: str) -> Iterator[None]:
        try:
            yield
        except self._client.exceptions.ClientError as exc:
            if _error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                raise BlobNotFoundError(f"no blob {blob_id}") from None
            raise

    def _fetch_ahead(self, blob_id: str, spans: Iterator[tuple[int, int]]) -> Iterator[bytes]:
        first = list(itertools.islice(spans, 2))
        if len(first) < 2:  # one GET (a short Range): no threads to start
            yield from (self.open_range(blob_id, *span) for span in first)
            return
        spans = itertools.chain(first, spans)
        with ThreadPoolExecutor(self.read_ahead, thread_name_prefix="s3-read-ahead") as pool:
            pending = deque(
                pool.submit(self.open_range, blob_id, *span)
                for span in itertools.islice(spans, self.read_ahead)
            )
            try:
                while pending:
                    data = pending.popleft().result()
                    pending.extend(
                        pool.submit(self.open_range, blob_id, *span) for span in itertools.islice(spans, 1)
                    )
                    yield data
            finally:
                for future in pending:
                    future.cancel()

    def _upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> dict[str, Any]:
        response = self._client.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": response["ETag"]}


def _read_body(body: Any, chunk_size: int) -> Iterator[bytes]:
    with contextlib.closing(body):
        while chunk := body.read(chunk_size):
            yield chunk


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))
