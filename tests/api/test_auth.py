from __future__ import annotations

from broker.domain import apikeys
from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.conftest import SHELL

SEARCH = "/v1/cameras?lat=36.35&lon=127.38&radius_m=300"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def test_missing_key_is_401_with_challenge(api):
    response = api.get(SEARCH)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_scheme_and_garbage_keys_are_401(api, keys):
    assert_problem(api.get(SEARCH, headers={"Authorization": f"Basic {keys[Role.POLICE]}"}), 401)
    assert_problem(api.get(SEARCH, headers=bearer("not-a-key")), 401)
    parsed = apikeys.parse_key(keys[Role.POLICE])
    forged = apikeys.format_key(parsed.client_id, apikeys.new_secret())
    assert_problem(api.get(SEARCH, headers=bearer(forged)), 401)


def test_valid_key_is_accepted(api, keys):
    assert api.get(SEARCH, headers=bearer(keys[Role.POLICE])).status_code == 200


def test_revoked_key_is_refused_from_the_next_request(api, broker, keys):
    key = keys[Role.POLICE]
    assert api.get(SEARCH, headers=bearer(key)).status_code == 200
    broker.clients.revoke(SHELL, str(apikeys.parse_key(key).client_id), "test")
    # No explicit catch-up: authentication itself must notice the revocation.
    assert_problem(api.get(SEARCH, headers=bearer(key)), 401)


def test_role_not_allowed_is_403(api, keys):
    body = {"name": "x", "agency": "y", "location": {"lat": 36.35, "lon": 127.38}}
    for role in (Role.POLICE, Role.CITIZEN_PORTAL, Role.AUDITOR):
        assert_problem(api.post("/v1/cameras", json=body, headers=bearer(keys[role])), 403)


def test_unknown_route_is_a_problem(api):
    assert_problem(api.get("/v1/nothing-here"), 404)


def test_health_and_readiness_need_no_key(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"event_store": "ok", "read_model": "ok"}


def test_metrics_count_requests_by_route_template(api, keys):
    api.get(SEARCH, headers=bearer(keys[Role.POLICE]))
    text = api.get("/metrics").text
    assert 'broker_http_requests_total{method="GET",route="/v1/cameras",status="200"} 1' in text


def test_a_revocation_by_another_process_is_refused_on_the_next_request(api, broker, keys):
    """Another broker on the same stores stands for another process (the CLI, a second
    worker): its revocation is in the shared read model when its command returns."""
    from broker.bootstrap import build

    key = keys[Role.POLICE]
    assert api.get(SEARCH, headers=bearer(key)).status_code == 200
    other = build(broker.settings, broker.clock)
    try:
        other.clients.revoke(SHELL, str(apikeys.parse_key(key).client_id), "stolen")
    finally:
        other.close()
    assert_problem(api.get(SEARCH, headers=bearer(key)), 401)


def test_events_another_process_never_projected_are_followed(api, broker, keys):
    """A process that recorded a revocation and died before projecting it: the serving
    process follows the log by itself, so the key stops working without any write here."""
    import time
    from uuid import UUID

    from broker.domain.client import Client

    key = keys[Role.FIRE]
    assert api.get(SEARCH, headers=bearer(key)).status_code == 200
    client = broker.app.load(UUID(str(apikeys.parse_key(key).client_id)), Client, "client")
    client.revoke("compromised", at=broker.clock.now())
    broker.app.record(client)  # recorded, never projected by its writer
    deadline = time.monotonic() + 30
    while api.get(SEARCH, headers=bearer(key)).status_code == 200:
        assert time.monotonic() < deadline, "the revocation was never followed"
        time.sleep(0.1)
    assert_problem(api.get(SEARCH, headers=bearer(key)), 401)
