"""HTTP/1.1 for ``broker serve``: uvicorn's h11 protocol, with malformed messages answered as
RFC 9457 problems instead of uvicorn's plain-text "Invalid HTTP request received."."""

from __future__ import annotations

import json
import uuid

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from broker.entrypoints.api.problems import MEDIA_TYPE, problem_body


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        """400, not 422: the message could not even be read as HTTP (RFC 9110 §15.5.1)."""
        body = json.dumps(problem_body(400, "the request is not valid HTTP/1.1",
                                       instance=f"urn:uuid:{uuid.uuid4()}")).encode()
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()
