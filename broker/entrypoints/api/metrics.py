"""Prometheus text exposition of request counts and latencies, without a client library."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._totals: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._counts[(method, route, status)] += 1
            key = (method, route)
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self._buckets[key][index] += 1
            self._sums[key] += seconds
            self._totals[key] += 1

    def render(self) -> str:
        lines = [
            "# HELP broker_http_requests_total HTTP requests by method, route and status.",
            "# TYPE broker_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), count in sorted(self._counts.items()):
                lines.append(
                    f'broker_http_requests_total{{method="{method}",route="{route}",'
                    f'status="{status}"}} {count}'
                )
            lines += [
                "# HELP broker_http_request_duration_seconds Request latency.",
                "# TYPE broker_http_request_duration_seconds histogram",
            ]
            for (method, route), counts in sorted(self._buckets.items()):
                labels = f'method="{method}",route="{route}"'
                for bound, count in zip(BUCKETS, counts, strict=True):
                    lines.append(
                        f'broker_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {count}'
                    )
                total = self._totals[(method, route)]
                lines.append(f'broker_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total}')
                seconds = self._sums[(method, route)]
                lines.append(f"broker_http_request_duration_seconds_sum{{{labels}}} {seconds}")
                lines.append(f"broker_http_request_duration_seconds_count{{{labels}}} {total}")
        return "\n".join(lines) + "\n"


def _route_template(request: Request) -> str:
    """Label by route template, never by raw path: ids would explode the label set."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


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
