"""Bridges between the async ASGI body and the synchronous application, in bounded memory."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import anyio
import anyio.from_thread
from anyio import CapacityLimiter, to_thread
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


async def pulled_in_threads(chunks: Iterator[bytes], limiter: CapacityLimiter) -> AsyncIterator[bytes]:
    """``chunks`` as a response body, each ``next`` in a thread of ``limiter``'s own.

    Starlette would pull a synchronous body in the thread pool every synchronous route runs
    in; a few slow or many concurrent downloads would then hold the threads the rest of the
    API needs. Here a download takes one of ``limiter``'s tokens per chunk, so every stream
    moves, and memory holds the chunk being sent and what ``chunks`` reads ahead. However the
    response ends (done, client gone, cancelled), ``chunks`` is closed; closing must be quick
    (the vault's read-ahead only tells its thread to stop), since it may happen on the loop.
    """
    try:
        while (chunk := await to_thread.run_sync(next, chunks, None, limiter=limiter)) is not None:
            if chunk:
                yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
