"""Projection contract, on SQLite and PostgreSQL: exactly once, resumable, concurrent-safe."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from broker.adapters.vault.personal_data import PersonalData
from broker.bootstrap import projection_handlers
from broker.domain.camera import CameraSpec
from broker.readmodel.camera_view import cameras_near
from broker.readmodel.projector import Projector
from broker.readmodel.tables import cameras


def spec(i: int, lat: float = 36.35) -> CameraSpec:
    return CameraSpec(key=f"cam-{i}", name=f"cam {i}", agency="서구청", purpose="생활방범",
                      purpose_category="crime_prevention", address="", lat=lat + i * 1e-4,
                      lon=127.38, coverage_m=50.0, retention_days=30)


def camera_count(broker) -> int:
    with broker.readmodel.reader.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(cameras)).scalar_one())


class Boom(RuntimeError):
    pass


def test_crash_mid_batch_rolls_back_and_resumes_exactly_once(any_broker):
    broker = any_broker
    broker.app.upsert_cameras([spec(i) for i in range(10)])
    handlers = projection_handlers(PersonalData(broker.vault.keystore))
    seen: list[str] = []
    original = next(h for t, h in handlers.items() if t.__name__ == "Registered"
                    and "Camera" in t.__qualname__)

    def failing_on_seventh(conn, event):
        seen.append(str(event.originator_id))
        if len(seen) == 7:
            raise Boom
        original(conn, event)

    crashing = Projector(broker.app, broker.readmodel,
                         {t: (failing_on_seventh if h is original else h)
                          for t, h in handlers.items()}, name="readmodel")
    # The broker's own projector already ran at build time (nothing recorded then).
    with pytest.raises(Boom):
        crashing.catch_up()
    assert camera_count(broker) == 0  # the whole batch rolled back, position untouched
    assert broker.projector.catch_up() == 10
    assert camera_count(broker) == 10
    assert broker.projector.catch_up() == 0
    assert broker.projector.position() == broker.app.recorder.max_notification_id()


def test_relocation_moves_the_camera_in_the_index(any_broker):
    broker = any_broker
    broker.app.upsert_cameras([spec(0)])
    broker.projector.catch_up()
    moved = spec(0, lat=37.5)
    assert broker.app.upsert_cameras([moved])[0][1] == "updated"
    broker.projector.catch_up()
    with broker.readmodel.reader.connect() as conn:
        assert cameras_near(conn, 36.35, 127.38, 200) == []
        assert len(cameras_near(conn, 37.5, 127.38, 200)) == 1


def test_reimport_is_idempotent(any_broker):
    broker = any_broker
    first = broker.app.upsert_cameras([spec(i) for i in range(5)])
    again = broker.app.upsert_cameras([spec(i) for i in range(5)])
    assert {o for _, o in first} == {"created"}
    assert {o for _, o in again} == {"unchanged"}
    broker.projector.catch_up()
    assert camera_count(broker) == 5


def test_concurrent_projectors_apply_each_event_once(any_broker):
    broker = any_broker
    broker.app.upsert_cameras([spec(i) for i in range(300)])
    handlers = projection_handlers(PersonalData(broker.vault.keystore))
    projectors = [Projector(broker.app, broker.readmodel, handlers, batch_size=25)
                  for _ in range(4)]
    errors: list[BaseException] = []

    def run(projector: Projector) -> None:
        try:
            projector.catch_up()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in projectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert camera_count(broker) == 300  # a double apply would have hit the unique id
