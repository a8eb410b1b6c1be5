"""The event-sourced core: aggregates in, events out, every write returning its position.

``BrokerApp`` is eventsourcing's ``Application`` with the broker's persistence (SQLite or
PostgreSQL, chosen by the env given) and a few typed helpers the use cases share: load an
aggregate of a kind, save and learn the notification id written, retry a change on a
concurrent write. The use cases themselves live in the modules beside this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError

from broker.adapters.locks import WriteLock, no_write_lock
from broker.adapters.vault.keystore import Keystore, PendingKey
from broker.errors import Conflict, NotFound

if TYPE_CHECKING:
    from broker.application.commit import GroupCommit

A = TypeVar("A")
SAVE_ATTEMPTS = 5
RecordConflict = RecordConflictError


class BrokerApp(Application[UUID]):
    """Persistence of the broker's aggregates; one writer at a time on SQLite."""

    name = "FootageBroker"

    def __init__(self, env: Mapping[str, str], write_lock: WriteLock = no_write_lock) -> None:
        super().__init__(env)
        self._write_lock = write_lock
        self._group: GroupCommit | None = None

    def use_group_commit(self, keystore: Keystore,
                         on_durable: Callable[[int | None], None]) -> None:
        """From now on ``record`` shares durable steps with concurrent callers, and tells
        ``on_durable`` each position it made durable."""
        from broker.application.commit import GroupCommit

        self._group = GroupCommit(self, keystore, on_durable)

    def _record(self, processing_event: Any) -> Any:
        """Every write to the event store passes here: queue writers instead of busy-polling."""
        with self._write_lock():
            return super()._record(processing_event)

    def record(self, *aggregates: Any, keys: Sequence[PendingKey] = ()) -> int | None:
        """Save atomically, with the subject ``keys`` their seals use (stored first); the
        notification id of the last event stored (None if none was)."""
        if self._group is not None:
            return self._group.commit(aggregates, keys)
        if keys:
            raise RuntimeError("subject keys are stored by the group commit")
        recordings = self.save(*aggregates)
        return recordings[-1].notification.id if recordings else None

    def load(self, aggregate_id: UUID, kind: type[A], noun: str) -> A:
        """The aggregate, or NotFound (also when the id belongs to another kind)."""
        found = self.find(aggregate_id, kind)
        if found is None:
            raise NotFound(f"no {noun} {aggregate_id}")
        return found

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def change(self, aggregate_id: UUID, kind: type[A], noun: str,
               mutate: Callable[[A], object]) -> tuple[A, int | None]:
        """Load, change, save; on a concurrent write (version conflict) reload and try again."""
        for attempt in range(SAVE_ATTEMPTS):
            aggregate = self.load(aggregate_id, kind, noun)
            mutate(aggregate)
            try:
                return aggregate, self.record(aggregate)
            except RecordConflict:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise Conflict(f"{noun} {aggregate_id} is busy; try again") from None
        raise AssertionError("unreachable")

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))
