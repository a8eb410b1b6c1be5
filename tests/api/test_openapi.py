"""The OpenAPI document is a contract clients, the fuzzer and the console can rely on."""

from __future__ import annotations

from uuid import uuid4

import pytest

from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.helpers import crime_request
from tests.support.openapi import DocumentedStatuses

PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"),
          ("get", "/v1/keys/public"), ("get", "/v1/reports/transparency"),
          ("get", "/v1/audit/checkpoints"), ("get", "/v1/audit/checkpoint"),
          ("get", "/v1/audit/proofs/consistency")}


@pytest.fixture
def document(api) -> dict:
    return api.get("/openapi.json").json()


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_every_operation_is_described_and_tagged(document):
    for method, path, operation in operations(document):
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        assert operation.get("tags"), (method, path)


def test_every_operation_has_a_typed_success_body(document):
    for method, path, operation in operations(document):
        successes = {status: r for status, r in operation["responses"].items() if status[0] == "2"}
        assert successes, (method, path)
        for status, response in successes.items():
            content = response.get("content", {})
            assert content, (method, path, status)
            for media_type, body in content.items():
                schema = body.get("schema", {})
                typed = ("$ref" in schema or schema.get("format") == "binary"
                         or all("$ref" in option for option in schema.get("anyOf", [{}]))
                         or (media_type.startswith("text/") and schema.get("type") == "string"))
                assert typed, f"{method} {path} {status} {media_type}: untyped body {schema}"


def test_every_problem_is_an_rfc9457_body(document):
    assert {"type", "title", "status", "detail", "instance"} <= set(
        document["components"]["schemas"]["Problem"]["properties"])
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


def test_operations_needing_a_key_say_so_and_document_401(document):
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            assert "security" not in operation and "401" not in operation["responses"]
        else:
            assert operation["security"] == [{"apiKey": []}], (method, path)
            assert "401" in operation["responses"], (method, path)


def test_routes_live_under_one_v1_prefix(document):
    for _, path, _ in operations(document):
        assert path.startswith("/v1/") or path in {"/healthz", "/readyz", "/metrics"}


def test_docs_page_works_offline(api):
    page = api.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "unpkg" not in page.text
    assert "/docs/static/swagger-ui-bundle.js" in page.text
    script = api.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def test_every_operation_answers_only_documented_statuses_for_every_caller(api, keys, document):
    """An authorization matrix: each operation, without a key and with each role, with ids
    nobody knows and no body. The ``api`` fixture fails on any undocumented status."""
    contract = DocumentedStatuses(document)
    callers = {"anonymous": {}, **{role.value: bearer(keys[role]) for role in Role}}
    seen: dict[str, set[int]] = {}
    for method, path, _ in operations(document):
        concrete = path
        for name in ("camera_id", "clip_id", "request_id", "hold_id", "grant_id"):
            concrete = concrete.replace("{" + name + "}", str(uuid4()))
        for who, headers in callers.items():
            response = api.request(method.upper(), concrete, headers=headers)
            assert response.status_code < 500, (method, path, who, response.text)
            assert contract.operation(method.upper(), concrete) is not None
            seen.setdefault(f"{method} {path}", set()).add(response.status_code)
    assert 403 in seen["get /v1/audit/events"] and 401 in seen["get /v1/audit/events"]


def test_roles_are_refused_with_a_valid_body_too(api, keys):
    """With input that validates, the use case's own role check answers 403."""
    camera = {"name": "x", "agency": "y", "location": {"lat": 36.35, "lon": 127.38}}
    assert api.post("/v1/cameras", json=camera, headers=bearer(keys[Role.POLICE])).status_code == 403
    assert api.post("/v1/requests", json=crime_request(),
                    headers=bearer(keys[Role.OPERATOR])).status_code == 403
