"""A privacy officer reviews a citizen's masked copy in the console before it is released:
the queue, a frame with its boxes, a manual box added and removed, the sign-off; nothing
reaches the citizen before it, and only privacy officers see these pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from broker.entrypoints.api.main import create_app
from broker.readmodel.audit_query import AuditFilter
from tests.conftest import SHELL
from tests.web.conftest import csrf_of, sign_in
from tests.web.flows import file_through_portal, real_footage


@pytest.fixture
def citizen(broker):
    with TestClient(create_app(broker), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def granted_and_drafted(web, citizen, broker, officer, tmp_path) -> tuple[str, str, str]:
    """A citizen's request filed, approved in the console, and drafted by the job: the request
    id, its clip and the officer's CSRF token."""
    footage = real_footage(broker, tmp_path)
    request_id, _ = file_through_portal(citizen)
    csrf = sign_in(web, broker, officer)
    decided = web.post(f"/console/reviews/{request_id}", data={
        "csrf_token": csrf, "decision": "approve", "reason": "the claimant's own collision"})
    assert decided.status_code == 303
    assert broker.redactions.run() >= 1
    return request_id, footage["clip"], csrf


def test_review_a_masked_copy_add_a_box_and_sign_it_off(web, citizen, broker, officer, models,
                                                         tmp_path):
    request_id, clip, csrf = granted_and_drafted(web, citizen, broker, officer, tmp_path)
    queue = web.get("/console/redactions")
    assert queue.status_code == 200 and f"/console/redactions/{request_id}" in queue.text
    sheet = web.get(f"/console/redactions/{request_id}", params={"frame": 2})
    assert sheet.status_code == 200 and 'id="tracks"' in sheet.text and 'id="approve-form"' in sheet.text
    picture = web.get(f"/console/redactions/{request_id}/clips/{clip}/frames/2")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    assert picture.content[:2] == b"\xff\xd8"
    assert web.get(f"/console/redactions/{request_id}/clips/{clip}/frames/999").status_code == 422

    box = {"csrf_token": csrf, "action": "add", "x": "10", "y": "20", "w": "40", "h": "30",
           "from_frame": "0", "to_frame": "3", "frame": "2", "note": "a reflection in the window"}
    added = web.post(f"/console/redactions/{request_id}/clips/{clip}", data=box)
    assert added.status_code == 303 and added.headers["location"].endswith(f"clip={clip}&frame=2")
    view = broker.redactions.view(SHELL, request_id=_uuid(request_id))
    assert [(m["id"], m["w"], m["to_frame"]) for m in view["corrections"]["manual"][clip]] == [
        ("manual-1", 40.0, 3)]
    assert "manual-1" in web.get(f"/console/redactions/{request_id}", params={"clip": clip}).text
    boxes = broker.redactions.boxes(SHELL, _uuid(request_id), _uuid(clip), 2)["boxes"]
    assert {"track": "manual-1", "kind": "manual", "x": 10.0, "y": 20.0, "w": 40.0, "h": 30.0,
            "kept": False} in boxes

    bad = web.post(f"/console/redactions/{request_id}/clips/{clip}", data={**box, "w": "0"})
    assert bad.status_code == 422
    beyond = web.post(f"/console/redactions/{request_id}/clips/{clip}", data={**box, "to_frame": "999"})
    assert beyond.status_code == 422
    forged = web.post(f"/console/redactions/{request_id}/clips/{clip}", data={**box, "csrf_token": "x"})
    assert forged.status_code == 403
    # Not an own-image request: the requester's face cannot be kept visible.
    kept = web.post(f"/console/redactions/{request_id}/clips/{clip}",
                    data={"csrf_token": csrf, "action": "keep", "track": "face-1"})
    assert kept.status_code in (409, 422)
    removed = web.post(f"/console/redactions/{request_id}/clips/{clip}",
                       data={"csrf_token": csrf, "action": "remove", "track": "manual-1"})
    assert removed.status_code == 303
    assert broker.redactions.view(SHELL, _uuid(request_id))["corrections"]["manual"].get(clip) in (None, [])

    status = citizen.get("/portal/status")
    assert 'id="download"' not in status.text  # nothing before the sign-off
    signed = web.post(f"/console/redactions/{request_id}/approval",
                      data={"csrf_token": csrf, "note": "every face and plate covered"})
    assert signed.status_code == 303
    assert broker.redactions.run() >= 1  # the render
    done = web.get(f"/console/redactions/{request_id}")
    assert 'id="approved"' in done.text and "every face and plate covered" in done.text
    assert 'id="approve-form"' not in done.text
    approved = broker.oversight.audit_events(
        SHELL, AuditFilter(request_id=request_id, event_type="Redaction.Approved"))["items"]
    assert [e["actor"]["client_id"] for e in approved] == [officer.actor_id]
    assert 'src="/portal/delivery/clips/1"' in citizen.get("/portal/status").text


def test_only_privacy_officers_see_masked_copies(web, broker, auditor):
    sign_in(web, broker, auditor)
    assert web.get("/console/redactions").status_code == 403


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)


def test_the_queue_says_when_nothing_waits(web, broker, officer):
    sign_in(web, broker, officer)
    page = web.get("/console/redactions")  # the Korean pack: Korean pages
    assert page.status_code == 200 and "검토를 기다리는 가림 처리 사본이 없습니다." in page.text
    assert csrf_of(page.text)
