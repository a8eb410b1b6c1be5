"""Policy what-if replay: the recorded requests of a period, judged again under a draft."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings

from broker.adapters.vault.kek import init_keyfile
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.config import Settings
from broker.domain.roles import Role
from broker.errors import Forbidden, InvalidInput
from tests.analytics.city import offset
from tests.analytics.history import ACTIVE_TOML, camera, histories, record, request_draft
from tests.conftest import SHELL, T0, actor

EVER = (T0 - timedelta(days=400), T0 + timedelta(days=400))


@contextmanager
def fresh_broker():
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        init_keyfile(Path(tmp) / "keys")
        clock = FixedClock(T0)
        broker = build(Settings(data_dir=Path(tmp) / "var", keys_dir=Path(tmp) / "keys"), clock)
        try:
            yield broker, clock
        finally:
            broker.close()


def assert_faithful(report: dict, recorded: int) -> None:
    assert report["requests"] == report["replayed"] == recorded
    assert report["changed"] == 0 and report["changes"] == []
    assert report["reasons_changed"] == 0 and report["unchanged"] == recorded
    assert report["reproduced"]["inputs"] == recorded, report["reproduced"]
    assert report["reproduced"]["cameras"] == recorded, report["reproduced"]
    assert report["diff"] == []


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(history=histories)
def test_replaying_history_against_the_active_pack_changes_no_decision(history):
    """Whatever happened (cameras registered, moved, decommissioned between requests of every
    basis, reviews, withdrawals, amendments), the same evaluator on the recorded inputs with
    the registry as it stood reproduces every decision, its input digest and camera digest."""
    with fresh_broker() as (broker, clock):
        recorded = record(broker, clock, history)
        before = broker.app.recorder.max_notification_id()
        report = broker.policies.replay(SHELL, ACTIVE_TOML, *EVER)
        assert_faithful(report, len(recorded))
        assert broker.app.recorder.max_notification_id() == before  # never writes an event


def test_a_camera_registered_after_a_request_is_not_in_its_registry(broker, clock):
    police = actor(Role.POLICE)
    _, lonely = request_draft("crime", offset(0, 0), 150.0, 1, 30, clock.now())
    denied = broker.requests.submit(police, lonely)
    assert denied["decision"]["outcome"] == "denied"
    clock.advance(timedelta(hours=1))
    broker.cameras.upsert(SHELL, [camera("late", offset(0, 0), 50.0)])
    broker.cameras.upsert(SHELL, [camera("moved", offset(0, 0), 50.0)])
    _, later = request_draft("crime", offset(0, 0), 150.0, 1, 30, clock.now())
    granted = broker.requests.submit(police, later)
    clock.advance(timedelta(hours=1))
    broker.cameras.upsert(SHELL, [camera("moved", offset(2000, 0), 50.0)])  # moves away
    broker.cameras.decommission(SHELL, UUID(granted["grant"]["camera_ids"][0]), "broken")
    assert_faithful(broker.policies.replay(SHELL, ACTIVE_TOML, *EVER), 2)


def shorter_lookback(days: int) -> str:
    """kr-pipa with crime investigation looking back ``days`` instead of 30."""
    head, crime = ACTIVE_TOML.split('id = "crime_investigation"', 1)
    crime, rest = crime.split("[[bases]]", 1)
    crime = crime.replace("max_lookback_days = 30", f"max_lookback_days = {days}")
    return (head.replace('version = "1.2.0"', 'version = "1.3.0-draft"')
            + 'id = "crime_investigation"' + crime + "[[bases]]" + rest)


def test_a_shorter_look_back_turns_old_grants_into_denials(broker, clock):
    broker.cameras.upsert(SHELL, [camera("spot", offset(0, 0), 50.0)])
    police = actor(Role.POLICE)
    old = [broker.requests.submit(police, request_draft("crime", offset(0, 0), 150.0, 24 * 10,
                                                        30, clock.now())[1])["id"]
           for _ in range(3)]
    recent = broker.requests.submit(police, request_draft("crime", offset(0, 0), 150.0, 24 * 2,
                                                          30, clock.now())[1])["id"]
    report = broker.policies.replay(SHELL, shorter_lookback(7), *EVER, examples=2)
    assert report["draft"]["version"] == "1.3.0-draft"
    assert report["diff"] == [
        {"path": "version", "change": "changed", "old": "1.2.0", "new": "1.3.0-draft"},
        {"path": "bases[crime_investigation].max_lookback_days", "change": "changed",
         "old": 30, "new": 7}]
    assert report["changed"] == 3 and report["unchanged"] == 0
    (change,) = report["changes"]
    assert change | {"change": "granted→denied", "count": 3,
                     "by_legal_basis": {"crime_investigation": 3},
                     "by_reason": {"window_lookback": 3}} == change
    assert len(change["examples"]) == 2 and set(change["examples"]) <= set(old)
    # the recent one keeps its grant, but its look-back reason now names 7 days
    assert report["reasons_changed"] == 1 and recent not in change["examples"]


def test_review_to_auto_and_back_are_told_apart(broker, clock):
    broker.cameras.upsert(SHELL, [camera("spot", offset(0, 0), 50.0)])
    officer = actor(Role.PRIVACY_OFFICER)
    court = request_draft("court", offset(0, 0), 100.0, 3, 30, clock.now())[1]
    pending = broker.requests.submit(officer, court)
    broker.reviews.review(actor(Role.PRIVACY_OFFICER, client_id="second"), UUID(pending["id"]),
                          approve=False, reason="not needed")
    broker.requests.submit(officer, court)
    head, court_basis = ACTIVE_TOML.split('id = "court_proceedings"', 1)
    court_basis = court_basis.replace('decision = "review"', 'decision = "auto_grant"', 1)
    auto = head + 'id = "court_proceedings"' + court_basis.replace(
        "review_deadline_days = 10\n", "", 1)
    assert auto != ACTIVE_TOML
    report = broker.policies.replay(SHELL, auto, *EVER)
    (change,) = report["changes"]
    assert (change["change"], change["count"], change["by_reason"]) == (
        "review→auto", 2, {"decision": 2})


def test_requests_whose_personal_data_was_erased_are_not_replayable(broker, clock):
    broker.cameras.upsert(SHELL, [camera("spot", offset(0, 0), 50.0)])
    broker.requests.submit(actor(Role.POLICE),
                           request_draft("crime", offset(0, 0), 150.0, 1, 30, clock.now())[1])
    clock.advance(timedelta(days=broker.policy.record_retention_days + 1))
    broker.requests.submit(actor(Role.POLICE),
                           request_draft("crime", offset(0, 0), 150.0, 1, 30, clock.now())[1])
    assert broker.sweeps.erase_personal_data() == 1
    report = broker.policies.replay(SHELL, ACTIVE_TOML, T0 - timedelta(days=1),
                                    clock.now() + timedelta(days=1))
    assert report["requests"] == 2 and report["replayed"] == 1
    assert report["not_replayable"] == {"personal_data_erased": 1, "undecided": 0}


def test_who_may_replay_and_what_a_draft_must_be(broker):
    for role in (Role.POLICE, Role.OPERATOR, Role.CITIZEN_PORTAL):
        with pytest.raises(Forbidden):
            broker.policies.replay(actor(role), ACTIVE_TOML)
    assert broker.policies.replay(actor(Role.AUDITOR), ACTIVE_TOML)["requests"] == 0
    with pytest.raises(InvalidInput, match="draft pack is invalid"):
        broker.policies.replay(SHELL, ACTIVE_TOML.replace("max_radius_m = 500", "max_radius_m = -1"))
    with pytest.raises(InvalidInput):
        broker.policies.replay(SHELL, "not toml [")
    with pytest.raises(InvalidInput):
        broker.policies.replay(SHELL, ACTIVE_TOML, T0, T0)


def test_the_timeline_index_finds_what_a_scan_finds_anywhere_on_earth():
    """The in-memory registry answers ``haversine <= radius + coverage`` exactly, for narrow
    cameras and drone stations, at the antimeridian and near the poles."""
    from types import SimpleNamespace

    from hypothesis import strategies as st

    from broker.application.replay import CameraTimeline
    from broker.common.geo import haversine_m

    regions = st.sampled_from([(36.35, 127.38), (0.0, 179.99), (-0.0, -179.99), (89.95, 10.0),
                               (-89.99, -120.0), (60.0, 0.0)])

    @settings(max_examples=60, deadline=None)
    @given(region=regions, data=st.data())
    def check(region, data):
        near = st.tuples(st.floats(-0.02, 0.02), st.floats(-0.05, 0.05))
        cameras = data.draw(st.lists(st.tuples(near, st.sampled_from([5.0, 50.0, 200.0, 450.0,
                                                                      2000.0, 5000.0])),
                                     max_size=40))
        history = []
        for i, ((dlat, dlon), coverage) in enumerate(cameras):
            lat = max(-90.0, min(90.0, region[0] + dlat))
            lon = (region[1] + dlon + 180.0) % 360.0 - 180.0
            history.append(SimpleNamespace(position=i + 1, camera_id=f"c{i}", lat=lat, lon=lon,
                                           coverage_m=coverage, status="active"))
        gone = data.draw(st.sets(st.integers(0, max(0, len(history) - 1))))
        history += [SimpleNamespace(**{**vars(history[i]), "position": len(history) + n + 1,
                                       "status": "decommissioned"})
                    for n, i in enumerate(sorted(gone)) if i < len(cameras)]
        timeline = CameraTimeline(history)
        timeline.advance(10**9)
        active = [h for h in history[:len(cameras)] if int(h.camera_id[1:]) not in gone]
        for _ in range(5):
            dlat, dlon = data.draw(near)
            lat = max(-90.0, min(90.0, region[0] + dlat))
            lon = (region[1] + dlon + 180.0) % 360.0 - 180.0
            radius = data.draw(st.sampled_from([1.0, 100.0, 500.0, 1000.0]))
            expected = {h.camera_id for h in active
                        if haversine_m(lat, lon, h.lat, h.lon) <= radius + h.coverage_m}
            assert {s.camera_id for s in timeline.sites(lat, lon, radius)} == expected

    check()


def test_judging_in_worker_processes_gives_the_same_answer(broker, clock, monkeypatch):
    """Large periods are judged in one process per core; the answer does not depend on it."""
    from broker.application import replay as replays
    from broker.application.replay import replay

    monkeypatch.setattr(replays, "PAGE", 2)  # six pages, taken by two workers in turn
    from broker.policy import pack_from_toml

    broker.cameras.upsert(SHELL, [camera(f"spot-{i}", offset(0, 100 * i), 50.0) for i in range(3)])
    police = actor(Role.POLICE)
    for i in range(12):
        if i == 6:
            broker.cameras.upsert(SHELL, [camera("spot-1", offset(900, 0), 50.0)])
        clock.advance(timedelta(hours=7))
        broker.requests.submit(police, request_draft("crime", offset(0, 90 * (i % 4)), 80.0,
                                                     24 * (i % 12), 30, clock.now())[1])
    draft = pack_from_toml(shorter_lookback(7))
    window = (T0 - timedelta(days=1), clock.now() + timedelta(days=1))
    alone = replay(broker.ctx, draft, *window, examples=2, workers=1)
    with_workers = replay(broker.ctx, draft, *window, examples=2, workers=2)
    assert alone["changed"] > 0 and alone["reproduced"]["cameras"] == 12
    assert {**alone, "seconds": 0} == {**with_workers, "seconds": 0}
