"""Request counts and latencies for Prometheus, through ``prometheus_client``.

With several worker processes (``broker serve --workers N``) the library's multiprocess mode
is on (``PROMETHEUS_MULTIPROC_DIR``, set by ``serve``): each worker writes its own files and
``/metrics`` adds them up, so a scrape sees one set of counters whichever worker answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

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


def _route_template(request: Request) -> str:
    """Label by route template, never by raw path: ids would explode the label set.

    FastAPI includes routers lazily; the template with every prefix (``/v1/cameras``) is on the
    effective route it selected, the bare route only knows its own router's part.
    """
    effective = request.scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) or getattr(request.scope.get("route"),
                                                                  "path", None)
    return str(template or "unmatched")


def install(app: FastAPI, metrics: RequestMetrics) -> None:
    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        metrics.observe(request.method, _route_template(request), response.status_code,
                        time.perf_counter() - started)
        return response
