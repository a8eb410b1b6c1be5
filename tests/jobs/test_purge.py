"""Retention: a fixed clock drives time; purge is exact, idempotent, crash-safe and hold-aware."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.adapters.vault.errors import KeyShreddedError
from broker.bootstrap import Broker
from broker.domain.camera import CameraSpec
from broker.domain.roles import Role
from broker.errors import InvalidInput
from tests.conftest import SHELL, actor, ingest_clip
from tests.support.videos import tiny_video

FOOTAGE = tiny_video()

DAY = timedelta(days=1)


def camera(broker: Broker, key: str = "cam", retention_days: int = 30) -> UUID:
    spec = CameraSpec(key=key, name=key, agency="서구청", purpose="생활방범",
                      purpose_category="crime_prevention", address="", lat=36.35, lon=127.38,
                      coverage_m=50, retention_days=retention_days)
    camera_id, _ = broker.cameras.upsert(SHELL, [spec])[0]
    return camera_id


def ingest(broker: Broker, camera_id: UUID, ended_ago: timedelta, body: bytes = FOOTAGE):
    now = broker.clock.now()
    return ingest_clip(broker, camera_id, now - ended_ago - timedelta(minutes=1), now - ended_ago,
                       body)


def purged_events(broker: Broker, clip_id: UUID) -> list:
    return [broker.app.mapper.to_domain_event(e) for e in broker.app.recorder.select_events(clip_id)
            if e.topic.endswith("Clip.Purged")]


def assert_destroyed(broker: Broker, clip) -> None:
    assert not broker.vault.keystore.exists(clip.key_id)
    assert not broker.vault.blobs.exists(clip.blob_id)
    with pytest.raises(KeyShreddedError):
        broker.vault.read(str(clip.id), clip.key_id, clip.blob_id, clip.size)


def assert_intact(broker: Broker, clip, body: bytes = FOOTAGE) -> None:
    assert b"".join(broker.vault.read(str(clip.id), clip.key_id, clip.blob_id, clip.size)) == body
    assert purged_events(broker, clip.id) == []


def test_footage_past_retention_goes_at_the_next_run(broker):
    cam = camera(broker)
    old = ingest(broker, cam, ended_ago=31 * DAY)
    young = ingest(broker, cam, ended_ago=29 * DAY)
    report = broker.sweeps.purge()
    assert report.purged == 1
    assert_destroyed(broker, old)
    assert_intact(broker, young)
    [event] = purged_events(broker, old.id)
    assert event.reason == "retention" and event.at == broker.clock.now()
    assert broker.sweeps.purge().purged == 0  # idempotent


def test_each_camera_keeps_its_own_retention(broker, clock):
    short = camera(broker, "short", retention_days=7)
    normal = camera(broker, "normal", retention_days=30)
    a = ingest(broker, short, ended_ago=8 * DAY)
    b = ingest(broker, normal, ended_ago=8 * DAY)
    broker.sweeps.purge()
    assert_destroyed(broker, a)
    assert_intact(broker, b)


def test_a_held_clip_survives_until_release_then_goes_after_use(broker, clock):
    cam = camera(broker)
    clip = ingest(broker, cam, ended_ago=20 * DAY)
    police = actor(Role.POLICE, "police-client", "대전경찰청")
    hold = broker.holds.place(police, case_reference="2026-형-77", camera_ids=[str(cam)],
                              start=clip.start, end=clip.end, request_id=None, reason="prosecution")
    clock.advance(15 * DAY)  # 35 days: past retention, but held
    report = broker.sweeps.purge()
    assert report.purged == 0 and report.kept_by_hold == 1
    assert_intact(broker, clip)
    broker.holds.release(police, UUID(hold["id"]), "case closed")
    assert broker.sweeps.purge().purged == 1
    assert_destroyed(broker, clip)
    assert purged_events(broker, clip.id)[0].reason == "after_use"


def test_dry_run_changes_nothing_and_looks_ahead(broker, clock):
    from datetime import datetime

    cam = camera(broker)
    clips = [ingest(broker, cam, ended_ago=days * DAY) for days in (40, 31, 25)]
    before = broker.app.recorder.max_notification_id()
    report = broker.sweeps.purge(dry_run=True)
    assert [v.clip.clip_id for v in report.verdicts] == [str(clips[0].id), str(clips[1].id)]
    ahead = broker.sweeps.purge(dry_run=True, as_of=clock.now() + 10 * DAY)
    assert len(ahead.verdicts) == 3
    assert broker.app.recorder.max_notification_id() == before
    for clip in clips:
        assert_intact(broker, clip)
    with pytest.raises(InvalidInput):
        broker.sweeps.purge(as_of=clock.now() + DAY)  # a real purge never runs ahead
    assert isinstance(report.as_of, datetime)


@pytest.mark.parametrize("crashed_after", ["nothing", "shred", "shred+delete"])
def test_a_run_killed_between_steps_is_finished_by_the_next(broker, crashed_after):
    cam = camera(broker)
    clips = [ingest(broker, cam, ended_ago=31 * DAY) for _ in range(4)]
    # Leave the state a crash at that point would leave for half the batch.
    for clip in clips[:2]:
        if "shred" in crashed_after:
            broker.vault.keystore.shred(clip.key_id)
        if "delete" in crashed_after:
            broker.vault.blobs.delete(clip.blob_id)
    assert broker.sweeps.purge().purged == 4
    for clip in clips:
        assert_destroyed(broker, clip)
        assert len(purged_events(broker, clip.id)) == 1
    assert broker.sweeps.purge().purged == 0


lifetimes = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 60), st.booleans(), st.booleans()),
    min_size=1, max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=lifetimes)
def test_purge_removes_exactly_the_unheld_expired_clips(broker, clock, specs):
    """(camera, days since end, held?, hold released?) per clip, on cameras of 7/30/90 days."""
    # Fresh cameras per example: holds from earlier examples must not cover these clips.
    run = uuid4().hex
    cams = [camera(broker, f"{run}-{i}", retention) for i, retention in enumerate((7, 30, 90))]
    retention = dict(zip(cams, (7, 30, 90), strict=True))
    placed = []
    active_holds = []
    for cam_index, days, held, released in specs:
        clip = ingest(broker, cams[cam_index], ended_ago=days * DAY + timedelta(seconds=1))
        if held:
            placer = actor(Role.POLICE, "p", "a")
            hold = broker.holds.place(placer, case_reference="case", camera_ids=[str(cams[cam_index])],
                                      start=clip.start, end=clip.end, request_id=None, reason="r")
            if released:
                broker.holds.release(placer, UUID(hold["id"]), "done")
            else:
                active_holds.append((cams[cam_index], clip.start, clip.end))
        placed.append((clip, cams[cam_index], days))
    expected = []
    for clip, cam, days in placed:
        held_now = any(c == cam and s < clip.end and e > clip.start for c, s, e in active_holds)
        expected.append((clip, days >= retention[cam] and not held_now))
    broker.sweeps.purge()
    for clip, should_go in expected:
        gone = bool(purged_events(broker, clip.id))
        assert gone == should_go
        assert broker.vault.keystore.exists(clip.key_id) == (not gone)
    assert broker.sweeps.purge().purged == 0
