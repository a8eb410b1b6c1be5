"""Bridges between the async ASGI body and the synchronous application, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator

import anyio.from_thread
from fastapi import Request

from broker.errors import PayloadTooLarge


def request_body_chunks(request: Request) -> Iterator[bytes]:
    """Pull the body chunk by chunk from a worker thread (plain ``def`` endpoints)."""
    chunks = request.stream().__aiter__()

    async def next_chunk() -> bytes | None:
        try:
            return await chunks.__anext__()
        except StopAsyncIteration:
            return None

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
