"""How an operation is documented: its summary, the use case's own words and roles, and every
problem status it can answer. The roles come from the use case's ``@allowed`` declaration."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from broker.application.actors import roles_of
from broker.domain.roles import Role
from broker.entrypoints.api.problems import documented


def operation(use_case: Callable[..., Any] | None, summary: str, *statuses: int,
              authenticated: bool = True, **options: Any) -> dict[str, Any]:
    """Keyword arguments for a route decorator.

    ``x-roles`` lists the roles the use case admits (clients, the fuzzer and the console read
    it). ``statuses`` are the problems the route can answer beyond authentication (401), role
    (403, when the use case admits fewer than every role) and the edge's refusals (413 for a
    body over the limit, 400 for a NUL byte in the path or query; any request), which are
    added here.
    """
    roles = roles_of(use_case) if use_case is not None else None
    codes = {*statuses, 400, 413}
    lines = [inspect.getdoc(use_case) or ""] if use_case is not None else []
    if authenticated:
        codes.add(401)
        if roles is not None and roles != frozenset(Role):
            codes.add(403)
            lines.append("**Roles:** " + ", ".join(sorted(role.value for role in roles)))
        else:
            lines.append("**Roles:** any authenticated client")
    else:
        lines.append("**Public:** no key needed")
    extra = {**options.pop("openapi_extra", {})}
    if authenticated:
        admitted = roles if roles is not None else frozenset(Role)
        extra["x-roles"] = sorted(role.value for role in admitted)
    return {"summary": summary, "description": "\n\n".join(line for line in lines if line),
            "responses": {**documented(*codes), **options.pop("responses", {})},
            "response_model_exclude_unset": True, "openapi_extra": extra, **options}
