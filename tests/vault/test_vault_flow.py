"""The pieces together, as ingest, viewing and purge will use them, on every blob store."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest

from broker.adapters.vault import kek, stream
from broker.adapters.vault.blobs import BlobStore
from broker.adapters.vault.errors import IntegrityError, KeyShreddedError
from broker.adapters.vault.keystore import SQLiteKeystore


def test_ingest_view_range_and_purge(blob_store: BlobStore, tmp_path: Path, keys_dir: Path) -> None:
    keystore = SQLiteKeystore(tmp_path / "keystore.db", kek.KeyFile(keys_dir))
    clip_id = str(uuid.uuid4())
    footage = os.urandom(3 * stream.DEFAULT_CHUNK_SIZE + 12345)
    camera_feed = (footage[i : i + 100_000] for i in range(0, len(footage), 100_000))

    key = keystore.create_key(clip_id)
    tally = stream.Tally()
    written = blob_store.put(
        clip_id, stream.encrypt_stream(key, clip_id, clip_id, tally.watch(camera_feed))
    )
    assert (tally.size, tally.sha256) == (len(footage), hashlib.sha256(footage).hexdigest())
    assert written == stream.ciphertext_size(len(footage), key_id=clip_id)

    header = stream.parse_header(blob_store.open_range(clip_id, 0, stream.MAX_HEADER_SIZE))
    assert header.plaintext_size(blob_store.size(clip_id)) == len(footage)
    key = keystore.get_key(header.key_id)
    viewed = stream.decrypt_stream(key, clip_id, blob_store.iter_chunks(clip_id))
    assert b"".join(viewed) == footage

    def read_at(offset: int, length: int) -> bytes:
        return blob_store.open_range(clip_id, offset, length)

    start, end = stream.DEFAULT_CHUNK_SIZE - 10, 2 * stream.DEFAULT_CHUNK_SIZE + 10
    ranged = stream.decrypt_range(key, clip_id, read_at, len(footage), start, end)
    assert b"".join(ranged) == footage[start:end]
    with pytest.raises(IntegrityError):
        list(stream.decrypt_stream(key, str(uuid.uuid4()), blob_store.iter_chunks(clip_id)))

    # Purge: shred first, so a crash before the blob is deleted still leaves only noise.
    assert keystore.shred(clip_id)
    with pytest.raises(KeyShreddedError):
        keystore.get_key(header.key_id)
    assert blob_store.delete(clip_id)
    keystore.close()
