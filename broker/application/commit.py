"""Group commit: concurrent commands share one durable step.

Each command hands in its aggregates (and the subject keys their seals were made with) and
waits. Whoever finds nobody leading becomes the leader of the next batch: it takes everything
queued, stores the batch's keys in one keystore transaction, then the batch's events in one
event-store transaction, and wakes each waiter with the notification id of its own last event.
Order holds: a key is durable before any event sealed with it; an event before its answer.

Two batches overlap: once a leader's keys are durable it hands the lead to the first command
that queued meanwhile, whose keys are then written while the first batch's events are (the
two stores are separate files, each with its own fsync). Events are still stored batch after
batch, in order. Every thread leads at most one batch, so no caller's answer waits on a queue
that never drains.

A failure isolates itself: if a batch's transaction fails (one command's version conflict,
one duplicate key), each command of the batch is retried alone, so only the one at fault gets
the error, and the keys it brought are shredded (nothing sealed with them was stored). With a
single caller this is exactly one commit of each store, as before; under load one fsync
serves many.
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
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    done: bool = False
    keys_stored: bool = False
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
        self._queue_lock = threading.Lock()
        self._queue: list[_Unit] = []
        self._leading = False
        self._events_lock = threading.Lock()
        """Held from a batch's hand-over until its events are stored: batches store in order."""

    def commit(self, aggregates: Sequence[Any], keys: Sequence[PendingKey] = ()) -> int | None:
        """Make the aggregates' pending events (and the keys) durable; the notification id of the
        last event stored for them (None if they had none). Raises what their save raised."""
        # Collected now: a failed batch would otherwise have taken them from the aggregates.
        unit = _Unit([event for aggregate in aggregates for event in aggregate.collect_events()],
                     keys)
        with self._queue_lock:
            self._queue.append(unit)
            if not self._leading:
                self._leading = unit.leads = True
        while not unit.done:
            if unit.leads:
                self._lead()
            else:
                unit.wake.wait()
                unit.wake.clear()
        if unit.error is not None:
            raise unit.error
        self._on_durable(unit.position)
        return unit.position

    def _lead(self) -> None:
        with self._queue_lock:
            batch, self._queue = self._queue[:self._max_batch], self._queue[self._max_batch:]
        handed_over = False
        try:
            self._store_keys(batch)
            with self._events_lock:
                self._hand_over()
                handed_over = True
                self._store_events(batch)
        except BaseException as exc:  # a bug or an interrupt: nobody may wait forever
            for unit in batch:
                if unit.error is None and unit.position is None:
                    unit.error = exc
            raise
        finally:
            if not handed_over:
                self._hand_over()
            for unit in batch:
                unit.done = True
                unit.wake.set()

    def _hand_over(self) -> None:
        """The lead passes to the first command queued since this batch was taken (if any)."""
        with self._queue_lock:
            if not self._queue:
                self._leading = False
                return
            successor = self._queue[0]
            successor.leads = True
        successor.wake.set()

    def _store_keys(self, batch: Sequence[_Unit]) -> None:
        keys = [key for unit in batch for key in unit.keys]
        if keys:
            try:
                self._keystore.insert_keys(keys)
            except Exception:
                for unit in batch:  # one duplicate must not cost the others their keys
                    try:
                        self._keystore.insert_keys(unit.keys)
                    except BaseException as exc:
                        unit.error = exc
                        continue
                    unit.keys_stored = True
                return
        for unit in batch:
            unit.keys_stored = True

    def _store_events(self, batch: Sequence[_Unit]) -> None:
        ready = [unit for unit in batch if unit.keys_stored]
        try:
            self._save(ready)
        except Exception:
            for unit in ready:
                try:
                    self._save([unit])
                except BaseException as exc:
                    unit.error = exc
                    if unit.keys:  # nothing sealed with them was stored
                        self._keystore.shred_many([key.key_id for key in unit.keys])

    def _save(self, units: Sequence[_Unit]) -> None:
        events = [event for unit in units for event in unit.events]
        recordings = self._app.save(*events) if events else []
        stored = {id(recording.domain_event): recording.notification.id for recording in recordings}
        for unit in units:
            ids = [stored[id(event)] for event in unit.events if id(event) in stored]
            unit.position = max(ids) if ids else None
