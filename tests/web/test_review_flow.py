"""A citizen's request through the pages: filed on the portal page, reviewed by a privacy
officer who writes a reason, followed and downloaded by the citizen; the audit trail names
the officer and holds the reason. An auditor sees the case but cannot decide it."""

from __future__ import annotations

import io
import re
import zipfile
from uuid import UUID

import av
import pytest
from fastapi.testclient import TestClient

from broker.domain.roles import Role
from broker.entrypoints.api.main import create_app
from broker.readmodel.audit_query import AuditFilter
from tests.api.helpers import add_cameras
from tests.conftest import SHELL, actor
from tests.web.conftest import csrf_of, sign_in
from tests.web.flows import file_through_portal, real_footage, release_masked_copy


@pytest.fixture
def citizen(broker):
    with TestClient(create_app(broker), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def test_file_review_release_and_download(web, citizen, broker, officer, models, tmp_path):
    footage = real_footage(broker, tmp_path)
    request_id, token = file_through_portal(citizen)
    status = citizen.get("/portal/status")
    assert status.status_code == 200 and ("심사 대기" in status.text or "pending review" in status.text)

    csrf = sign_in(web, broker, officer)
    queue = web.get("/console/reviews")
    assert request_id in queue.text
    case = web.get(f"/console/reviews/{request_id}")
    assert case.status_code == 200 and 'id="review-form"' in case.text
    assert footage["camera"][:8] in case.text and "김민준" in case.text
    assert 'id="preview-1"' in case.text
    preview = web.get(f"/console/reviews/{request_id}/clips/1")
    assert preview.status_code == 200 and preview.headers["content-type"] == "video/mp4"
    watched_before = tmp_path / "preview.mp4"
    watched_before.write_bytes(preview.content)
    with av.open(str(watched_before)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert web.get(f"/console/reviews/{request_id}/clips/2").status_code == 404
    previewed = broker.oversight.audit_events(
        SHELL, AuditFilter(request_id=request_id, event_type="FootageRequest.Previewed"))["items"]
    assert [(e["actor"]["client_id"], e["clip_id"], e["camera_ids"]) for e in previewed] == [
        (officer.actor_id, footage["clip"], [footage["camera"]])]
    decided = web.post(f"/console/reviews/{request_id}", data={
        "csrf_token": csrf, "decision": "approve", "reason": "the claimant's own collision, in scope"})
    assert decided.status_code == 303

    trail = broker.oversight.audit_events(
        SHELL, AuditFilter(request_id=request_id, event_type="FootageRequest.Reviewed"))
    reviewed = trail["items"][0]
    assert reviewed["actor"]["client_id"] == officer.actor_id
    assert reviewed["actor"]["name"] == "Kim Minji" and reviewed["actor"]["role"] == "privacy_officer"
    assert reviewed["detail"]["reason"] == "the claimant's own collision, in scope"

    audit = web.get(f"/console/audit?request={request_id}")
    assert "Kim Minji" in audit.text and "the claimant&#39;s own collision" in audit.text
    assert "시민 (" in audit.text  # the citizen's filing: the citizen, through the portal
    reviewed_page = web.get(f"/console/reviews/{request_id}").text
    assert "Kim Minji" in reviewed_page and officer.actor_id not in reviewed_page  # a name, not an id

    release_masked_copy(broker, request_id)
    status = citizen.get("/portal/status")
    assert 'id="download"' in status.text and "the claimant&#39;s own collision" in status.text
    assert 'src="/portal/delivery/clips/1"' in status.text and "/clips/2" not in status.text
    watched = citizen.get("/portal/delivery/clips/1")
    assert watched.status_code == 200 and watched.headers["content-type"] == "video/mp4"
    played = tmp_path / "watched.mp4"
    played.write_bytes(watched.content)
    with av.open(str(played)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) >= 1
    assert citizen.get("/portal/delivery/clips/2").status_code == 404
    assert web.get("/portal/delivery/clips/1").status_code == 404  # another visitor: no token
    assert citizen.get("/portal/delivery/clips/1").content == watched.content  # replayed

    def trail(event_type: str) -> list[dict]:
        return broker.oversight.audit_events(
            SHELL, AuditFilter(request_id=request_id, event_type=event_type))["items"]

    # Playing in the page is recorded each time and spends no download; the first hand-over is
    # the ledger's one provision.
    assert [e["detail"]["n"] for e in trail("Redaction.Watched")] == [1, 2]
    assert trail("Redaction.Downloaded") == [] and len(trail("FootageRequest.Delivered")) == 1
    assert re.search(r'id="downloads-left">[^<]*\b5\b', citizen.get("/portal/status").text)
    delivered = citizen.get("/portal/delivery")
    assert delivered.status_code == 200
    assert [e["detail"]["n"] for e in trail("Redaction.Downloaded")] == [1]
    assert len(trail("FootageRequest.Delivered")) == 1
    shown = broker.redactions.view(actor(Role.PRIVACY_OFFICER), UUID(request_id))["delivery"]
    assert (shown["downloads"], shown["watches"]) == (1, 2)
    assert re.search(r'id="downloads-left">[^<]*\b4\b', citizen.get("/portal/status").text)
    with zipfile.ZipFile(io.BytesIO(delivered.content)) as package:
        assert "manifest.json" in package.namelist()
        assert any(name.endswith(".mp4") for name in package.namelist())
    assert token not in delivered.headers.get("content-disposition", "")


def test_the_token_is_needed_to_follow_and_another_visitor_sees_nothing(citizen, broker, web):
    request_id, token = file_through_portal(citizen)
    page = web.get("/portal/")
    wrong = web.post("/portal/follow", data={"csrf_token": csrf_of(page.text), "request_id": request_id,
                                             "token": token[:-2] + "xx"})
    assert wrong.status_code == 404
    assert web.get("/portal/status").status_code == 404
    right = web.post("/portal/follow", data={"csrf_token": csrf_of(page.text), "request_id": request_id,
                                             "token": token})
    assert right.status_code == 303 and web.get("/portal/status").status_code == 200


def test_an_auditor_sees_the_case_but_cannot_decide_it(web, citizen, broker, auditor):
    request_id, _ = file_through_portal(citizen)
    csrf = sign_in(web, broker, auditor)
    case = web.get(f"/console/reviews/{request_id}")
    assert case.status_code == 200 and 'id="review-form"' not in case.text
    refused = web.post(f"/console/reviews/{request_id}", data={
        "csrf_token": csrf, "decision": "approve", "reason": "not mine to give"})
    assert refused.status_code == 403 and "may not" in refused.text
    assert web.get("/console/reviews").status_code == 403
    assert web.get(f"/console/reviews/{request_id}/clips/1").status_code == 403
    assert web.get("/console/audit").status_code == 200


def test_an_officer_cannot_run_operator_pages_nor_an_operator_the_audit(web, broker, officer, operator):
    sign_in(web, broker, officer)
    assert web.get("/console/cameras/import").status_code == 200  # the form itself is harmless
    csrf = csrf_of(web.get("/console/cameras/import").text)
    refused = web.post("/console/cameras/import", data={"csrf_token": csrf},
                       files={"file": ("c.csv", b"x,y\n1,2\n", "text/csv")})
    assert refused.status_code == 403
    assert web.get("/console/clients").status_code == 403
    web.cookies.clear()
    sign_in(web, broker, operator)
    assert web.get("/console/audit").status_code == 403
    assert web.get("/console/ledger").status_code == 403


def test_the_form_states_the_packs_limits_and_its_defaults_fit_them(citizen, broker):
    """A citizen who keeps the form's times and radius is reviewed, not refused on the spot."""
    add_cameras(broker, count=1)
    page = citizen.get("/portal/")
    limits = broker.citizens.form_limits(actor(Role.CITIZEN_PORTAL))
    insurance = limits["reasons"]["insurance_claim"]
    assert f"최대 {insurance['max_window_minutes']}분" in page.text  # Korean by default (kr-pipa)
    defaults = dict(re.findall(r'id="(occurred_at|start|end|radius_m)"[^>]*value="([^"]+)"', page.text))
    assert set(defaults) == {"occurred_at", "start", "end", "radius_m"}
    filed = citizen.post("/portal/requests", data={
        "csrf_token": csrf_of(page.text), "reason": "insurance_claim", "name": "김민준",
        "contact": "010-1234-5678", "identity_proof": "주민등록증 1234",
        "claim_reference": "삼성화재-2026-0042", "incident_kind": "rear-end collision",
        "lat": "36.3504", "lon": "127.3845", "description": "", **defaults})
    assert filed.status_code == 200, filed.text
    request_id = dict(re.findall(r'id="(f-id)" readonly value="([^"]+)"', filed.text))["f-id"]
    row = broker.oversight.audit_events(SHELL, AuditFilter(
        request_id=request_id, event_type="FootageRequest.Decided"))["items"][0]
    assert row["outcome"] == "pending_review", row


def test_the_officer_narrows_the_scope_by_ticking_cameras_not_typing_ids(web, citizen, broker, officer):
    cameras = add_cameras(broker, count=2)  # 55 m apart: both cover the incident's 50 m
    request_id, _ = file_through_portal(citizen)
    sign_in(web, broker, officer)
    case = web.get(f"/console/reviews/{request_id}")
    assert f'name="keep-{cameras[1]}"' in case.text and f'name="keep-{cameras[0]}"' in case.text
    decided = web.post(f"/console/reviews/{request_id}", data={
        "csrf_token": csrf_of(case.text), "decision": "approve", "reason": "only the nearer camera",
        f"keep-{cameras[0]}": "on"})
    assert decided.status_code == 303, decided.text
    granted = broker.oversight.audit_events(SHELL, AuditFilter(
        request_id=request_id, event_type="FootageRequest.Granted"))["items"]
    assert [item["camera_ids"] for item in granted] == [[cameras[0]]]
