"""The console in Chromium: a privacy officer signs in with TOTP, goes through the dashboard,
audit search (filters, CSV export), ledger, chain and transparency report, and signs out; an
operator imports cameras, makes a client key (shown once, it works on the API) and revokes
it; an auditor reaches no officer action. Every page passes axe-core with no serious or
critical violation."""

from __future__ import annotations

import csv
import io

from broker.readmodel.audit_query import AuditFilter
from tests.api.helpers import add_cameras
from tests.conftest import SHELL
from tests.importers.samples import DAEJEON_CSV
from tests.web.browser.steps import sign_in, sign_out


def test_officer_pages_audit_search_and_csv_export(pages, broker, officer, tmp_path):
    add_cameras(broker, count=3)
    page = pages.person()
    page.goto("/console/")
    page.wait_for_url("**/console/login**")
    pages.check(page, "login")

    page.fill("#username", officer.username)
    page.fill("#password", officer.password)
    page.fill("#code", "000000" if officer.code(broker) != "000000" else "111111")
    page.click("#login-form button[type=submit]")
    assert page.locator("h1").count() == 1 and "/console/login" in page.url
    assert page.locator("#login-refused").is_visible()  # the form again, not a dead end
    assert page.input_value("#username") == officer.username
    pages.check(page, "login-refused")

    sign_in(page, broker, officer)
    assert officer.name in page.inner_text("header")
    pages.check(page, "dashboard")

    page.goto("/console/audit")
    pages.check(page, "audit")
    assert page.locator("#audit-filters").is_visible()
    page.select_option("#f-exclude", ["Camera.Registered"])
    with page.expect_response(lambda r: "partial=true" in r.url):
        page.click("#audit-filters button[type=submit]")
    rows = page.locator("table tbody tr")
    assert rows.count() >= 1
    texts = page.inner_text("table tbody")
    assert "Camera.Registered" not in texts
    with page.expect_download() as downloading:
        page.click("#export-csv")
    saved = tmp_path / "audit.csv"
    downloading.value.save_as(saved)
    exported = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert exported and all(row["event_type"] != "Camera.Registered" for row in exported)
    assert [row["actor_name"] for row in exported if row["actor_client_id"] == officer.actor_id]

    # A camera by the name people know it by; an unknown one is said, not swallowed.
    page.select_option("#f-exclude", [])
    page.fill("#f-camera", "cam 1")
    with page.expect_response(lambda r: "partial=true" in r.url):
        page.click("#audit-filters button[type=submit]")
    assert not page.locator("#notice").is_visible(), page.inner_text("#notice")
    assert page.locator("#audit-body tr").count() >= 1
    page.fill("#f-camera", "no such camera")
    with page.expect_response(lambda r: "partial=true" in r.url and r.status == 404):
        page.click("#audit-filters button[type=submit]")
    page.wait_for_selector("#notice:not([hidden])")
    assert "no such camera" in page.inner_text("#notice")
    pages.check(page, "audit-error")

    for path, name in (("/console/reviews", "reviews"), ("/console/ledger", "ledger"),
                       ("/console/chain", "chain"), ("/console/transparency", "transparency")):
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        pages.check(page, name)
    sign_out(page)
    assert page.goto("/console/audit") is not None and "/console/login" in page.url


def test_operator_imports_cameras_and_makes_and_revokes_a_client_key(pages, broker, operator, tmp_path,
                                                                     served):
    page = pages.person()
    sign_in(page, broker, operator)
    page.goto("/console/cameras/import")
    pages.check(page, "import")
    upload = tmp_path / "daejeon.csv"
    upload.write_text(DAEJEON_CSV + "13,broken row\r\n", encoding="utf-8")
    page.set_input_files("#file", str(upload))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result")
    assert page.inner_text("#created-count") == "20"  # one per camera of each row
    assert page.locator("#import-errors tbody tr").count() == 1
    pages.check(page, "import-report")
    registered = broker.oversight.audit_events(SHELL, AuditFilter(
        event_type="Camera.Registered"), limit=100)["items"]
    assert len(registered) == 20 and {e["actor"]["client_id"] for e in registered} == {
        operator.actor_id}  # every camera names the person who imported it

    page.goto("/console/cameras")
    assert page.locator("table tbody tr").count() >= 12
    pages.check(page, "cameras")
    page.locator("table tbody tr a").first.click()
    page.wait_for_url("**/console/cameras/*")
    pages.check(page, "camera")

    page.goto("/console/clients")
    pages.check(page, "clients")
    page.select_option("#c-role", "police")
    page.fill("#c-agency", "대전둔산경찰서")
    page.fill("#c-name", "Dunsan 112 dispatch")
    page.click("form[action='/console/clients'] button[type=submit]")
    page.wait_for_selector("#new-key")
    key = page.input_value("#key")
    pages.check(page, "client-created")
    api = page.request
    assert api.get(f"{served}/v1/policy", headers={"Authorization": f"Bearer {key}"}).status == 200
    page.goto("/console/clients")
    assert key not in page.content()  # shown once
    page.click("a[aria-label$='Dunsan 112 dispatch']")  # asked again, with the reason to record
    page.wait_for_selector("#revoke-form")
    pages.check(page, "client-revoke")
    assert api.get(f"{served}/v1/policy", headers={"Authorization": f"Bearer {key}"}).status == 200
    page.fill("#revoke-reason", "the dispatch system was replaced")
    page.click("#revoke-form button[type=submit]")
    page.wait_for_url("**/console/clients")
    assert page.locator("a[aria-label$='Dunsan 112 dispatch']").count() == 0
    revoked = broker.oversight.audit_events(SHELL, AuditFilter(event_type="Client.Revoked"))["items"]
    assert [(e["actor"]["client_id"], e["detail"]["reason"]) for e in revoked] == [
        (operator.actor_id, "the dispatch system was replaced")]
    assert api.get(f"{served}/v1/policy", headers={"Authorization": f"Bearer {key}"}).status == 401
    sign_out(page)


def test_an_auditor_reaches_no_officer_action(pages, broker, auditor):
    page = pages.person()
    sign_in(page, broker, auditor)
    refused = page.goto("/console/reviews")
    assert refused is not None and refused.status == 403
    pages.check(page, "forbidden")
    assert page.goto("/console/audit") is not None and page.locator("#audit-filters").is_visible()
    assert page.locator("#review-form").count() == 0


def test_a_forged_form_from_another_site_is_refused(pages, broker, officer, served):
    page = pages.person()
    sign_in(page, broker, officer)
    answer = page.request.post(f"{served}/console/logout", form={"csrf_token": "forged"})
    assert answer.status == 403
    page.goto("/console/")
    assert "/console/login" not in page.url


def test_keyboard_only_sign_in_skip_link_and_language(pages, broker, officer):
    """No mouse: the sign-in form in tab order, Enter submits; the first Tab reaches the skip
    link; the language switch is a form like any other and the page answers in English."""
    page = pages.person()
    page.goto("/console/login")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus
    page.keyboard.type(officer.username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(officer.password)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type(officer.code(broker))
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.locator("html").get_attribute("lang") == "ko"  # the default under kr-pipa
    page.select_option("#language", "en")
    page.click("form[action='/console/language'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#logout").inner_text() == "Sign out"
    pages.check(page, "dashboard-english")
