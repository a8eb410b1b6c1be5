"""A token bucket per client, for what is free to ask but costly to answer (dry runs)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from broker.errors import BrokerError


class TooManyRequests(BrokerError):
    status = 429
    title = "Too many requests"


class RateLimit:
    """``rate`` requests per ``per_seconds`` per key, bursts up to ``rate``; in memory, per process
    (several workers each allow as much: a gateway limits globally)."""

    def __init__(self, rate: int, per_seconds: float, max_keys: int = 10_000) -> None:
        self._rate = rate
        self._refill = rate / per_seconds
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def take(self, key: str, what: str) -> None:
        """Spend one token of ``key``'s bucket, or raise 429 with Retry-After."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.pop(key, (float(self._rate), now))
            tokens = min(float(self._rate), tokens + (now - then) * self._refill)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1 - tokens) / self._refill)
                raise TooManyRequests(f"at most {self._rate} {what} in a row; retry in {wait} s",
                                      headers={"Retry-After": str(wait)})
            self._buckets[key] = (tokens - 1, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
