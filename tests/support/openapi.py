"""The OpenAPI document as a contract: which statuses each operation says it can answer."""

from __future__ import annotations

import re
from typing import Any

import httpx


class DocumentedStatuses:
    """Maps (method, concrete path) to the operation's documented statuses."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._operations: list[tuple[str, re.Pattern[str], str, set[int]]] = []
        for template, operations in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method, operation in operations.items():
                statuses = {int(status) for status in operation["responses"]}
                self._operations.append((method.upper(), pattern, template, statuses))

    def operation(self, method: str, path: str) -> tuple[str, set[int]] | None:
        for known_method, pattern, template, statuses in self._operations:
            if known_method == method and pattern.match(path):
                return template, statuses
        return None

    def check(self, response: httpx.Response) -> None:
        """Fail the test if a documented operation answered a status it does not document."""
        request = response.request
        found = self.operation(request.method, request.url.path)
        if found is None:
            return  # an undocumented path (docs assets, unknown routes): nothing to hold it to
        template, statuses = found
        assert response.status_code in statuses, (
            f"{request.method} {template} answered {response.status_code}, "
            f"which its OpenAPI operation does not document ({sorted(statuses)})")
