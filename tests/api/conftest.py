from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from broker.api.main import create_app
from broker.bootstrap import Broker
from broker.domain.roles import Role


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


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
