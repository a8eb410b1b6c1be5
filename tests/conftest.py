"""Fixtures shared by the whole suite: a broker on real stores, the API over it, its clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings

from broker.application.actors import Actor
from broker.bootstrap import Broker, build
from broker.clock import FixedClock
from broker.config import Settings
from broker.domain.clip import Clip
from broker.domain.roles import Role
from broker.entrypoints.api.main import create_app
from tests.support import postgres
from tests.support.openapi import DocumentedStatuses
from tests.support.videos import tiny_video

# CI explores the same examples on every run: a red build is then reproducible, never luck.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MODELS_DIR = Path(os.environ.get("BROKER_MODELS_DIR") or Path(__file__).resolve().parent.parent / ".models")
"""Where ``make models`` prepared the detector models (``broker models fetch``): the same
``BROKER_MODELS_DIR`` it honours, by default ``.models`` in the checkout."""
SHELL = Actor.shell()
"""The operator at the broker's own shell, as the CLI acts."""


# A PostgreSQL server when one can be had. ------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    with postgres.start_or_find() as found:
        if isinstance(found, str):
            if postgres.required():
                pytest.fail(f"PostgreSQL is required here (BROKER_TEST_REQUIRE_POSTGRES=1): {found}")
            pytest.skip(found)
        yield found


@pytest.fixture
def postgres_database(
    postgres_server: postgres.PostgresServer,
) -> Iterator[tuple[postgres.PostgresServer, str]]:
    """A fresh, empty database on the test server: (server, dbname)."""
    with postgres.fresh_database(postgres_server) as dbname:
        yield postgres_server, dbname


def postgres_settings(tmp_path: Path, keys_dir: Path, server: postgres.PostgresServer,
                      dbname: str) -> Settings:
    return Settings(data_dir=tmp_path / "var", keys_dir=keys_dir, models_dir=MODELS_DIR,
                    event_store="postgres",
                    postgres_host=server.host, postgres_port=server.port,
                    postgres_user=server.user, postgres_dbname=dbname)


# A broker on real stores in a temp dir, with a clock that only moves when told. ---------------

@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    """A fresh key-encryption-key file, as `broker keys init` makes it."""
    from broker.adapters.vault.kek import init_keyfile

    directory = tmp_path / "keys"
    init_keyfile(directory)
    return directory


@pytest.fixture
def sqlite_settings(tmp_path: Path, keys_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", keys_dir=keys_dir)


@pytest.fixture
def store() -> str:
    """Which store ``broker`` runs on; a test package that holds its contract on both
    overrides this with ``params=["sqlite", "postgres"]`` (``both_stores``)."""
    return "sqlite"


def both_stores(request: pytest.FixtureRequest) -> str:
    """Body of a ``store`` fixture parametrized over the embedded default and PostgreSQL."""
    return str(request.param)


@pytest.fixture
def broker(request: pytest.FixtureRequest, store: str, tmp_path: Path, keys_dir: Path,
           clock: FixedClock) -> Iterator[Broker]:
    """A broker on real SQLite files, or on a fresh PostgreSQL database."""
    if store == "postgres":
        server, dbname = request.getfixturevalue("postgres_database")
        settings = postgres_settings(tmp_path, keys_dir, server, dbname)
    else:
        settings = Settings(data_dir=tmp_path / "var", keys_dir=keys_dir, models_dir=MODELS_DIR)
    instance = build(settings, clock)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture(scope="session")
def models() -> Path:
    """The prepared detector models; skipped without them, unless BROKER_TEST_REQUIRE_MODELS=1
    (CI), where their absence fails."""
    from broker.adapters.redaction.models import ModelsMissing, locate

    try:
        locate(MODELS_DIR)
    except ModelsMissing as exc:
        if os.environ.get("BROKER_TEST_REQUIRE_MODELS") == "1":
            pytest.fail(f"the detector models are required here: {exc.detail}")
        pytest.skip(f"no detector models: {exc.detail}")
    return MODELS_DIR


# The real ASGI app over that broker, and one API key per role. ---------------------------------

@pytest.fixture
def api(broker: Broker) -> Iterator[TestClient]:
    """The app over real HTTP semantics; every answer any test receives is checked against the
    statuses its OpenAPI operation documents."""
    app = create_app(broker)
    contract = DocumentedStatuses(app.openapi())
    with TestClient(app, raise_server_exceptions=False) as client:
        client.event_hooks["response"].append(contract.check)
        yield client


@pytest.fixture
def keys(broker: Broker) -> dict[Role, str]:
    """One API key per role, created through the application like `broker clients add`."""
    issued = {}
    for role in Role:
        _, key = broker.clients.register(SHELL, name=f"test {role.value}", role=role,
                                         agency=f"agency of {role.value}")
        issued[role] = key
    return issued


# Who acts in tests that call the application directly. -----------------------------------------

def actor(role: Role, client_id: str | None = None, agency: str | None = None) -> Actor:
    """A client of this role, as authentication would establish it."""
    return Actor(client_id=client_id or f"{role.value}-client", name=f"test {role.value}",
                 role=role, agency=agency or f"agency of {role.value}")


def ingest_clip(broker: Broker, camera_id: Any, start: datetime, end: datetime,
                body: bytes | None = None, idempotency_key: str | None = None) -> Clip:
    """Ingest through the application; the ``Clip`` aggregate (it knows its key and blob).
    Every ingest is probed, so the body is a real video (by default a tiny one)."""
    body = tiny_video() if body is None else body
    view, _ = broker.clips.ingest(SHELL, camera_id=camera_id, start=start, end=end, chunks=[body],
                                  idempotency_key=idempotency_key)
    return broker.app.load(UUID(view["id"]), Clip, "clip")


# A real browser ------------------------------------------------------------------------------

CHROMIUM = Path(os.environ.get("BROKER_TEST_CHROMIUM", "/usr/bin/chromium"))


def _unavailable(reason: str) -> None:
    if os.environ.get("BROKER_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (BROKER_TEST_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole run (Playwright's sync API allows one per process)."""
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
