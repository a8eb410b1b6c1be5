"""The vault as the application uses it: store a clip, read it (whole or a range), shred it.

Each stored clip gets a fresh data key and a fresh blob id, never derived from the clip id, so a
failed or duplicate attempt can always be discarded without touching a clip that did land.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from uuid import uuid4

from broker.adapters.vault import overlap, stream
from broker.adapters.vault.blobs import BlobStore
from broker.adapters.vault.keystore import Keystore
from broker.errors import InvalidInput, PayloadTooLarge

logger = logging.getLogger("broker.adapters.vault")

KEPT_HEADERS = 4096
"""Stream headers kept in memory (a few hundred bytes each), most recently read first."""
SHORT_READ_CHUNKS = 3
"""Reads this many chunks long or shorter (a player's typical Range) get no read-ahead thread."""


@dataclass(frozen=True, slots=True)
class StoredClip:
    key_id: str
    blob_id: str
    size: int
    sha256: str


class ClipVault:
    def __init__(self, keystore: Keystore, blobs: BlobStore,
                 chunk_size: int = stream.DEFAULT_CHUNK_SIZE) -> None:
        self.keystore = keystore
        self.blobs = blobs
        self.chunk_size = chunk_size
        self._heads: OrderedDict[str, bytes] = OrderedDict()
        self._heads_lock = threading.Lock()

    def store(self, clip_id: str, chunks: Iterable[bytes], max_bytes: int) -> StoredClip:
        """Encrypt and store; on any failure (empty, too large, I/O) no blob and no key remain."""
        key_id = str(uuid4())
        blob_id = str(uuid4())
        key = self.keystore.create_key(key_id)
        tally = stream.Tally()
        try:
            self.blobs.put(blob_id, stream.encrypt_stream(
                key, key_id, clip_id, _limited(tally.watch(chunks), max_bytes), self.chunk_size))
            if tally.size == 0:
                raise InvalidInput("the clip body is empty")
        except BaseException:
            self.destroy(key_id, blob_id)
            raise
        return StoredClip(key_id=key_id, blob_id=blob_id, size=tally.size, sha256=tally.sha256)

    def read(self, clip_id: str, key_id: str, blob_id: str, size: int,
             start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Verified plaintext of ``[start, end)``; KeyShreddedError if the clip was purged.

        Key, blob and header are checked at the call, before a response promises any byte;
        the chunks are then read and decrypted a couple ahead of the caller (:mod:`.overlap`),
        unless the range is at most :data:`SHORT_READ_CHUNKS` chunks long: that is decrypted
        in the caller's thread, which is quicker than starting one to read ahead.
        """
        key = self.keystore.get_key(key_id)
        end = size if end is None else end

        def read_at(offset: int, length: int) -> bytes:
            if (offset, length) == (0, stream.MAX_HEADER_SIZE):
                return self._head(blob_id)
            return self.blobs.open_range(blob_id, offset, length)

        def read_spans(spans: Iterable[tuple[int, int]]) -> Iterator[bytes]:
            return self.blobs.iter_ranges(blob_id, spans)

        if start == 0 and end == size:
            plaintext = stream.decrypt_whole(key, clip_id, read_at, size, read_spans=read_spans)
        else:
            plaintext = stream.decrypt_range(key, clip_id, read_at, size, start, end, read_spans=read_spans)
        if end - start <= SHORT_READ_CHUNKS * self.chunk_size:
            return plaintext
        return overlap.read_ahead(plaintext)

    def destroy(self, key_id: str, blob_id: str) -> None:
        """Shred the key first (the clip is unreadable from then on), then delete the blob.

        Idempotent: either step may already have happened in an earlier, interrupted run.
        """
        self.keystore.shred(key_id)
        self._forget_heads([blob_id])
        with contextlib.suppress(ValueError):
            self.blobs.delete(blob_id)

    def destroy_many(self, locations: Sequence[tuple[str, str]]) -> None:
        """``destroy`` for a batch: one keystore transaction, one blob-store sweep."""
        if not locations:
            return
        self.keystore.shred_many([key_id for key_id, _ in locations])
        self._forget_heads([blob_id for _, blob_id in locations])
        self.blobs.delete_many([blob_id for _, blob_id in locations])

    def _head(self, blob_id: str) -> bytes:
        """A blob's first bytes (its stream header), kept for the next read of it.

        A blob never changes under its id, and every chunk authenticates the header anyway,
        so a kept one saves a read per Range request (an S3 GET) and risks nothing; the key is
        never kept, so a shredded clip still fails at the call.
        """
        with self._heads_lock:
            if blob_id in self._heads:
                self._heads.move_to_end(blob_id)
                return self._heads[blob_id]
        head = self.blobs.open_range(blob_id, 0, stream.MAX_HEADER_SIZE)
        with self._heads_lock:
            self._heads[blob_id] = head
            while len(self._heads) > KEPT_HEADERS:
                self._heads.popitem(last=False)
        return head

    def _forget_heads(self, blob_ids: Iterable[str]) -> None:
        with self._heads_lock:
            for blob_id in blob_ids:
                self._heads.pop(blob_id, None)

    def close(self) -> None:
        self.keystore.close()
        closer = getattr(self.blobs, "close", None)
        if callable(closer):
            closer()


def _limited(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > max_bytes:
            raise PayloadTooLarge(f"clip larger than the configured maximum of {max_bytes} bytes")
        yield chunk
