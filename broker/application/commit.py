"""Group commit: concurrent commands share one durable step.

Each command hands in its aggregates (and the subject keys their seals were made with) and
waits. Whoever finds nobody committing becomes the leader: it takes everything queued, stores
the batch's keys in one keystore transaction, then the batch's events in one event-store
transaction, and wakes each waiter with the notification id of its own last event. Order
holds: a key is durable before any event sealed with it; an event before its answer.

A failure isolates itself: if the batch's transaction fails (one command's version conflict,
one duplicate key), each command of the batch is committed alone, so only the one at fault
gets the error. With a single caller this is exactly one commit, as before; under load one
fsync serves many.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from broker.adapters.vault.keystore import Keystore, PendingKey
from broker.application.core import BrokerApp

MAX_BATCH = 128


@dataclass(eq=False)
class _Unit:
    events: Sequence[Any]
    keys: Sequence[PendingKey]
    done: threading.Event = field(default_factory=threading.Event)
    position: int | None = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, app: BrokerApp, keystore: Keystore,
                 on_durable: Callable[[int | None], None] = lambda position: None,
                 max_batch: int = MAX_BATCH) -> None:
        self._app = app
        self._keystore = keystore
        self._on_durable = on_durable
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Unit] = []
        self._leading = False

    def commit(self, aggregates: Sequence[Any], keys: Sequence[PendingKey] = ()) -> int | None:
        """Make the aggregates' pending events (and the keys) durable; the notification id of the
        last event stored for them (None if they had none). Raises what their save raised."""
        # Collected now: a failed batch would otherwise have taken them from the aggregates.
        unit = _Unit([event for aggregate in aggregates for event in aggregate.collect_events()],
                     keys)
        with self._lock:
            self._queue.append(unit)
            lead = not self._leading
            if lead:
                self._leading = True
        if lead:
            self._lead()
        unit.done.wait()
        if unit.error is not None:
            raise unit.error
        self._on_durable(unit.position)
        return unit.position

    def _lead(self) -> None:
        while True:
            with self._lock:
                batch, self._queue = self._queue[:self._max_batch], self._queue[self._max_batch:]
                if not batch:
                    self._leading = False
                    return
            try:
                self._store(batch)
            except Exception:
                for unit in batch:
                    try:
                        self._store([unit])
                    except BaseException as exc:
                        unit.error = exc
            for unit in batch:
                unit.done.set()

    def _store(self, batch: Sequence[_Unit]) -> None:
        keys = [key for unit in batch for key in unit.keys]
        if keys:
            self._keystore.insert_keys(keys)
        events = [event for unit in batch for event in unit.events]
        try:
            recordings = self._app.save(*events) if events else []
        except BaseException:
            if keys:
                self._keystore.shred_many([key.key_id for key in keys])  # nothing sealed with them
            raise
        stored = {id(recording.domain_event): recording.notification.id for recording in recordings}
        for unit in batch:
            ids = [stored[id(event)] for event in unit.events if id(event) in stored]
            unit.position = max(ids) if ids else None
