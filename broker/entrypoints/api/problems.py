"""Every error leaves as ``application/problem+json`` (RFC 9457), never as a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from broker.entrypoints.api.schemas.common import Problem
from broker.errors import BrokerError, Unauthenticated

PROBLEM_TYPE_BASE = "https://footage-broker.invalid/problems/"
MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("broker.entrypoints.api")

TITLES = {
    400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 410: "Gone", 413: "Payload too large",
    415: "Unsupported media type", 416: "Range not satisfiable", 422: "Invalid input",
    500: "Internal error", 503: "Service unavailable",
}
MEANING = {
    401: "no key, a malformed or unknown key, or a revoked one",
    403: "the key's role may not do this, or the grant does not cover it",
    404: "no such resource, or one this client may not know about",
    409: "the resource's state does not allow this now",
    410: "the footage existed and has been deleted for good",
    413: "the body is larger than the broker accepts",
    416: "the range lies outside the content",
    422: "the input is malformed or breaks a rule",
    503: "a store the broker needs is unreachable",
}


def problem(status: int, detail: str, request: Request, *, title: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    title = title or TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these problem statuses, each with the RFC 9457 body."""
    return {status: {"model": Problem, "description": f"{TITLES[status]}: {MEANING[status]}"}
            for status in sorted(set(statuses))}


def install(app: FastAPI) -> None:
    @app.exception_handler(BrokerError)
    async def _broker_error(request: Request, exc: BrokerError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="footage-broker"'} if isinstance(
            exc, Unauthenticated) else None
        if exc.status >= 500:
            logger.error("broker error on %s: %s", request.url.path, type(exc).__name__)
        return problem(exc.status, exc.detail, request, title=exc.title, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Input values are not echoed back: they may carry personal data.
        errors = [
            {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", "")}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(422, detail or "request is invalid", request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        return problem(exc.status_code, detail, request, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "an unexpected error occurred; it has been logged", request)
