"""Grant expiry and review deadlines are recorded as events, once, and never grant anything."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, court_request, crime_request


def topics(broker, request_id: str) -> list[str]:
    return [e.topic.rsplit(".", 1)[1] for e in broker.app.recorder.select_events(UUID(request_id))]


def test_grants_past_their_lifetime_expire_once(api, broker, keys, clock):
    add_cameras(broker)
    police = bearer(keys[Role.POLICE])
    request = api.post("/v1/requests", json=crime_request(), headers=police).json()
    assert broker.sweeps.expire_grants() == 0
    clock.advance(timedelta(hours=72))
    assert broker.sweeps.expire_grants() == 1
    assert broker.sweeps.expire_grants() == 0
    assert api.get(f"/v1/requests/{request['id']}", headers=police).json()["status"] == "expired"
    assert topics(broker, request["id"]).count("Expired") == 1


def test_overdue_reviews_are_flagged_for_officers_and_stay_pending(api, broker, keys, clock):
    add_cameras(broker)
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    filed = api.post("/v1/requests", json=court_request(), headers=officer).json()
    clock.advance(timedelta(days=10))
    assert broker.sweeps.flag_overdue_reviews() == 0  # the deadline itself is not yet past
    clock.advance(timedelta(minutes=1))
    assert broker.sweeps.flag_overdue_reviews() == 1
    assert broker.sweeps.flag_overdue_reviews() == 0
    queued = api.get("/v1/reviews", headers=officer).json()["items"][0]
    assert queued["status"] == "pending_review" and queued["overdue"] is True
    assert queued["review_overdue_since"] is not None
    assert "Granted" not in topics(broker, filed["id"])
    assert topics(broker, filed["id"])[-1] == "ReviewOverdue"
