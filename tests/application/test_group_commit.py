"""Group commit: concurrent commands share durable steps, and a failure fails only its own."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest

from broker.application.core import RecordConflict
from broker.domain.camera import Camera, CameraSpec
from tests.conftest import SHELL


def spec(key: str) -> CameraSpec:
    return CameraSpec(key=key, name=key, agency="서구청", purpose="생활방범",
                      purpose_category="crime_prevention", address="", lat=36.35, lon=127.38,
                      coverage_m=50, retention_days=30)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_concurrent_commands_each_get_their_own_position_and_their_keys_stored(broker):
    keystore = broker.vault.keystore
    results: dict[int, int | None] = {}
    keys = {i: keystore.prepare_key(f"subject:test:{uuid4()}") for i in range(40)}
    barrier = threading.Barrier(40)

    def command(i: int) -> None:
        camera = Camera.register(spec(f"gc-{i}"), at=broker.clock.now())
        barrier.wait()
        results[i] = broker.app.record(camera, keys=[keys[i]])

    threads = [threading.Thread(target=command, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    positions = sorted(p for p in results.values() if p is not None)
    assert len(set(positions)) == 40  # each command's own event, each durable
    assert all(keystore.exists(key.key_id) for key in keys.values())
    stored = {n.id for n in broker.app.recorder.select_notifications(start=1, limit=10_000)}
    assert set(positions) <= stored


def test_a_conflicting_command_fails_alone_and_leaves_no_key(broker):
    keystore = broker.vault.keystore
    [(camera_id, _)] = broker.cameras.upsert(SHELL, [spec("shared")])
    stale = broker.app.load(camera_id, Camera, "camera")
    broker.cameras.decommission(SHELL, camera_id, "removed")  # the stale copy is now behind
    errors: dict[str, BaseException] = {}
    barrier = threading.Barrier(11)
    bad_key = keystore.prepare_key(f"subject:test:{uuid4()}")
    good_keys = [keystore.prepare_key(f"subject:test:{uuid4()}") for _ in range(10)]

    def conflicting() -> None:
        stale.relocate(37.0, 127.0, 50, at=broker.clock.now())
        barrier.wait()
        try:
            broker.app.record(stale, keys=[bad_key])
        except BaseException as exc:
            errors["bad"] = exc

    def fine(i: int) -> None:
        camera = Camera.register(spec(f"fine-{i}"), at=broker.clock.now())
        barrier.wait()
        try:
            broker.app.record(camera, keys=[good_keys[i]])
        except BaseException as exc:
            errors[f"fine-{i}"] = exc

    threads = [threading.Thread(target=conflicting)] + [
        threading.Thread(target=fine, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert list(errors) == ["bad"] and isinstance(errors["bad"], RecordConflict)
    assert not keystore.exists(bad_key.key_id)
    assert all(keystore.exists(key.key_id) for key in good_keys)
