"""Read-your-writes by position: a query that must see a command's events waits for them here.

Commands return the notification id of the last event they stored; the read model tracks the
position it has reached. Waiting means pulling the log into the read model until that position
is covered (SQLite cannot push; several processes share one position row, so whoever pulls
first does the work and the others find it done). This is the only caller of ``catch_up``.
"""

from __future__ import annotations

from broker.readmodel.projection import Projector


class ReadYourWrites:
    def __init__(self, projector: Projector) -> None:
        self._projector = projector

    def wait(self, position: int | None) -> None:
        """Return once the read model covers ``position`` (None: nothing was written)."""
        if position is None or position <= self._projector.seen:
            return
        self._projector.catch_up()

    def latest(self) -> int:
        """Bring the read model up to everything recorded so far, by any process."""
        return self._projector.catch_up()
