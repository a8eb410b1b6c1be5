"""Schemathesis over the OpenAPI document, in the suite: every operation, called with a key of
each role it admits, answers no 5xx and only documented statuses and shapes.

One check is left out: "positive data acceptance" takes any 422 to schema-valid input for a
bug, but the broker answers 422 for input that is well-formed and still wrong (an opaque
cursor that is not one of ours, a clip window in the future, an unknown camera): RFC 9110
§15.5.21 is exactly that case.

``FUZZ_EXAMPLES`` (default 8) sets the examples per operation; ``make fuzz`` runs many more.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from broker.domain.roles import Role
from broker.entrypoints.api.main import create_app
from tests.api.helpers import add_cameras

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


def test_no_server_errors_and_only_documented_answers(broker, keys):
    add_cameras(broker)  # searches and requests find something to work on
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(broker))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        roles = operation.definition.raw.get("x-roles")
        headers = [{}] if roles is None else [
            {"Authorization": f"Bearer {keys[Role(role)]}"} for role in roles]

        fuzz(operation, headers)


def fuzz(operation: Any, headers: list[dict[str, str]]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
              suppress_health_check=list(HealthCheck), database=None)
    def calls(case: schemathesis.Case) -> None:
        for auth in headers:
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

    calls()
