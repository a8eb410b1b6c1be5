"""Request counts and latencies for Prometheus, through ``prometheus_client``.

With several worker processes (``broker serve --workers N``) the library's multiprocess mode
is on (``PROMETHEUS_MULTIPROC_DIR``, set by ``serve``): each worker writes its own files and
``/metrics`` adds them up, so a scrape sees one set of counters whichever worker answers.
"""

from __future__ import annotations

import os
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class RequestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("broker_http_requests", "HTTP requests by method, route and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("broker_http_request_duration_seconds", "Request latency.",
                                 ["method", "route"], buckets=BUCKETS, registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _route_template(scope: Scope) -> str:
    """Label by route template, never by raw path: ids would explode the label set.

    FastAPI includes routers lazily; the template with every prefix (``/v1/cameras``) is on the
    effective route it selected, the bare route only knows its own router's part.
    """
    effective = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path", None)
    return str(template or "unmatched")


class Measure:
    """Count and time every HTTP exchange by method, route template and status (pure ASGI,
    so streamed bodies and refusals at the edge are counted too)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if status:  # a client that hung up before any answer is not a request served
                self.metrics.observe(scope["method"], _route_template(scope), status,
                                     time.perf_counter() - started)
