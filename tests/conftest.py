"""Fixtures shared by the whole suite: a PostgreSQL server when one can be had."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    with postgres.start_or_find() as found:
        if isinstance(found, str):
            if postgres.required():
                pytest.fail(f"PostgreSQL is required here (BROKER_TEST_REQUIRE_POSTGRES=1): {found}")
            pytest.skip(found)
        yield found


@pytest.fixture
def postgres_database(postgres_server: postgres.PostgresServer) -> Iterator[tuple[postgres.PostgresServer, str]]:
    """A fresh, empty database on the test server: (server, dbname)."""
    with postgres.fresh_database(postgres_server) as dbname:
        yield postgres_server, dbname
