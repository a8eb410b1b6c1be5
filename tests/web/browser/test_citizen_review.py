"""A citizen's request in Chromium from start to end: filed on the portal page (the place picked
on the map), reviewed by a privacy officer who signs in with TOTP and writes a reason, its
masked copy checked frame by frame (a box added by hand) and signed off in the browser, and the
released masked video played in the citizen's page, which spends no download; the officer
exports the ledger. Each page passes axe-core."""

from __future__ import annotations

from datetime import timedelta

import openpyxl

from broker.readmodel.audit_query import AuditFilter
from tests.conftest import SHELL, T0
from tests.web.browser.steps import play, sign_in, sign_out
from tests.web.flows import local, real_footage


def test_filed_reviewed_released_and_played(pages, broker, officer, models, tmp_path):
    real_footage(broker, tmp_path)
    citizen = pages.person()
    citizen.goto("/portal/")
    pages.check(citizen, "portal")
    citizen.fill("#name", "김민준")
    citizen.fill("#contact", "010-1234-5678")
    citizen.fill("#identity_proof", "주민등록증 1234")
    citizen.fill("#claim_reference", "삼성화재-2026-0042")
    citizen.fill("#incident_kind", "rear-end collision")
    citizen.fill("#occurred_at", local(T0 - timedelta(minutes=30)))
    citizen.fill("#start", local(T0 - timedelta(minutes=40)))
    citizen.fill("#end", local(T0 - timedelta(minutes=20)))
    before = citizen.input_value("#lat"), citizen.input_value("#lon")
    citizen.click("#map", position={"x": 120, "y": 160})  # the map picker writes the coordinates
    assert (citizen.input_value("#lat"), citizen.input_value("#lon")) != before
    citizen.fill("#lat", "36.3504")  # and typing them works too: back to the incident
    citizen.fill("#lon", "127.3845")
    citizen.fill("#radius_m", "50")
    citizen.click("#citizen-form button[type=submit]")
    citizen.wait_for_selector("#f-token")
    request_id, token = citizen.input_value("#f-id"), citizen.input_value("#f-token")
    assert request_id and len(token) >= 20
    pages.check(citizen, "portal-filed")

    officer_page = pages.person()
    sign_in(officer_page, broker, officer)
    officer_page.click(f"a[href='/console/reviews/{request_id}']")
    officer_page.wait_for_selector("#review-form")
    pages.check(officer_page, "review")
    previewed = play(officer_page, "#preview-1")
    assert previewed["error"] is None and previewed["width"] > 0 and previewed["time"] > 0, previewed
    officer_page.check("#review-form input[value=approve]")
    officer_page.fill("#reason", "the claimant's own collision, in scope")
    officer_page.click("#review-form button[type=submit]")
    officer_page.wait_for_load_state()
    assert officer_page.locator("#review-form").count() == 0
    officer_page.goto("/console/ledger")
    assert "cam 0" in officer_page.inner_text("main")  # the camera by name, not only its id
    with officer_page.expect_download() as downloading:
        officer_page.click("#ledger-xlsx")
    saved = tmp_path / "ledger.xlsx"
    downloading.value.save_as(saved)
    sheet = openpyxl.load_workbook(saved, read_only=True).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert request_id in cells and any("cam 0" in c for c in cells)

    assert broker.redactions.run() >= 1  # the background job drafts each clip's boxes
    officer_page.goto("/console/redactions")
    pages.check(officer_page, "redactions")
    officer_page.click(f"a[href='/console/redactions/{request_id}']")
    officer_page.click("table a[href*='?clip=']")  # the first clip, frame 0, boxes drawn
    officer_page.wait_for_selector("#manual-box")
    drawn = officer_page.evaluate("""() => {
        const picture = document.querySelector('#frame-picture');
        return picture.decode().then(() => picture.naturalWidth);
    }""")
    assert drawn > 0
    pages.check(officer_page, "redaction")
    officer_page.fill("#box-x", "10")
    officer_page.fill("#box-y", "12")
    officer_page.fill("#box-w", "40")
    officer_page.fill("#box-h", "30")
    officer_page.fill("#box-note", "a reflection the detector missed")
    officer_page.click("#manual-box button[type=submit]")
    officer_page.wait_for_selector("#tracks td:has-text('manual')")
    officer_page.fill("#approve-note", "every face and plate masked; one box added by hand")
    officer_page.click("#approve-form button[type=submit]")
    officer_page.wait_for_selector("#approved")
    sign_out(officer_page)
    assert broker.redactions.run() >= 1  # the job renders the signed-off copy
    follower = pages.person()  # another device: the request number and token are enough
    follower.goto("/portal/")
    follower.fill("#request_id", request_id)
    follower.fill("#token", token)
    follower.click("#follow-form button[type=submit]")
    follower.wait_for_selector("#clip-1")
    assert "the claimant's own collision" in follower.inner_text("main")
    played = play(follower, "#clip-1")
    assert played["error"] is None and played["width"] > 0 and played["time"] > 0, played
    pages.check(follower, "portal-status")
    trail = broker.oversight.audit_events(SHELL, AuditFilter(request_id=request_id))["items"]
    kinds = [item["event_type"] for item in trail]
    assert "Redaction.Watched" in kinds and "Redaction.Downloaded" not in kinds
    signed_off = [item for item in trail if item["event_type"] in ("Redaction.Corrected",
                                                                    "Redaction.Approved")]
    assert [item["actor"]["client_id"] for item in signed_off] == [officer.actor_id] * 2
    follower.reload()
    assert "5" in follower.inner_text("#downloads-left")  # watching spent no download
