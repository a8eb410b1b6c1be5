"""Fixtures shared by the whole suite: a PostgreSQL server when one can be had."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support import postgres

# CI explores the same examples on every run: a red build is then reproducible, never luck.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


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


# A broker on real SQLite files in a temp dir, with a clock that only moves when told. ----------

from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from broker.bootstrap import Broker, build  # noqa: E402
from broker.clock import FixedClock  # noqa: E402
from broker.config import Settings  # noqa: E402

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


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
def broker(sqlite_settings: Settings, clock: FixedClock) -> Iterator[Broker]:
    instance = build(sqlite_settings, clock)
    try:
        yield instance
    finally:
        instance.close()


def postgres_settings(tmp_path: Path, keys_dir: Path, server: postgres.PostgresServer,
                      dbname: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        keys_dir=keys_dir,
        event_store="postgres",
        postgres_host=server.host,
        postgres_port=server.port,
        postgres_user=server.user,
        postgres_dbname=dbname,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def any_broker(request: pytest.FixtureRequest, tmp_path: Path, keys_dir: Path,
               clock: FixedClock) -> Iterator[Broker]:
    """The same contract on the embedded default and on PostgreSQL."""
    if request.param == "sqlite":
        settings = Settings(data_dir=tmp_path / "var", keys_dir=keys_dir)
        instance = build(settings, clock)
        try:
            yield instance
        finally:
            instance.close()
        return
    server, dbname = request.getfixturevalue("postgres_database")
    instance = build(postgres_settings(tmp_path, keys_dir, server, dbname), clock)
    try:
        yield instance
    finally:
        instance.close()


# The real ASGI app over that broker, and one API key per role. -----------------------------

from fastapi.testclient import TestClient  # noqa: E402

from broker.domain.roles import Role  # noqa: E402
from broker.entrypoints.api.main import create_app  # noqa: E402


@pytest.fixture
def api(broker: Broker) -> Iterator[TestClient]:
    with TestClient(create_app(broker), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def keys(broker: Broker) -> dict[Role, str]:
    """One API key per role, created through the application like `broker clients add`."""
    issued = {}
    for role in Role:
        _, key = broker.app.register_client(name=f"test {role.value}", role=role.value,
                                            agency=f"agency of {role.value}")
        issued[role] = key
    broker.projector.catch_up()
    return issued
