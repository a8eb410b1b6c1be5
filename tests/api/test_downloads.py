"""Downloads pull their chunks in threads of their own, never in the API's thread pool."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import anyio
import anyio.from_thread
import pytest
from anyio import CapacityLimiter, to_thread

from broker.entrypoints.api.streaming import pulled_in_threads
from tests.api.test_grants import content_url, scene  # noqa: F401


class Recorded:
    """A body that notes, at each chunk, its thread and the tokens borrowed from two limiters."""

    def __init__(self, chunks: list[bytes], limiter: CapacityLimiter) -> None:
        self.chunks = chunks
        self.limiter = limiter
        self.seen: list[tuple[bool, float, float]] = []
        self.closed = False
        self.loop_thread = threading.get_ident()  # anyio.run runs the loop in this thread

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.chunks:
                default = anyio.from_thread.run_sync(
                    lambda: to_thread.current_default_thread_limiter().borrowed_tokens)
                self.seen.append((threading.get_ident() != self.loop_thread,
                                  self.limiter.borrowed_tokens, default))
                yield chunk
        finally:
            self.closed = True


def collect(body: Recorded, limiter: CapacityLimiter, stop_after: int | None = None) -> list[bytes]:
    async def main() -> list[bytes]:
        received = []
        stream = pulled_in_threads(iter(body), limiter)
        async for chunk in stream:
            received.append(chunk)
            if stop_after is not None and len(received) == stop_after:
                await stream.aclose()
                break
        return received

    return anyio.run(main)


def test_each_chunk_is_pulled_in_a_thread_of_the_stream_limiter_not_the_api_pool():
    limiter = CapacityLimiter(2)
    body = Recorded([b"a", b"", b"bc", b"d"], limiter)
    assert collect(body, limiter) == [b"a", b"bc", b"d"]  # empty chunks are not sent
    assert body.seen == [(True, 1, 0)] * 4
    assert body.closed


def test_a_download_that_ends_early_closes_its_body():
    limiter = CapacityLimiter(1)
    body = Recorded([b"1", b"2", b"3", b"4"], limiter)
    assert collect(body, limiter, stop_after=2) == [b"1", b"2"]
    assert body.closed


def test_a_cancelled_download_closes_its_body():
    closed = threading.Event()

    def body() -> Iterator[bytes]:
        try:
            yield b"first"
            yield b"second"
        finally:
            closed.set()

    async def main() -> None:
        with anyio.move_on_after(0.2):  # cancelled while it waits to send, as a stalled client
            async for _ in pulled_in_threads(body(), CapacityLimiter(1)):
                await anyio.sleep(10)
        with anyio.move_on_after(0.2):  # cancelled while a chunk is being pulled
            async for _ in pulled_in_threads(iter(slow_body(closed_too)), CapacityLimiter(1)):
                pass

    closed_too = threading.Event()
    anyio.run(main)
    assert closed.is_set() and closed_too.is_set()


def slow_body(closed: threading.Event) -> Iterator[bytes]:
    try:
        yield b"first"
        time.sleep(0.5)
        yield b"late"
    finally:
        closed.set()


def test_errors_reach_the_response_in_their_place():
    def body() -> Iterator[bytes]:
        yield b"ok"
        raise OSError("disk gone")

    async def main() -> list[bytes]:
        received = []
        with pytest.raises(OSError, match="disk gone"):
            async for chunk in pulled_in_threads(body(), CapacityLimiter(1)):
                received.append(chunk)
        return received

    assert anyio.run(main) == [b"ok"]


def test_one_token_serves_several_downloads_in_turn():
    """Tokens are taken per chunk: a second download moves while the first is unfinished."""
    limiter = CapacityLimiter(1)
    order: list[str] = []

    def body(name: str) -> Iterator[bytes]:
        for i in range(3):
            order.append(name)
            yield f"{name}{i}".encode()

    async def drain(name: str) -> None:
        async for _ in pulled_in_threads(body(name), limiter):
            await anyio.sleep(0.01)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(drain, "a")
            group.start_soon(drain, "b")

    anyio.run(main)
    assert sorted(order) == ["a"] * 3 + ["b"] * 3
    assert order[:4].count("a") < 3 and order[:4].count("b") < 3  # interleaved, not one by one


def test_clip_content_is_pulled_in_the_apps_stream_threads(api, broker, scene, monkeypatch):  # noqa: F811
    clip_id, body = scene["inside"]
    limiter = api.app.state.stream_slots
    read = broker.vault.read
    seen: list[tuple[float, float]] = []

    def recording_read(*args: int, **kwargs: int) -> Iterator[bytes]:
        streamed = len(args) < 6 or args[5] - args[4] > 4096  # not a peek at the first bytes
        for chunk in read(*args, **kwargs):  # type: ignore[arg-type]
            if streamed:
                default = anyio.from_thread.run_sync(
                    lambda: to_thread.current_default_thread_limiter().borrowed_tokens)
                seen.append((limiter.borrowed_tokens, default))
            yield chunk

    monkeypatch.setattr(broker.vault, "read", recording_read)
    response = api.get(content_url(scene, clip_id), headers=scene["police"])
    assert response.status_code == 200 and response.content == body
    assert seen and all(tokens == (1, 0) for tokens in seen)
    export = api.post(f"/v1/grants/{scene['grant']}/exports", headers=scene["police"])
    assert export.status_code == 200
    assert len(seen) > 3 and all(tokens == (1, 0) for tokens in seen)
