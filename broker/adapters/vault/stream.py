"""Chunked AES-256-GCM (the STREAM construction): constant memory, every chunk authenticated.

Layout of a stream::

    header  = magic "FBV1" | version u8 | nonce prefix (7 bytes) | chunk size u32 | len u8 | key id
    chunk i = AES-256-GCM(data key, nonce_i, plaintext_i, aad) = ciphertext_i | tag (16 bytes)
    nonce_i = nonce prefix | i as u32 big endian | 1 if last chunk else 0
    aad     = header | clip id (UTF-8)

Every plaintext chunk is ``chunk size`` bytes except the last, which holds the rest (1 to
``chunk size`` bytes; 0 only when the whole plaintext is empty). Because the last-chunk flag
and the position are in the nonce and the header is in every chunk's associated data,
truncation, extension, reordering, splicing of other streams, header edits, a wrong key or a
wrong clip id all fail authentication, and no plaintext of a chunk is released before its tag
is verified.

Reading a clip: ``parse_header(first bytes)`` gives the key id, the keystore gives the key,
then :func:`decrypt_whole` (whole clip) or :func:`decrypt_range` (HTTP Range) gives bytes from
reads that line up with the chunks; :func:`decrypt_stream` takes the stream in pieces of any sizes.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from broker.adapters.vault.errors import IntegrityError, VaultError

MAGIC = b"FBV1"
FORMAT_VERSION = 1
KEY_SIZE = 32
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 7
DEFAULT_CHUNK_SIZE = 1 << 20
"""1 MiB: fastest in ``bench/vault.py``; Range requests decrypt at most two extra MiB."""
MAX_CHUNK_SIZE = 16 << 20
"""A hostile header cannot make a reader buffer more than this per chunk."""
MAX_KEY_ID_SIZE = 255
MAX_CHUNKS = 1 << 32

_FIXED = struct.Struct(">4sB7sIB")  # magic, version, nonce prefix, chunk size, key id length
_NONCE = struct.Struct(">7sIB")
MAX_HEADER_SIZE = _FIXED.size + MAX_KEY_ID_SIZE
RANGE_READ_SIZE = 4 << 20
"""Ciphertext bytes per read, in whole chunks (at least one): three default chunks, one S3 GET."""

ReadAt = Callable[[int, int], bytes | bytearray | memoryview]
"""``read_at(offset, length)``: up to ``length`` bytes at ``offset``; fewer only at the end.

The result may be a view into a buffer that the next call refills: it is used up before then.
"""

ReadSpans = Callable[[Iterable[tuple[int, int]]], Iterable[bytes | bytearray | memoryview]]
"""``read_spans(spans)``: ``read_at`` of each ``(offset, length)``, in order. It is told every
read in advance, so it may fetch a few ahead (the S3 blob store does); each result is used up
before the next is taken."""


@dataclass(frozen=True, slots=True)
class StreamHeader:
    """The clear-text, authenticated preamble of a stream."""

    key_id: str
    nonce_prefix: bytes
    chunk_size: int
    version: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        key_id = self.key_id.encode("utf-8")
        fixed = _FIXED.pack(MAGIC, self.version, self.nonce_prefix, self.chunk_size, len(key_id))
        return fixed + key_id

    @property
    def size(self) -> int:
        return _FIXED.size + len(self.key_id.encode("utf-8"))

    def ciphertext_size(self, plaintext_size: int) -> int:
        """Bytes of the whole stream (header included) for ``plaintext_size`` bytes of clip."""
        if plaintext_size < 0:
            raise ValueError("plaintext size must not be negative")
        return self.size + plaintext_size + _chunk_count(plaintext_size, self.chunk_size) * TAG_SIZE

    def plaintext_size(self, ciphertext_size: int) -> int:
        """Inverse of :meth:`ciphertext_size`; IntegrityError if no plaintext has that size."""
        body = ciphertext_size - self.size
        step = self.chunk_size + TAG_SIZE
        full, rest = divmod(body, step)
        if body < TAG_SIZE or 0 < rest < TAG_SIZE or (rest == TAG_SIZE and full > 0):
            raise IntegrityError("stream size does not match its header")
        return full * self.chunk_size + max(rest - TAG_SIZE, 0)


def ciphertext_size(
    plaintext_size: int, *, key_id: str, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Bytes a stream of ``plaintext_size`` bytes takes, header and tags included."""
    header = StreamHeader(key_id, bytes(NONCE_PREFIX_SIZE), _checked_chunk_size(chunk_size))
    return header.ciphertext_size(plaintext_size)


def parse_header(data: bytes | bytearray | memoryview) -> StreamHeader:
    """Read the header at the start of ``data`` (which may run on into the chunks).

    IntegrityError if it is short or malformed; its authenticity is proven by the first
    chunk, since the header is part of every chunk's associated data.
    """
    if len(data) < _FIXED.size:
        raise IntegrityError("stream truncated inside its header")
    magic, version, prefix, chunk_size, key_id_size = _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise IntegrityError("not a vault stream (bad magic)")
    if version != FORMAT_VERSION:
        raise IntegrityError(f"unsupported vault stream version {version}")
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise IntegrityError(f"stream chunk size {chunk_size} out of range")
    if key_id_size == 0:
        raise IntegrityError("stream has an empty key id")
    end = _FIXED.size + key_id_size
    if len(data) < end:
        raise IntegrityError("stream truncated inside its header")
    try:
        key_id = bytes(data[_FIXED.size : end]).decode("utf-8")
    except UnicodeDecodeError:
        raise IntegrityError("stream key id is not UTF-8") from None
    return StreamHeader(key_id=key_id, nonce_prefix=prefix, chunk_size=chunk_size)


def encrypt_stream(
    key: bytes,
    key_id: str,
    clip_id: str,
    chunks: Iterable[bytes],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[bytes]:
    """Encrypt pieces of any sizes; yields the header, then one ciphertext chunk at a time."""
    aead = _aead(key)
    key_id_bytes = key_id.encode("utf-8")
    if not 0 < len(key_id_bytes) <= MAX_KEY_ID_SIZE:
        raise ValueError(f"key id must be 1 to {MAX_KEY_ID_SIZE} bytes of UTF-8")
    header = StreamHeader(key_id, os.urandom(NONCE_PREFIX_SIZE), _checked_chunk_size(chunk_size))
    return _encrypt(aead, header, clip_id, chunks)


def decrypt_stream(key: bytes, clip_id: str, ciphertext_chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Decrypt a whole stream given in pieces of any sizes; yields verified plaintext only.

    IntegrityError as soon as a chunk fails, or at the end if the last chunk is missing or
    followed by anything.
    """
    return _decrypt(_aead(key), clip_id, ciphertext_chunks)


def decrypt_range(
    key: bytes,
    clip_id: str,
    read_at: ReadAt,
    plaintext_size: int,
    start: int,
    end_exclusive: int,
    *,
    read_spans: ReadSpans | None = None,
) -> Iterator[bytes]:
    """Plaintext bytes ``[start, end_exclusive)``, reading only the chunks that cover them.

    ``plaintext_size`` is the clip's recorded size; if it is wrong, the chunk taken for the
    last one fails authentication. The header is read with ``read_at`` and checked at the
    call (unless the range is empty), so a missing blob or a foreign stream fails before any
    byte is promised; the chunks come from ``read_spans``, by default ``read_at`` span by span.
    """
    aead = _aead(key)
    if not 0 <= start <= end_exclusive <= plaintext_size:
        raise ValueError(
            f"range [{start}, {end_exclusive}) is not within a clip of {plaintext_size} bytes"
        )
    if start == end_exclusive:
        return iter(())
    header, aad = _read_header(read_at, clip_id)
    spans = read_spans or _one_by_one(read_at)
    return _decrypt_chunks(aead, header, aad, spans, plaintext_size, start, end_exclusive, False)


def decrypt_whole(
    key: bytes, clip_id: str, read_at: ReadAt, plaintext_size: int, *, read_spans: ReadSpans | None = None
) -> Iterator[bytes]:
    """The whole clip of ``plaintext_size`` bytes, read like :func:`decrypt_range`.

    Unlike a range it proves what :func:`decrypt_stream` proves by reading to the end: the
    final chunk (even the lone tag of an empty clip) verifies and no byte follows it.
    """
    aead = _aead(key)
    if plaintext_size < 0:
        raise ValueError("plaintext size must not be negative")
    header, aad = _read_header(read_at, clip_id)
    spans = read_spans or _one_by_one(read_at)
    return _decrypt_chunks(aead, header, aad, spans, plaintext_size, 0, plaintext_size, True)


class Tally:
    """Counts and hashes plaintext as it streams past: the size and SHA-256 kept as evidence."""

    def __init__(self) -> None:
        self.size = 0
        self._sha256 = hashlib.sha256()

    def watch(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            self._sha256.update(chunk)
            yield chunk

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_SIZE:
        raise ValueError(f"data keys are {KEY_SIZE} bytes")
    return AESGCM(key)


def _checked_chunk_size(chunk_size: int) -> int:
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be 1 to {MAX_CHUNK_SIZE} bytes")
    return chunk_size


def _chunk_count(plaintext_size: int, chunk_size: int) -> int:
    return max(1, -(-plaintext_size // chunk_size))


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= MAX_CHUNKS:
        raise VaultError("stream too long for its chunk size (chunk counter overflow)")
    return _NONCE.pack(prefix, counter, last)


def _blocks(pieces: Iterable[bytes], size: int) -> Iterator[bytes | bytearray | memoryview]:
    """Re-cut pieces into ``size``-byte blocks plus a shorter rest (one empty block if none).

    Slices of ``bytes`` pieces are views, not copies; other buffers are copied once, since
    their owner may reuse them while we still hold a block.
    """
    pending = bytearray()
    produced = False
    for piece in pieces:
        view = memoryview(piece if isinstance(piece, bytes) else bytes(piece))
        if pending:
            needed = size - len(pending)
            pending += view[:needed]
            view = view[needed:]
            if len(pending) < size:
                continue
            block, pending = pending, bytearray()
            produced = True
            yield block
        while len(view) >= size:
            produced = True
            yield view[:size]
            view = view[size:]
        pending += view
    if pending or not produced:
        yield pending


def _encrypt(
    aead: AESGCM, header: StreamHeader, clip_id: str, chunks: Iterable[bytes]
) -> Iterator[bytes]:
    header_bytes = header.to_bytes()
    aad = header_bytes + clip_id.encode("utf-8")
    prefix = header.nonce_prefix
    yield header_bytes
    blocks = _blocks(chunks, header.chunk_size)
    current = next(blocks)
    counter = 0
    for upcoming in blocks:
        yield aead.encrypt(_nonce(prefix, counter, False), current, aad)
        counter += 1
        current = upcoming
    yield aead.encrypt(_nonce(prefix, counter, True), current, aad)


def _open_chunk(
    aead: AESGCM, nonce: bytes, data: bytes | bytearray | memoryview, size: int, aad: bytes
) -> bytes:
    """Decrypt ``data[:size]`` without copying it; the view is released before returning."""
    with memoryview(data) as view:
        try:
            return aead.decrypt(nonce, view[:size], aad)
        except InvalidTag:
            raise IntegrityError(
                "clip stream failed authentication (altered, truncated, reordered, "
                "or wrong key or clip id)"
            ) from None


def _decrypt(aead: AESGCM, clip_id: str, ciphertext_chunks: Iterable[bytes]) -> Iterator[bytes]:
    pieces = iter(ciphertext_chunks)
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        if len(buffer) >= _FIXED.size and len(buffer) >= _FIXED.size + buffer[_FIXED.size - 1]:
            break
    header = parse_header(buffer)
    aad = bytes(buffer[: header.size]) + clip_id.encode("utf-8")
    del buffer[: header.size]
    prefix = header.nonce_prefix
    step = header.chunk_size + TAG_SIZE
    counter = 0
    for piece in itertools.chain((b"",), pieces):  # the header's piece may hold chunks too
        buffer += piece
        # A full chunk is known not to be the last only once a byte beyond it has arrived.
        while len(buffer) > step:
            yield _open_chunk(aead, _nonce(prefix, counter, False), buffer, step, aad)
            del buffer[:step]
            counter += 1
    if len(buffer) < TAG_SIZE or (len(buffer) == TAG_SIZE and counter > 0):
        raise IntegrityError("clip stream truncated: its last chunk is missing")
    yield _open_chunk(aead, _nonce(prefix, counter, True), buffer, len(buffer), aad)


def _one_by_one(read_at: ReadAt) -> ReadSpans:
    def read_spans(spans: Iterable[tuple[int, int]]) -> Iterator[bytes | bytearray | memoryview]:
        return (read_at(offset, length) for offset, length in spans)

    return read_spans


def _read_header(read_at: ReadAt, clip_id: str) -> tuple[StreamHeader, bytes]:
    """The stream's header and the associated data of its chunks."""
    with memoryview(read_at(0, MAX_HEADER_SIZE)) as head:
        header = parse_header(head)
        return header, bytes(head[: header.size]) + clip_id.encode("utf-8")


def _decrypt_chunks(
    aead: AESGCM,
    header: StreamHeader,
    aad: bytes,
    read_spans: ReadSpans,
    plaintext_size: int,
    start: int,
    end: int,
    whole: bool,
) -> Iterator[bytes]:
    """Read the chunks covering ``[start, end)`` a few whole chunks per read, and open each
    one in place; with ``whole``, the last read asks for one byte more, which must not exist."""
    chunk_size = header.chunk_size
    step = chunk_size + TAG_SIZE
    last_chunk = _chunk_count(plaintext_size, chunk_size) - 1
    last_length = plaintext_size - last_chunk * chunk_size + TAG_SIZE
    first, final = start // chunk_size, max(end - 1, 0) // chunk_size
    per_read = max(1, RANGE_READ_SIZE // step)
    groups = range(first, final + 1, per_read)

    def extent(group: int) -> tuple[int, int, int]:
        """One past the group's last chunk, the group's ciphertext length, the length to ask."""
        group_end = min(group + per_read, final + 1)
        if group_end - 1 != last_chunk:
            return group_end, (group_end - group) * step, (group_end - group) * step
        length = (group_end - group - 1) * step + last_length
        return group_end, length, length + whole

    spans = ((header.size + group * step, extent(group)[2]) for group in groups)
    for group, data in zip(groups, read_spans(spans), strict=True):
        group_end, length, _ = extent(group)
        with memoryview(data) as view:
            if len(view) < length:
                raise IntegrityError("clip stream truncated: a chunk in the range is missing")
            if len(view) > length:
                raise IntegrityError("clip stream has bytes after its last chunk")
            for index in range(group, group_end):
                offset = (index - group) * step
                is_last = index == last_chunk
                size = last_length if is_last else step
                nonce = _nonce(header.nonce_prefix, index, is_last)
                plaintext = _open_chunk(aead, nonce, view[offset:], size, aad)
                base = index * chunk_size
                lo, hi = max(start - base, 0), min(end - base, len(plaintext))
                yield plaintext if (lo, hi) == (0, len(plaintext)) else plaintext[lo:hi]
