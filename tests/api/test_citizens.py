"""A citizen's insurance request: filed, reviewed, then masked by the redaction workflow."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.helpers import INCIDENT, add_cameras
from tests.api.test_auth import assert_problem
from tests.conftest import SHELL, T0
from tests.support.videos import tiny_video


def citizen_body(**overrides):
    body = {
        "reason": "insurance_claim",
        "requester": {"name": "김민준", "contact": "010-1234-5678"},
        "identity_proof": "portal-idv-77812",
        "claim_reference": "삼성화재-2026-0042",
        "incident_kind": "rear-end collision",
        "location": INCIDENT,
        "occurred_at": (T0 - timedelta(minutes=30)).isoformat(),
        "window": {"start": (T0 - timedelta(minutes=40)).isoformat(),
                   "end": (T0 - timedelta(minutes=20)).isoformat()},
        "radius_m": 50,
        "description": "my car was hit at the crossing",
    }
    body.update(overrides)
    return body


@pytest.fixture
def footage(broker):
    """A real (tiny, twelve-frame) H.264 clip in scope; tests/redaction/ mask real scenes."""
    camera = add_cameras(broker, count=1)[0]
    clip, _ = broker.clips.ingest(SHELL, camera_id=UUID(camera), start=T0 - timedelta(minutes=35),
                                  end=T0 - timedelta(minutes=34),
                                  chunks=[tiny_video(frames=12, side=64)])
    return {"camera": camera, "clip": clip["id"]}


def second_officer(broker):
    _, key = broker.clients.register(SHELL, name="reviewer", role="privacy_officer", agency="대전광역시")
    return bearer(key)


def test_file_review_and_the_masked_copy_waits_for_its_redaction(api, broker, keys, footage):
    """Approval starts the redaction job; nothing leaves before a privacy officer signs the draft
    off (tests/redaction/ follow it to the delivered copy)."""
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    filed = api.post("/v1/citizen-requests", json=citizen_body(), headers=portal)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    token = body["access_token"]
    assert body["status"] == "pending_review"
    assert body["review_deadline"] == (T0 + timedelta(days=10)).isoformat().replace("+00:00", "Z")
    own = {**portal, "X-Access-Token": token}
    assert_problem(api.get(f"/v1/citizen-requests/{body['id']}/delivery", headers=own), 403)

    officer = bearer(keys[Role.PRIVACY_OFFICER])
    queue = api.get("/v1/reviews", headers=officer).json()["items"]
    assert [item["id"] for item in queue] == [body["id"]]
    assert queue[0]["citizen"]["requester_name"] == "김민준"
    approved = api.post(f"/v1/reviews/{body['id']}", headers=officer,
                        json={"decision": "approve", "reason": "requester's car is in view"})
    assert approved.json()["status"] == "granted", approved.text

    seen = api.get(f"/v1/citizen-requests/{body['id']}", headers=own).json()
    assert seen["status"] == "granted" and seen["delivery"]["masked"] is True
    assert seen["delivery"]["state"] == "preparing" and seen["delivery"]["frames_total"] == 12
    waiting = assert_problem(api.get(f"/v1/citizen-requests/{body['id']}/delivery", headers=own), 409)
    assert "being prepared" in waiting["detail"]
    redaction = api.get(f"/v1/redactions/{body['id']}", headers=officer).json()
    assert redaction["status"] == "queued" and [c["clip_id"] for c in redaction["clips"]] == [footage["clip"]]

    trail = api.get("/v1/audit/events", params={"request_id": body["id"]}, headers=officer).json()
    types = [item["event_type"] for item in trail["items"]]
    assert types[:3] == ["FootageRequest.Submitted", "FootageRequest.Decided",
                         "FootageRequest.AccessTokenIssued"]
    assert "FootageRequest.Reviewed" in types and types[-1] == "Redaction.Requested"
    assert "FootageRequest.Delivered" not in types


def test_denial_reason_and_appeal_reach_the_citizen(api, broker, keys, footage):
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    filed = api.post("/v1/citizen-requests", json=citizen_body(reason="own_image"), headers=portal).json()
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    api.post(f"/v1/reviews/{filed['id']}", headers=officer,
             json={"decision": "deny", "reason": "the requester does not appear in this footage"})
    seen = api.get(f"/v1/citizen-requests/{filed['id']}",
                   headers={**portal, "X-Access-Token": filed["access_token"]}).json()
    assert seen["status"] == "denied"
    assert seen["review_reason"] == "the requester does not appear in this footage"
    assert any("does not appear" in reason for reason in seen["reasons"])
    assert "행정심판" in seen["appeal"]


def test_policy_denials_are_explained_at_once(api, keys):
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    too_wide = api.post("/v1/citizen-requests", json=citizen_body(radius_m=900), headers=portal).json()
    assert too_wide["status"] == "denied"
    assert any("radius" in reason for reason in too_wide["reasons"])
    assert too_wide["appeal"]


def test_one_token_cannot_read_another_request(api, broker, keys, footage):
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    first = api.post("/v1/citizen-requests", json=citizen_body(), headers=portal).json()
    second = api.post("/v1/citizen-requests", json=citizen_body(), headers=portal).json()
    crossed = {**portal, "X-Access-Token": first["access_token"]}
    assert_problem(api.get(f"/v1/citizen-requests/{second['id']}", headers=crossed), 404)
    assert_problem(api.get(f"/v1/citizen-requests/{first['id']}",
                           headers={**portal, "X-Access-Token": "x" * 43}), 404)
    assert api.get(f"/v1/citizen-requests/{first['id']}", headers=portal).status_code == 422
    _, other_portal = broker.clients.register(SHELL, name="other", role="citizen_portal", agency="세종")
    assert_problem(api.get(f"/v1/citizen-requests/{first['id']}",
                           headers={**bearer(other_portal), "X-Access-Token": first["access_token"]}), 404)
    assert_problem(api.post("/v1/citizen-requests", json=citizen_body(),
                            headers=bearer(keys[Role.POLICE])), 403)


def test_withdrawn_requests_are_not_reviewed_or_delivered(api, broker, keys, footage):
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    filed = api.post("/v1/citizen-requests", json=citizen_body(), headers=portal).json()
    own = {**portal, "X-Access-Token": filed["access_token"]}
    withdrawn = api.post(f"/v1/citizen-requests/{filed['id']}/withdraw", headers=own).json()
    assert withdrawn["status"] == "withdrawn"
    review = api.post(f"/v1/reviews/{filed['id']}", headers=bearer(keys[Role.PRIVACY_OFFICER]),
                      json={"decision": "approve", "reason": "ok"})
    assert_problem(review, 409)
    assert_problem(api.get(f"/v1/citizen-requests/{filed['id']}/delivery", headers=own), 403)


def test_an_approval_may_narrow_but_never_widen_the_scope(api, broker, keys, footage):
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    filed = api.post("/v1/citizen-requests", json=citizen_body(), headers=portal).json()
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    wider = {"decision": "approve", "reason": "ok",
             "scope": {"window": {"start": (T0 - timedelta(hours=5)).isoformat(),
                                  "end": (T0 - timedelta(minutes=20)).isoformat()}}}
    assert_problem(api.post(f"/v1/reviews/{filed['id']}", headers=officer, json=wider), 422)
    narrower = {"decision": "approve", "reason": "only the crash",
                "scope": {"window": {"start": (T0 - timedelta(minutes=36)).isoformat(),
                                     "end": (T0 - timedelta(minutes=33)).isoformat()}}}
    granted = api.post(f"/v1/reviews/{filed['id']}", headers=officer, json=narrower).json()
    assert granted["grant"]["window"]["start"].startswith((T0 - timedelta(minutes=36)).isoformat()[:16])
    assert json.dumps(granted).count("review_scope") == 1


def test_footage_that_does_not_decode_is_refused_at_ingest(api, broker, keys):
    camera = add_cameras(broker, count=1)[0]
    refused = api.post("/v1/clips", content=b"not a video at all", headers=bearer(keys[Role.OPERATOR]),
                       params={"camera_id": camera, "start": (T0 - timedelta(minutes=35)).isoformat(),
                               "end": (T0 - timedelta(minutes=34)).isoformat()})
    problem = assert_problem(refused, 422)
    assert "not usable video" in problem["detail"] and "scratch" not in problem["detail"]
    assert not list(broker.vault.blobs.iter_ids())
    assert sum(broker.vault.keystore.count_by_kek_version().values()) == 0
    assert not any(Path(broker.settings.data_dir / "scratch").rglob("*.*"))
    topics = [n.topic for n in broker.app.recorder.select_notifications(start=1, limit=1000)]
    assert not any(t.endswith("Clip.Ingested") for t in topics)
