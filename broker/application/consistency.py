"""Read-your-writes by position: a query sees every event this process recorded before it.

Commands return the notification id of the last event they stored, and report it here; the
read model tracks the position it has reached. A query waits until the read model covers the
newest position this process wrote (or a position it names): if the projector (the
deployment's background worker, or a follower thread) has not got there yet, the query pulls
the log into the read model itself (SQLite cannot push; several processes share one position
row, so whoever pulls first does the work and the others find it done). A command's answer
never waits for the read model. This is the only caller of ``catch_up``.
"""

from __future__ import annotations

import threading

from broker.readmodel.projection import Projector

BUSY_SECONDS = 0.02
"""While events keep coming, project at most this often: one batch (one transaction, one tree
update) per interval costs far less than one per write."""
IDLE_SECONDS = 1.0
"""When nothing is written, look this often for what other processes wrote."""


class ReadYourWrites:
    def __init__(self, projector: Projector) -> None:
        self._projector = projector
        self._written = 0
        self._lock = threading.Lock()
        self._new_writes = threading.Event()

    def recorded(self, position: int | None) -> None:
        """A command of this process made ``position`` durable."""
        if position is None:
            return
        with self._lock:
            self._written = max(self._written, position)
        self._new_writes.set()

    def wait(self, position: int | None = None) -> None:
        """Return once the read model covers ``position`` and everything this process wrote."""
        target = max(position or 0, self._written)
        if target <= self._projector.seen or target <= self._projector.refresh():
            return
        self._projector.catch_up()

    def latest(self) -> int:
        """Bring the read model up to everything recorded so far, by any process; how many
        notifications this call projected."""
        return self._projector.catch_up()

    def follow(self, stop: threading.Event, busy_seconds: float = BUSY_SECONDS,
               idle_seconds: float = IDLE_SECONDS) -> None:
        """Keep the read model close behind the log until ``stop`` is set: the loop of the
        background worker. Polls every ``busy_seconds`` while there is work, backing off to
        ``idle_seconds`` when there is none; this process's own writes wake it at once."""
        interval = busy_seconds
        while not stop.is_set():
            woken = self._new_writes.wait(interval)
            self._new_writes.clear()
            if woken and stop.wait(busy_seconds):  # let a burst of writes gather into one batch
                return
            if stop.is_set():
                return
            applied = self.latest()
            interval = busy_seconds if applied else min(idle_seconds, interval * 2)

    def wake(self) -> None:
        self._new_writes.set()
