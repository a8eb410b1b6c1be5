"""Sign-in through the city's identity provider: a real OpenID Connect provider (npm
``oidc-provider`` under node) on real HTTP, the console's Authlib client doing the code flow
with PKCE, state and nonce; roles mapped from a claim, deny by default, and the person's
actions named in the audit trail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from broker.bootstrap import Broker, build
from broker.config import Settings
from broker.entrypoints.api.main import create_app
from broker.readmodel.audit_query import AuditFilter
from tests.conftest import SHELL
from tests.support.node import OidcProvider, oidc_provider
from tests.web.conftest import csrf_of

CALLBACK = "http://testserver/console/oidc/callback"
ACCOUNTS = {
    "choi": {"name": "Choi Yuna", "preferred_username": "choi", "email": "choi@city.example",
             "roles": ["cctv-privacy"], "agency": "Seoul privacy office"},
    "han": {"name": "Han Jiho", "preferred_username": "han", "roles": ["cctv-audit"]},
    "nobody": {"name": "No Role", "preferred_username": "nobody", "roles": ["library-staff"]},
    "both": {"name": "Two Roles", "preferred_username": "both", "roles": ["cctv-privacy", "cctv-audit"]},
}
ROLES = {"cctv-privacy": "privacy_officer", "cctv-audit": "auditor"}


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with oidc_provider([CALLBACK], ACCOUNTS) as running:
        yield running


@pytest.fixture
def city(provider: OidcProvider, tmp_path: Path, keys_dir: Path, clock) -> Iterator[Broker]:
    settings = Settings(data_dir=tmp_path / "var", keys_dir=keys_dir, oidc_issuer=provider.issuer,
                        oidc_client_id=provider.client_id, oidc_client_secret=provider.client_secret,
                        oidc_roles=ROLES, oidc_default_agency="City of Seoul")
    instance = build(settings, clock)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def console(city: Broker) -> Iterator[TestClient]:
    with TestClient(create_app(city), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def through_provider(console: TestClient, login: str) -> httpx.Response:
    """The browser's part: start at the console, sign in at the provider, come back with a code."""
    start = console.get("/console/oidc/start")
    assert start.status_code == 303, start.text
    location = start.headers["location"]
    asked = parse_qs(urlsplit(location).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        answer = browser.get(location)
        for _ in range(10):
            target = answer.headers.get("location", "")
            if target.startswith(CALLBACK):
                split = urlsplit(target)
                return console.get(f"{split.path}?{split.query}")
            if answer.status_code in (302, 303):
                answer = browser.get(urljoin(str(answer.url), target))
                continue
            form = re.search(r'action="([^"]+)"', answer.text)
            assert answer.status_code == 200 and form, answer.text
            answer = browser.post(urljoin(str(answer.url), form.group(1)), data={"login": login})
    raise AssertionError("the provider never sent the browser back")


def test_an_officer_signs_in_through_the_provider_and_is_named_in_the_trail(console, city):
    landed = through_provider(console, "choi")
    assert landed.status_code == 303 and landed.headers["location"] == "/console/"
    home = console.get("/console/")
    assert home.status_code == 200 and "Choi Yuna" in home.text
    people = city.people.list(SHELL)
    choi = next(p for p in people if p["display_name"] == "Choi Yuna")
    assert choi["role"] == "privacy_officer" and choi["agency"] == "Seoul privacy office"
    assert choi["source"] == "oidc"
    trail = city.oversight.audit_events(SHELL, AuditFilter(client_id=choi["actor_id"]))
    assert trail["items"], "the sign-in is not in the audit trail"
    assert {e["actor"]["client_id"] for e in trail["items"]} == {choi["actor_id"]}

    csrf = csrf_of(home.text)
    assert console.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
    again = through_provider(console, "choi")  # the same account, not a second one
    assert again.status_code == 303
    assert [p["id"] for p in city.people.list(SHELL) if p["display_name"] == "Choi Yuna"] == [choi["id"]]


def test_a_mapped_role_limits_what_the_person_may_do(console, city):
    assert through_provider(console, "han").status_code == 303
    assert console.get("/console/audit").status_code == 200
    assert console.get("/console/reviews").status_code == 403


@pytest.mark.parametrize("login", ["nobody", "both"])
def test_no_console_role_or_two_of_them_is_refused(console, city, login):
    refused = through_provider(console, login)
    assert refused.status_code == 403 and "<h1>" in refused.text
    assert console.get("/console/").status_code == 303
    assert not [p for p in city.people.list(SHELL) if p["username"].endswith(login)]


def test_a_callback_that_did_not_start_here_is_refused(console, city):
    start = console.get("/console/oidc/start")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    console.cookies.clear()  # another browser: no kept state, nonce or verifier
    answer = console.get(f"/console/oidc/callback?code=stolen&state={state}")
    assert answer.status_code == 401 and console.get("/console/").status_code == 303


def test_a_code_said_to_come_from_another_provider_is_never_exchanged(console, city):
    start = console.get("/console/oidc/start")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    mixed = console.get(f"/console/oidc/callback?code=abc&state={state}&iss=https://evil.example")
    assert mixed.status_code == 401 and "another identity provider" in mixed.text
    start = console.get("/console/oidc/start")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    unnamed = console.get(f"/console/oidc/callback?code=abc&state={state}")  # the provider sends iss
    assert unnamed.status_code == 401 and "does not say which" in unnamed.text


def test_a_forged_code_is_refused_by_the_provider(console, city, provider):
    start = console.get("/console/oidc/start")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    answer = console.get(f"/console/oidc/callback?code=not-a-real-code&state={state}&iss={provider.issuer}")
    assert answer.status_code == 401 and "refused" in answer.text
