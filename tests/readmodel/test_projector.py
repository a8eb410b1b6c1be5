"""Projection contract, on SQLite and PostgreSQL: exactly once, resumable, concurrent-safe."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from broker.bootstrap import projections
from broker.domain.camera import Camera, CameraSpec
from broker.readmodel.camera_view import CameraView, cameras_near, sites_in_reach
from broker.readmodel.projection import Projector, ReadModelView
from broker.readmodel.tables import cameras
from tests.conftest import SHELL


def spec(i: int, lat: float = 36.35) -> CameraSpec:
    return CameraSpec(key=f"cam-{i}", name=f"cam {i}", agency="서구청", purpose="생활방범",
                      purpose_category="crime_prevention", address="", lat=lat + i * 1e-4,
                      lon=127.38, coverage_m=50.0, retention_days=30)


def record_cameras(broker, count: int) -> None:
    """Write the events only: nobody has projected them yet."""
    now = broker.clock.now()
    broker.app.record(*[Camera.register(spec(i), at=now) for i in range(count)])


def camera_count(broker) -> int:
    with broker.readmodel.reader.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(cameras)).scalar_one())


class Boom(RuntimeError):
    pass


def test_crash_mid_batch_rolls_back_and_resumes_exactly_once(broker):
    record_cameras(broker, 10)
    seen: list[str] = []

    class FailingOnSeventh(CameraView):
        def process_event(self, domain_event: Any, tracking: Any) -> None:
            if type(domain_event).__name__ == "Registered":
                seen.append(str(domain_event.originator_id))
                if len(seen) == 7:
                    raise Boom
            super().process_event(domain_event, tracking)

    view = broker.projector.view
    crashing = Projector(broker.app, view, [FailingOnSeventh(view),
                                            *projections(view, broker.ctx.personal_data)[1:]])
    with pytest.raises(Boom):
        crashing.catch_up()
    assert camera_count(broker) == 0  # the whole batch rolled back, position untouched
    assert broker.projector.catch_up() == 10
    assert camera_count(broker) == 10
    assert broker.projector.catch_up() == 0
    assert broker.projector.position() == broker.app.recorder.max_notification_id()


def test_relocation_moves_the_camera_in_the_index(broker):
    broker.cameras.upsert(SHELL, [spec(0)])
    moved = spec(0, lat=37.5)
    assert broker.cameras.upsert(SHELL, [moved])[0][1] == "updated"
    with broker.readmodel.reader.connect() as conn:
        assert cameras_near(conn, 36.35, 127.38, 200) == []
        assert len(cameras_near(conn, 37.5, 127.38, 200)) == 1


def test_the_decision_probe_finds_what_the_listing_finds(broker):
    """Filing uses a leaner probe than the camera listing; on both stores they must agree,
    decommissioned cameras excluded."""
    ids = [str(camera_id) for camera_id, _ in broker.cameras.upsert(SHELL, [spec(i) for i in range(8)])]
    broker.cameras.decommission(SHELL, UUID(ids[3]), reason="removed")
    with broker.readmodel.reader.connect() as conn:
        listed = [(hit.distance_m, hit.row["id"]) for hit in cameras_near(conn, 36.3503, 127.38, 30)]
        probed = [(site.distance_m, site.camera_id)
                  for site in sites_in_reach(conn, 36.3503, 127.38, 30)]
    assert probed == listed
    assert ids[3] not in {camera_id for _, camera_id in probed}
    assert len(probed) == 7


def test_reimport_is_idempotent(broker):
    first = broker.cameras.upsert(SHELL, [spec(i) for i in range(5)])
    again = broker.cameras.upsert(SHELL, [spec(i) for i in range(5)])
    assert {o for _, o in first} == {"created"}
    assert {o for _, o in again} == {"unchanged"}
    assert camera_count(broker) == 5


def test_commands_are_visible_to_the_next_query_without_a_catch_up(broker):
    """Read-your-writes by position: the command waited for its own events."""
    broker.cameras.upsert(SHELL, [spec(i) for i in range(3)])
    assert camera_count(broker) == 3
    assert broker.projector.position() == broker.app.recorder.max_notification_id()


def test_concurrent_projectors_apply_each_event_once(broker):
    record_cameras(broker, 300)
    views = [ReadModelView(broker.readmodel) for _ in range(4)]
    projectors = [Projector(broker.app, view, projections(view, broker.ctx.personal_data),
                            batch_size=25) for view in views]
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
