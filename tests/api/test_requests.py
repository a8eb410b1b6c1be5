from __future__ import annotations

from broker.domain.roles import Role
from broker.policy import pack_digest
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, court_request, crime_request, window
from tests.api.test_auth import assert_problem
from tests.conftest import SHELL


def topics_of(broker, aggregate_id: str) -> list[str]:
    from uuid import UUID

    return [e.topic for e in broker.app.recorder.select_events(UUID(aggregate_id))]


def test_police_crime_request_is_granted_at_once_with_a_recorded_decision(api, broker, keys):
    cameras = add_cameras(broker)
    response = api.post("/v1/requests", json=crime_request(), headers=bearer(keys[Role.POLICE]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "granted"
    decision = body["decision"]
    assert decision["outcome"] == "granted"
    assert decision["pack_id"] == "kr-pipa"
    assert decision["pack_digest"] == pack_digest(broker.policy)
    assert decision["input_digest"].startswith("sha256:")
    assert all(reason["passed"] for reason in decision["reasons"])
    grant = body["grant"]
    # 150 m radius + 50 m coverage reaches cameras 0..3 (0, 55, 111, 166 m), not 4 (222 m).
    assert grant["camera_ids"] == cameras[:4]
    assert grant["status"] == "active"
    assert topics_of(broker, body["id"]) == [
        "footage-broker:FootageRequest.Submitted",
        "footage-broker:FootageRequest.Decided",
        "footage-broker:FootageRequest.Granted",
    ]


def test_role_not_allowed_by_the_basis_is_denied_with_reasons(api, broker, keys):
    add_cameras(broker)
    body = api.post("/v1/requests", json=crime_request(), headers=bearer(keys[Role.FIRE])).json()
    assert body["status"] == "denied"
    assert body["grant"] is None
    failed = [r for r in body["decision"]["reasons"] if not r["passed"]]
    assert [r["rule"] for r in failed] == ["role_allowed"]


def test_unknown_basis_and_over_limit_radius_are_denials_not_errors(api, broker, keys):
    add_cameras(broker)
    police = bearer(keys[Role.POLICE])
    unknown = api.post("/v1/requests", json=crime_request(legal_basis="curiosity"), headers=police)
    assert unknown.status_code == 201 and unknown.json()["status"] == "denied"
    wide = api.post("/v1/requests", json=crime_request(radius_m=5000), headers=police).json()
    assert wide["status"] == "denied"
    assert any(r["rule"] == "radius_limit" and not r["passed"] for r in wide["decision"]["reasons"])


def test_malformed_request_bodies_are_422(api, keys):
    police = bearer(keys[Role.POLICE])
    for body in (crime_request(radius_m=-1), crime_request(window={"start": "yesterday"}),
                 crime_request(mode="telepathy"), crime_request(extra=1),
                 crime_request(window={"start": "2026-11-20T07:00:00", "end": "2026-11-20T08:00:00"})):
        assert_problem(api.post("/v1/requests", json=body, headers=police), 422)


def test_requests_are_visible_only_to_their_requester_and_oversight(api, broker, keys):
    add_cameras(broker)
    created = api.post("/v1/requests", json=crime_request(), headers=bearer(keys[Role.POLICE])).json()
    _, other_police = broker.clients.register(SHELL, name="other", role="police", agency="충남경찰청")
    assert_problem(api.get(f"/v1/requests/{created['id']}", headers=bearer(other_police)), 404)
    for role in (Role.PRIVACY_OFFICER, Role.AUDITOR, Role.POLICE):
        assert api.get(f"/v1/requests/{created['id']}", headers=bearer(keys[role])).status_code == 200
    assert_problem(api.get(f"/v1/requests/{created['id']}", headers=bearer(keys[Role.FIRE])), 404)


def test_review_basis_stays_pending_until_a_second_officer_approves(api, broker, keys):
    cameras = add_cameras(broker)
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    filed = api.post("/v1/requests", json=court_request(), headers=officer).json()
    assert filed["status"] == "pending_review" and filed["grant"] is None
    queue = api.get("/v1/reviews", headers=officer).json()["items"]
    assert [item["id"] for item in queue] == [filed["id"]]
    assert queue[0]["overdue"] is False
    # Nobody reviews their own request: not to approve it, not to deny it.
    for decision in ("approve", "deny"):
        own = api.post(f"/v1/reviews/{filed['id']}", json={"decision": decision, "reason": "ok"},
                       headers=officer)
        assert_problem(own, 403)
    _, second = broker.clients.register(SHELL, name="second officer", role="privacy_officer",
                                           agency="대전광역시")
    approved = api.post(f"/v1/reviews/{filed['id']}",
                        json={"decision": "approve", "reason": "court order 2026가합123"},
                        headers=bearer(second)).json()
    assert approved["status"] == "granted"
    assert set(approved["grant"]["camera_ids"]) <= set(cameras)
    assert approved["decision"]["review"]["approved"] is True
    assert api.get("/v1/reviews", headers=officer).json()["items"] == []
    again = api.post(f"/v1/reviews/{filed['id']}", json={"decision": "deny", "reason": "x"},
                     headers=bearer(second))
    assert_problem(again, 409)


def test_denied_review_reaches_the_requester_with_the_reason(api, broker, keys):
    add_cameras(broker)
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    filed = api.post("/v1/requests", json=court_request(), headers=officer).json()
    _, second = broker.clients.register(SHELL, name="second", role="privacy_officer", agency="대전")
    denied = api.post(f"/v1/reviews/{filed['id']}",
                      json={"decision": "deny", "reason": "no court order attached"},
                      headers=bearer(second)).json()
    assert denied["status"] == "denied"
    seen = api.get(f"/v1/requests/{filed['id']}", headers=officer).json()
    assert any("no court order attached" in r["message"] for r in seen["decision"]["reasons"])


def test_only_privacy_officers_review(api, broker, keys):
    for role in (Role.POLICE, Role.AUDITOR, Role.OPERATOR):
        response = api.post("/v1/reviews/00000000-0000-0000-0000-000000000001",
                            json={"decision": "approve", "reason": "x"}, headers=bearer(keys[role]))
        assert_problem(response, 403)


def test_close_ends_the_grant_and_releases_the_case_holds(api, broker, keys):
    cameras = add_cameras(broker)
    police = bearer(keys[Role.POLICE])
    request = api.post("/v1/requests", json=crime_request(), headers=police).json()
    hold = api.post("/v1/holds", json={
        "case_reference": "112-2026-000123", "camera_ids": cameras[:2],
        "window": request["grant"]["window"], "request_id": request["id"],
        "reason": "evidence for prosecution"}, headers=police)
    assert hold.status_code == 201, hold.text
    assert hold.json()["status"] == "active"
    closed = api.post(f"/v1/requests/{request['id']}/close", json={"reason": "case closed"},
                      headers=police).json()
    assert closed["status"] == "closed"
    assert api.get(f"/v1/holds/{hold.json()['id']}", headers=police).json()["status"] == "released"
    assert topics_of(broker, request["id"])[-1] == "footage-broker:FootageRequest.Closed"
    assert_problem(api.post(f"/v1/requests/{request['id']}/close", headers=police), 409)


def test_holds_need_known_cameras_and_the_right_role(api, broker, keys):
    cameras = add_cameras(broker, count=1)
    body = {"case_reference": "c-1", "camera_ids": cameras, "reason": "x",
            "window": crime_request()["window"]}
    assert_problem(api.post("/v1/holds", json=body, headers=bearer(keys[Role.FIRE])), 403)
    unknown = dict(body, camera_ids=["00000000-0000-0000-0000-000000000009"])
    assert_problem(api.post("/v1/holds", json=unknown, headers=bearer(keys[Role.POLICE])), 404)
    placed = api.post("/v1/holds", json=body, headers=bearer(keys[Role.POLICE])).json()
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    released = api.request("DELETE", f"/v1/holds/{placed['id']}", headers=officer).json()
    assert released["status"] == "released"
    assert_problem(api.request("DELETE", f"/v1/holds/{placed['id']}", headers=officer), 409)


def test_the_answer_to_a_filing_is_what_a_later_read_gives(api, broker, keys):
    """The answer is rendered from the recorded aggregate, not the read model: it must agree."""
    add_cameras(broker)
    police = bearer(keys[Role.POLICE])
    for body in (crime_request(), crime_request(radius_m=5000),
                 crime_request(mode="live", legal_basis="imminent_danger",
                               window=window(start_hours_ago=0.5, end_hours_ago=-1))):
        answered = api.post("/v1/requests", json=body, headers=police)
        assert answered.status_code == 201, answered.text
        read = api.get(f"/v1/requests/{answered.json()['id']}", headers=police).json()
        first, later = answered.json(), read
        if first["grant"] and first["grant"].get("live_tokens"):
            # live tokens are issued per answer (a fresh 15 minutes each time)
            first["grant"].pop("live_tokens")
            later["grant"].pop("live_tokens")
        assert first == later
