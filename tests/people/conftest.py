from __future__ import annotations

import pytest

from tests.conftest import both_stores


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    """Accounts and sessions hold on the embedded default and on PostgreSQL."""
    return both_stores(request)
