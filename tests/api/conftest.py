from __future__ import annotations

import pytest

from tests.conftest import both_stores


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    """Every test here holds on the embedded default and on PostgreSQL."""
    return both_stores(request)
