"""The console over the real app and a real broker: people with accounts, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from broker.adapters import credentials
from broker.application.people import NewCredentials
from broker.bootstrap import Broker
from broker.domain.roles import Role
from broker.entrypoints.api.main import create_app
from tests.conftest import SHELL

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Person:
    username: str
    password: str
    totp_secret: str | None
    actor_id: str
    name: str

    def code(self, broker: Broker) -> str:
        assert self.totp_secret is not None
        return credentials.totp_code(self.totp_secret, credentials.totp_step(broker.clock.now()))


def person(broker: Broker, username: str, role: Role, name: str | None = None) -> Person:
    made: NewCredentials = broker.people.add(SHELL, username=username, display_name=name or username.title(),
                                             role=role, agency=f"{role.value} office")
    assert made.password is not None
    return Person(username=username, password=made.password, totp_secret=made.totp_secret,
                  actor_id=made.person["actor_id"], name=made.person["display_name"])


@pytest.fixture
def web(broker: Broker) -> Iterator[TestClient]:
    with TestClient(create_app(broker), raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(web: TestClient, broker: Broker, who: Person, code: str | None = None) -> str:
    """Sign in through the real form; the CSRF token of the signed-in pages."""
    page = web.get("/console/login")
    assert page.status_code == 200
    answer = web.post("/console/login", data={
        "csrf_token": csrf_of(page.text), "username": who.username, "password": who.password,
        "code": code if code is not None else (who.code(broker) if who.totp_secret else ""),
        "next": "/console/"})
    assert answer.status_code == 303, answer.text
    home = web.get("/console/")
    assert home.status_code == 200, home.text
    return csrf_of(home.text)


@pytest.fixture
def officer(broker: Broker) -> Person:
    return person(broker, "kim", Role.PRIVACY_OFFICER, "Kim Minji")


@pytest.fixture
def operator(broker: Broker) -> Person:
    return person(broker, "park", Role.OPERATOR, "Park Jisoo")


@pytest.fixture
def auditor(broker: Broker) -> Person:
    return person(broker, "lee", Role.AUDITOR, "Lee Seoyeon")
