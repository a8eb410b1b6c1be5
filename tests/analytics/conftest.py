"""Analytics holds on both stores: the aggregate is SQL, and SQL differs."""

from __future__ import annotations

import pytest

from tests.conftest import both_stores


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    return both_stores(request)
