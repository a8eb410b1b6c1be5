"""Every error leaves as ``application/problem+json`` (RFC 9457), never as a stack trace."""

from __future__ import annotations

import html
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from broker.entrypoints.api.schemas.common import Problem
from broker.errors import BrokerError

PROBLEM_TYPE_BASE = "/problems/"
"""Problem types are relative references to pages the broker serves (``GET /problems/gone``)."""
MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("broker.entrypoints.api")

TITLES = {
    400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 408: "Request timeout", 409: "Conflict", 410: "Gone", 413: "Payload too large",
    415: "Unsupported media type", 416: "Range not satisfiable", 422: "Invalid input",
    429: "Too many requests", 500: "Internal error", 503: "Service unavailable",
}
MEANING = {
    401: "no key, a malformed or unknown key, or a revoked one",
    403: "the key's role may not do this, or the grant does not cover it",
    404: "no such resource, or one this client may not know about",
    408: "the body stopped arriving; nothing of it was kept",
    409: "the resource's state does not allow this now",
    410: "the footage existed and has been deleted for good",
    413: "the body is larger than the broker accepts",
    416: "the range lies outside the content",
    400: "the HTTP message itself could not be read, or its path or query holds a NUL byte",
    405: "the resource does not answer this method",
    415: "the body's media type is not one this operation takes",
    422: "the input is malformed or breaks a rule",
    429: "too many requests of this kind just now; retry after the time given",
    500: "the broker failed; the instance id lets its operators find the log line",
    503: "a store the broker needs is unreachable, or the broker is too busy",
}


def slug(status: int) -> str:
    return TITLES.get(status, "Error").lower().replace(" ", "-")


def problem_body(status: int, detail: str, *, instance: str, title: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    """RFC 9457: ``type`` names the kind (a page the broker serves), ``instance`` this occurrence."""
    return {"type": PROBLEM_TYPE_BASE + slug(status), "title": title or TITLES.get(status, "Error"),
            "status": status, "detail": detail, "instance": instance, **extra}


def problem(status: int, detail: str, request: Request, *, title: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    instance = f"urn:uuid:{uuid.uuid4()}"
    if status >= 500:
        logger.error("%s on %s %s: %s", instance, request.method, request.url.path, title or status)
    body = problem_body(status, detail, instance=instance, title=title, **extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these problem statuses, each with the RFC 9457 body."""
    return {status: {"model": Problem, "description": f"{TITLES[status]}: {MEANING[status]}"}
            for status in sorted(set(statuses))}


def install(app: FastAPI) -> None:
    @app.exception_handler(BrokerError)
    async def _broker_error(request: Request, exc: BrokerError) -> JSONResponse:
        extra = {"errors": exc.errors} if exc.errors is not None else {}
        return problem(exc.status, exc.detail, request, title=exc.title,
                       headers=exc.headers or None, **extra)

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

    @app.get("/problems/{kind}", include_in_schema=False, response_class=HTMLResponse)
    async def _problem_page(kind: str) -> HTMLResponse:
        """What a problem type means: the ``type`` of every problem body resolves here."""
        for status, title in TITLES.items():
            if slug(status) == kind:
                meaning = html.escape(MEANING.get(status, title))
                return HTMLResponse(
                    f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
                    f"<h1>{status} {html.escape(title)}</h1><p>{meaning}.</p>"
                    f"<p>The <code>detail</code> of the problem says what was wrong with this "
                    f"request; its <code>instance</code> names this occurrence for the broker's "
                    f"operators.</p></html>")
        return HTMLResponse("<!doctype html><title>Unknown problem</title>", status_code=404)
