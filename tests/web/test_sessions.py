"""Signing in over HTTP: cookies and headers, CSRF on every form, no session fixation, the
sign-out that ends the session everywhere, and friendly pages for every failure."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.entrypoints.web.security import SESSION_COOKIE
from tests.web.conftest import csrf_of, sign_in


def test_pages_carry_a_strict_policy_and_cookies_are_http_only(web):
    page = web.get("/console/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " style=" not in page.text and "onclick" not in page.text
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    asset = web.get("/console/static/vendor/htmx/htmx.min.js")
    assert asset.status_code == 200 and "max-age=86400" in asset.headers["cache-control"]


def test_cookies_are_secure_over_tls(broker, officer):
    from fastapi.testclient import TestClient

    from broker.entrypoints.api.main import create_app

    with TestClient(create_app(broker), base_url="https://broker.test", follow_redirects=False) as tls:
        sign_in(tls, broker, officer)
        assert tls.cookies.get(SESSION_COOKIE)
        page = tls.get("/console/login")
        assert all("Secure" in c for c in page.headers.get_list("set-cookie"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forged=st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=80))
def test_a_wrong_csrf_token_is_always_refused(web, forged):
    page = web.get("/console/login")
    real = csrf_of(page.text)
    if forged == real:
        return
    answer = web.post("/console/login", data={"csrf_token": forged, "username": "kim",
                                              "password": "x" * 12, "code": ""})
    assert answer.status_code == 403 and "security token" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_signed_in_forms_need_the_session_token_and_the_same_origin(web, broker, officer):
    csrf = sign_in(web, broker, officer)
    pre_session = csrf_of(web.get("/portal/").text)
    assert pre_session == csrf  # the pages of one visitor share the token
    assert web.post("/console/logout", data={}).status_code == 403
    assert web.post("/console/logout", data={"csrf_token": csrf},
                    headers={"Origin": "https://evil.example"}).status_code == 403
    assert web.get("/console/").status_code == 200
    assert web.post("/console/logout", data={"csrf_token": csrf}).status_code == 303


def test_a_planted_session_cookie_is_never_adopted(web, broker, officer):
    """Session fixation: whatever the attacker sets before the victim signs in, the session
    after sign-in is a new one, and the planted value opens nothing."""
    planted = "a" * 32 + ".attacker-chosen-secret~1700000000~" + "0" * 64
    web.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    assert web.get("/console/").status_code == 303
    sign_in(web, broker, officer)
    assert web.cookies.get(SESSION_COOKIE) not in (None, planted)
    from fastapi.testclient import TestClient

    from broker.entrypoints.api.main import create_app

    with TestClient(create_app(broker), follow_redirects=False) as attacker:
        attacker.cookies.set(SESSION_COOKIE, planted)
        assert attacker.get("/console/").headers["location"].startswith("/console/login")


def test_sign_out_ends_the_session_for_a_copied_cookie_too(web, broker, officer):
    csrf = sign_in(web, broker, officer)
    stolen = web.cookies.get(SESSION_COOKIE)
    assert web.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
    web.cookies.set(SESSION_COOKIE, stolen)
    assert web.get("/console/reviews").headers["location"] == "/console/login?next=/console/reviews"


def test_an_edited_idle_stamp_is_refused(web, broker, officer):
    sign_in(web, broker, officer)
    token, stamp, mac = web.cookies.get(SESSION_COOKIE).split("~")
    web.cookies.set(SESSION_COOKIE, f"{token}~{int(stamp) + 3600}~{mac}")
    assert web.get("/console/").status_code == 303


def test_refused_sign_in_is_a_page_not_a_stack_trace(web, broker, officer):
    page = web.get("/console/login")
    answer = web.post("/console/login", data={"csrf_token": csrf_of(page.text), "username": "kim",
                                              "password": "wrong password", "code": "123456"})
    assert answer.status_code == 401 and "<h1>" in answer.text and "Traceback" not in answer.text
    missing = web.get("/console/no-such-page")
    assert missing.status_code == 404


def test_an_unknown_console_or_portal_address_is_a_page_not_json(web):
    for path in ("/console/no-such-page", "/portal/no-such-page"):
        answer = web.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
        assert "<h1>404" in answer.text
