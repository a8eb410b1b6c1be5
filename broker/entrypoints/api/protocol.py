"""HTTP/1.1 for ``broker serve``: uvicorn's protocols, with malformed messages answered as
RFC 9457 problems instead of uvicorn's plain-text "Invalid HTTP request received.".

httptools (llhttp, in C) is the parser when installed, as it is by the broker's own
dependencies: it costs a fraction of pure-Python h11 per request. h11 stays the fallback.
"""

from __future__ import annotations

import json
import uuid
from importlib.util import find_spec

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from broker.entrypoints.api.problems import MEDIA_TYPE, problem_body


def _malformed() -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """400, not 422: the message could not even be read as HTTP (RFC 9110 §15.5.1)."""
    body = json.dumps(problem_body(400, "the request is not valid HTTP/1.1",
                                   instance=f"urn:uuid:{uuid.uuid4()}")).encode()
    return body, [(b"content-type", MEDIA_TYPE.encode()),
                  (b"content-length", str(len(body)).encode()), (b"connection", b"close")]


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body, headers = _malformed()
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


if find_spec("httptools") is not None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            body, headers = _malformed()
            head = [b"HTTP/1.1 400 Bad Request\r\n"]
            head += [name + b": " + value + b"\r\n" for name, value in headers]
            self.transport.write(b"".join([*head, b"\r\n", body]))
            self.transport.close()


def http_protocol() -> type:
    """The protocol class ``broker serve`` runs: httptools-based if available, else h11."""
    return ProblemHttpToolsProtocol if find_spec("httptools") is not None else ProblemH11Protocol


def event_loop() -> str:
    """uvloop where installed (less per-request overhead than asyncio's own loop), else asyncio."""
    return "uvloop" if find_spec("uvloop") is not None else "asyncio"
