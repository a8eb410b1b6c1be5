"""Copies of the checkpoints and leaves outside the read model, on a file and in S3; and the
vault's sweep primitives (keys and blobs by age) on every store."""

from __future__ import annotations

import stat
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from broker.adapters.checkpoint_archive import CheckpointLogFile, LeafLogFile, S3CheckpointArchive
from broker.merkle import Checkpoint, sign_checkpoint
from tests.support import seaweed

ORIGIN = "footage-broker.invalid/audit"


def note(size: int) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return sign_checkpoint(Checkpoint(origin=ORIGIN, tree_size=size, root_hash=bytes([size]) * 32,
                                      timestamp=datetime(2026, 12, 1, tzinfo=UTC)), key)


def test_checkpoint_log_is_append_only_idempotent_private_and_mends_a_torn_tail(tmp_path):
    log = CheckpointLogFile(tmp_path / "checkpoints.log")
    log.append(note(1), 1)
    log.append(note(1), 1)
    log.append(note(2), 2)
    assert log.notes() == [note(1), note(2)]
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    with log.path.open("ab") as handle:
        handle.write(b'{"note":"half a rec')  # a crash mid-append
    assert log.notes() == [note(1), note(2)]
    log.append(note(3), 3)
    assert log.notes() == [note(1), note(2), note(3)]


def test_leaf_log_keeps_what_it_has_and_drops_a_torn_hash(tmp_path):
    leaves = LeafLogFile(tmp_path / "audit-leaves.bin")
    hashes = [bytes([i]) * 32 for i in range(10)]
    leaves.extend(0, hashes[:4])
    leaves.extend(2, [bytes([99]) * 32, *hashes[3:7]])  # a re-projection never rewrites kept ones
    assert leaves.size() == 7 and leaves.read(0, 7) == hashes[:7]
    with leaves.path.open("ab") as handle:
        handle.write(b"\x01" * 5)
    assert leaves.size() == 7
    leaves.extend(7, hashes[7:])
    assert leaves.read(5, 100) == hashes[5:]
    with pytest.raises(ValueError):
        leaves.extend(20, hashes[:1])


@pytest.mark.s3
def test_s3_archive_round_trip_one_object_per_size(s3_server, s3_client):
    bucket = f"cp-{uuid.uuid4().hex[:12]}"
    seaweed.create_bucket(s3_server, bucket)
    archive = S3CheckpointArchive(s3_client, bucket)
    archive.append(note(5), 5)
    archive.append(note(12), 12)
    archive.append(note(12), 12)
    assert archive.notes() == [note(5), note(12)]
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="checkpoints/")["Contents"]
    assert [item["Key"] for item in listed] == ["checkpoints/00000000000000000005.note",
                                               "checkpoints/00000000000000000012.note"]


def test_blobs_by_age_and_stale_uploads(blob_store):
    blob_id = str(uuid.uuid4())
    blob_store.put(blob_id, [b"bytes"])
    assert blob_store.stale_ids(3600) == []
    assert blob_store.stale_ids(-1) == [blob_id]
    assert blob_store.sweep_stale_uploads(3600) == 0


def test_keys_by_age(keystore):
    keystore.create_key("old-key")
    future = datetime.now(UTC) + timedelta(minutes=5)
    assert keystore.ids_created_before(future) == ["old-key"]
    assert keystore.ids_created_before(datetime.now(UTC) - timedelta(hours=1)) == []
