"""The edge of the API, before any route runs: body size limits, NUL bytes, aborted uploads.

Both are pure ASGI middleware, so they act before FastAPI parses a body or authenticates a
key: a 47 MiB JSON array is refused after its first megabyte, at no cost but that megabyte.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.entrypoints.api.problems import MEDIA_TYPE, problem_body

logger = logging.getLogger("broker.entrypoints.api")

JSON_BODY_LIMIT = 1 << 20
"""Every JSON body the API takes is small; 1 MiB is generous and bounded."""


class BodyLimit:
    """Refuse bodies over a per-route limit with 413, before they are parsed.

    ``limits`` maps (method, path) to a route's own limit (uploads stream much more); every
    other request may send at most ``default`` bytes. ``Content-Length`` is checked first;
    a body without one (chunked) is counted as it arrives, and whoever reads past the limit
    gets an ``HTTPException`` (413) that the problem handlers render.
    """

    def __init__(self, app: ASGIApp, limits: Callable[[], Mapping[tuple[str, str], int]],
                 default: int = JSON_BODY_LIMIT) -> None:
        self.app = app
        self._limits = limits
        self._default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"").lower():
            # No text column of PostgreSQL can hold NUL, and no value of ours needs one.
            await _send_problem(send, 400, "the path or query holds a NUL byte (%00)")
            return
        limit = self._limits().get((scope["method"], scope["path"]), self._default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_problem(send, 413, f"the body is larger than this route's {limit} bytes")
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the body is larger than this route's {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)


class ClientDisconnects:
    """A client that hangs up mid-upload is a one-line log entry, not a server error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            if scope["type"] == "http":
                logger.info("client disconnected during %s %s", scope["method"], scope["path"])


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_problem(send: Send, status: int, detail: str) -> None:
    body = json.dumps(problem_body(status, detail, instance=f"urn:uuid:{uuid.uuid4()}")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
