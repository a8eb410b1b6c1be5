"""Bridges between the async ASGI body and the synchronous application, in constant memory."""

from __future__ import annotations

from collections.abc import Iterator

import anyio.from_thread
from fastapi import Request


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
