"""Read-your-writes by position: a query sees every event this process recorded before it.

Commands return the notification id of the last event they stored, and report it here. The
read model tracks the position it has reached. A query waits until the read model covers the
newest position this process wrote (or a position it names): pulling the log into the read
model if the projector has not got there yet (SQLite cannot push; several processes share
one position row, so whoever pulls first does the work and the others find it done). A
follower thread projects behind the writes as they happen, so a query rarely waits at all,
and a command's answer never does. This is the only caller of ``catch_up``.
"""

from __future__ import annotations

import threading

from broker.readmodel.projection import Projector

IDLE_SECONDS = 1.0
"""How often the follower looks for what other processes wrote, when this one writes nothing."""


class ReadYourWrites:
    def __init__(self, projector: Projector) -> None:
        self._projector = projector
        self._written = 0
        self._lock = threading.Lock()
        self._new_writes = threading.Event()

    def recorded(self, position: int | None) -> None:
        """A command of this process made ``position`` durable: wake the follower."""
        if position is None:
            return
        with self._lock:
            self._written = max(self._written, position)
        self._new_writes.set()

    def wait(self, position: int | None = None) -> None:
        """Return once the read model covers ``position`` and everything this process wrote."""
        target = max(position or 0, self._written)
        if target <= self._projector.seen:
            return
        self._projector.catch_up()

    def latest(self) -> int:
        """Bring the read model up to everything recorded so far, by any process."""
        return self._projector.catch_up()

    def follow(self, stop: threading.Event, idle_seconds: float = IDLE_SECONDS) -> None:
        """Project behind the writes until ``stop`` is set (a thread of a serving process)."""
        while not stop.is_set():
            self._new_writes.wait(idle_seconds)
            self._new_writes.clear()
            if not stop.is_set():
                self.latest()

    def wake(self) -> None:
        self._new_writes.set()
