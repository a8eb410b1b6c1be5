"""Bridges between the async ASGI body and the synchronous application, in bounded memory."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import anyio.from_thread
from fastapi import Request

from broker.errors import BrokerError, PayloadTooLarge


class UploadStalled(BrokerError):
    status = 408
    title = "Request timeout"


def request_body_chunks(request: Request, read_timeout_s: float,
                        max_duration_s: float) -> Iterator[bytes]:
    """Pull the body chunk by chunk from a worker thread; a client that sends nothing for
    ``read_timeout_s``, or is still sending after ``max_duration_s``, is dropped (the consumer
    cleans up what it stored of the body)."""
    chunks = request.stream().__aiter__()
    deadline = time.monotonic() + max_duration_s

    async def next_chunk() -> bytes | None:
        if time.monotonic() > deadline:
            raise UploadStalled(f"the upload ran longer than {max_duration_s:g} s; dropped")
        try:
            with anyio.fail_after(read_timeout_s):
                return await chunks.__anext__()
        except StopAsyncIteration:
            return None
        except TimeoutError:
            raise UploadStalled(f"no bytes arrived for {read_timeout_s:g} s; upload dropped") from None

    while True:
        chunk = anyio.from_thread.run(next_chunk)
        if chunk is None:
            return
        if chunk:
            yield chunk


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The whole body, refused with 413 as soon as it grows past ``limit``."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise PayloadTooLarge(f"{what} larger than {limit} bytes")
    return bytes(data)
