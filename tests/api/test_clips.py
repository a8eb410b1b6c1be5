"""Ingest through the real ASGI app: ciphertext only at rest, byte-exact back, clean failures."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from broker.adapters.vault.errors import KeyShreddedError
from broker.bootstrap import build
from broker.config import Settings
from broker.domain.clip import Clip
from broker.domain.roles import Role
from broker.errors import Conflict
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras
from tests.api.test_auth import assert_problem
from tests.conftest import SHELL, T0
from tests.support.videos import padded, tiny_video

MARKER = b"PLAINTEXT-MARKER-6f1c2e"


def params(camera_id: str, start_minutes_ago: int = 10, end_minutes_ago: int = 9) -> dict[str, str]:
    return {"camera_id": camera_id,
            "start": (T0 - timedelta(minutes=start_minutes_ago)).isoformat(),
            "end": (T0 - timedelta(minutes=end_minutes_ago)).isoformat()}


def footage(size: int = 3 * 1024 * 1024 + 17) -> bytes:
    """A real video (every ingest is probed) with the marker near its start and at its end."""
    body = bytearray(padded(size))
    body[2000:2000 + len(MARKER)] = MARKER
    body[-len(MARKER):] = MARKER
    return bytes(body)


def stored_keys(broker) -> int:
    return sum(broker.vault.keystore.count_by_kek_version().values())


def stored_blobs(broker) -> int:
    return len(list(broker.vault.blobs.iter_ids()))


def test_ingested_clip_rests_only_as_ciphertext_and_reads_back_exactly(api, broker, keys, tmp_path):
    camera = add_cameras(broker, count=1)[0]
    body = footage()
    response = api.post("/v1/clips", params=params(camera), content=body,
                        headers=bearer(keys[Role.OPERATOR]))
    assert response.status_code == 201, response.text
    clip = response.json()
    assert clip["size"] == len(body)
    assert clip["sha256"] == hashlib.sha256(body).hexdigest()
    assert response.headers["location"] == f"/v1/clips/{clip['id']}"

    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert MARKER not in path.read_bytes(), f"plaintext found in {path}"

    aggregate = broker.app.load(UUID(clip["id"]), Clip, "clip")
    read = b"".join(broker.vault.read(clip["id"], aggregate.key_id, aggregate.blob_id, aggregate.size))
    assert read == body
    part = b"".join(broker.vault.read(clip["id"], aggregate.key_id, aggregate.blob_id,
                                      aggregate.size, 1_048_570, 2_097_160))
    assert part == body[1_048_570:2_097_160]

    broker.vault.destroy(aggregate.key_id, aggregate.blob_id)
    with pytest.raises(KeyShreddedError):
        broker.vault.read(clip["id"], aggregate.key_id, aggregate.blob_id, aggregate.size)
    assert stored_blobs(broker) == 0


def test_window_and_camera_may_come_as_headers(api, broker, keys):
    camera = add_cameras(broker, count=1)[0]
    p = params(camera)
    headers = {**bearer(keys[Role.OPERATOR]), "X-Camera-Id": p["camera_id"],
               "X-Clip-Start": p["start"], "X-Clip-End": p["end"]}
    assert api.post("/v1/clips", content=tiny_video(), headers=headers).status_code == 201


def test_the_camera_may_be_named_by_its_key(api, broker, keys):
    camera = add_cameras(broker, count=1)[0]
    p = params(camera)
    operator = bearer(keys[Role.OPERATOR])
    by_key = {"camera_key": "test-cam-0", "start": p["start"], "end": p["end"]}
    created = api.post("/v1/clips", params=by_key, content=tiny_video(), headers=operator)
    assert created.status_code == 201 and created.json()["camera_id"] == camera
    headers = {**operator, "X-Camera-Key": "test-cam-0", "X-Clip-Start": p["start"],
               "X-Clip-End": p["end"]}
    assert api.post("/v1/clips", content=tiny_video(1), headers=headers).status_code == 201
    unknown = api.post("/v1/clips", params={**by_key, "camera_key": "nope"}, content=b"v",
                       headers=operator)
    assert "no camera" in assert_problem(unknown, 422)["detail"]
    both = api.post("/v1/clips", params={**by_key, "camera_id": camera}, content=b"v",
                    headers=operator)
    assert_problem(both, 422)


def test_idempotency_key_makes_retries_safe(api, broker, keys):
    camera = add_cameras(broker, count=1)[0]
    headers = {**bearer(keys[Role.OPERATOR]), "Idempotency-Key": "vms-7781-seg-42"}
    first = api.post("/v1/clips", params=params(camera), content=tiny_video(), headers=headers)
    again = api.post("/v1/clips", params=params(camera), content=tiny_video(), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert stored_blobs(broker) == 1 and stored_keys(broker) == 1


def test_ingest_errors_are_problems_and_leave_nothing_behind(api, broker, keys):
    cameras = add_cameras(broker, count=2)
    broker.cameras.decommission(SHELL, UUID(cameras[1]), "removed")
    operator = bearer(keys[Role.OPERATOR])
    cases = [
        (params("00000000-0000-0000-0000-00000000abcd"), b"x", 422),
        (params(cameras[1]), b"x", 409),
        (params(cameras[0], 5, 6), b"x", 422),  # end before start
        (params(cameras[0], 5, 5), b"x", 422),  # empty window
        (params(cameras[0], 1, -1), b"x", 422),  # ends in the future
        (params(cameras[0], 60 * 48, 60), b"x", 422),  # longer than a day
        (params(cameras[0]), b"", 422),  # empty body
        ({"camera_id": cameras[0]}, b"x", 422),  # window missing
        ({**params(cameras[0]), "start": "2026-11-20T08:00:00"}, b"x", 422),  # no zone
    ]
    for query, body, status in cases:
        assert_problem(api.post("/v1/clips", params=query, content=body, headers=operator), status)
    assert_problem(api.post("/v1/clips", params=params(cameras[0]), content=b"x",
                            headers=bearer(keys[Role.POLICE])), 403)
    assert stored_blobs(broker) == 0 and stored_keys(broker) == 0


def test_bodies_over_the_maximum_are_413_even_when_streamed(sqlite_settings: Settings, clock):
    from fastapi.testclient import TestClient

    from broker.entrypoints.api.main import create_app

    small = build(sqlite_settings.model_copy(update={"max_clip_bytes": 1000}), clock)
    try:
        camera = add_cameras(small, count=1)[0]
        _, key = small.clients.register(SHELL, name="op", role="operator", agency="센터")
        with TestClient(create_app(small), raise_server_exceptions=False) as client:
            declared = client.post("/v1/clips", params=params(camera), content=b"x" * 1001,
                                   headers=bearer(key))
            assert_problem(declared, 413)
            chunked = client.post("/v1/clips", params=params(camera),
                                  content=(b"x" * 300 for _ in range(4)), headers=bearer(key))
            assert_problem(chunked, 413)
        assert stored_blobs(small) == 0 and stored_keys(small) == 0
    finally:
        small.close()


def test_failure_mid_stream_leaves_no_blob_and_no_key(broker):
    camera = UUID(add_cameras(broker, count=1)[0])

    def broken_feed():
        yield b"a" * 2_000_000
        raise OSError("camera link dropped")

    with pytest.raises(OSError):
        broker.clips.ingest(SHELL, camera_id=camera, start=T0 - timedelta(minutes=2),
                               end=T0 - timedelta(minutes=1), chunks=broken_feed())
    assert stored_blobs(broker) == 0 and stored_keys(broker) == 0


def test_losing_an_idempotent_race_discards_the_losers_copy(broker):
    camera = UUID(add_cameras(broker, count=1)[0])
    window = {"start": T0 - timedelta(minutes=2), "end": T0 - timedelta(minutes=1)}
    winner = []

    video = tiny_video(3)

    def feed_that_races():
        yield video[:100]
        # While this body streams, a retry with the same key (and bytes) lands first.
        winner.append(broker.clips.ingest(SHELL, camera_id=camera, **window,
                                          chunks=[video], idempotency_key="k1")[0])
        yield video[100:]

    clip, replayed = broker.clips.ingest(SHELL, camera_id=camera, **window,
                                         chunks=feed_that_races(), idempotency_key="k1")
    assert replayed and clip["id"] == winner[0]["id"] and clip["size"] == len(video)
    assert stored_blobs(broker) == 1 and stored_keys(broker) == 1


def test_a_race_with_other_bytes_under_the_same_key_is_a_conflict(broker):
    """The loser sent different footage: it is told so, and its copy is not kept."""
    camera = UUID(add_cameras(broker, count=1)[0])
    window = {"start": T0 - timedelta(minutes=2), "end": T0 - timedelta(minutes=1)}

    mine = tiny_video(5)

    def feed_that_races():
        yield mine[:100]
        broker.clips.ingest(SHELL, camera_id=camera, **window, chunks=[tiny_video(4)],
                            idempotency_key="k1")
        yield mine[100:]

    with pytest.raises(Conflict, match="Idempotency-Key"):
        broker.clips.ingest(SHELL, camera_id=camera, **window, chunks=feed_that_races(),
                            idempotency_key="k1")
    assert stored_blobs(broker) == 1 and stored_keys(broker) == 1


def test_ingest_probes_real_cctv_codecs_and_refuses_what_does_not_decode(api, broker, keys, tmp_path):
    from tests.video import samples

    camera = add_cameras(broker, count=1)[0]
    operator = bearer(keys[Role.OPERATOR])
    for n, sample in enumerate((samples.h264_mp4(tmp_path), samples.hevc_mp4(tmp_path))):
        response = api.post("/v1/clips", params=params(camera, 20 + 2 * n, 19 + 2 * n),
                            content=sample.path.read_bytes(), headers=operator)
        assert response.status_code == 201, response.text
        video = response.json()["video"]
        assert (video["codec"], video["width"], video["height"], video["frames"]) == (
            sample.codec, sample.width, sample.height, sample.frames)
        assert video["fps"] == f"{sample.fps.numerator}/{sample.fps.denominator}"
        assert api.get(f"/v1/clips/{response.json()['id']}", headers=operator).json()["video"] == video
    before = (stored_blobs(broker), stored_keys(broker))
    truncated = samples.h264_mp4(tmp_path).path.read_bytes()[:-3000]
    for body in (b"\x00\x01video" * 1000, truncated):
        assert_problem(api.post("/v1/clips", params=params(camera), content=body, headers=operator), 422)
    assert (stored_blobs(broker), stored_keys(broker)) == before
    assert not any((broker.settings.data_dir / "scratch").glob("*"))
