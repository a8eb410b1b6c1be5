"""Follows the event store's notification log and keeps the read model in step, exactly once.

Each batch is one read-model transaction: view rows and the new position commit together, so
a crash between them is impossible and a restart resumes where the last commit left off.
Concurrent projectors (several API workers) serialise on the position row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from eventsourcing.application import Application
from sqlalchemy import Connection, insert, select, update

from broker.adapters.locks import WriteLock, no_write_lock
from broker.readmodel.database import ReadModelDatabase
from broker.readmodel.tables import projection_positions

Handler = Callable[[Connection, Any], None]


class Observer(Protocol):
    """Sees every notification (whatever its type) and writes at the end of the batch."""

    def observe(self, conn: Connection, notification: Any, event: Any) -> None: ...

    def flush(self, conn: Connection) -> None: ...

    def reset(self) -> None: ...


class Projector:
    def __init__(
        self,
        app: Application[Any],
        db: ReadModelDatabase,
        handlers: Mapping[type, Handler],
        *,
        name: str = "readmodel",
        batch_size: int = 500,
        observers: Sequence[Observer] = (),
        write_lock: WriteLock = no_write_lock,
    ) -> None:
        self._write_lock = write_lock
        self._observers = tuple(observers)
        self._app = app
        self._db = db
        self._handlers = dict(handlers)
        self._name = name
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._seen = 0

    def catch_up(self) -> int:
        """Project everything recorded so far; returns how many notifications were applied."""
        if (self._app.recorder.max_notification_id() or 0) <= self._seen:
            return 0
        applied = 0
        with self._lock:
            while True:
                count = self._project_batch()
                applied += count
                if count < self._batch_size:
                    return applied

    def position(self) -> int:
        with self._db.reader.connect() as conn:
            value = conn.execute(
                select(projection_positions.c.position).where(
                    projection_positions.c.name == self._name
                )
            ).scalar_one_or_none()
        return int(value or 0)

    def _project_batch(self) -> int:
        try:
            return self._project_batch_once()
        except BaseException:
            for observer in self._observers:
                observer.reset()  # the transaction rolled back: so must their batch state
            raise

    def _project_batch_once(self) -> int:
        with self._write_lock(), self._db.writer.begin() as conn:
            position = self._lock_position(conn)
            notifications = self._app.recorder.select_notifications(
                start=position + 1, limit=self._batch_size
            )
            for notification in notifications:
                domain_event = self._app.mapper.to_domain_event(notification)
                handler = self._handlers.get(type(domain_event))
                if handler is not None:
                    handler(conn, domain_event)
                for observer in self._observers:
                    observer.observe(conn, notification, domain_event)
                position = notification.id
            for observer in self._observers:
                observer.flush(conn)
            if notifications:
                conn.execute(
                    update(projection_positions)
                    .where(projection_positions.c.name == self._name)
                    .values(position=position)
                )
        self._seen = max(self._seen, position)
        return len(notifications)

    def _lock_position(self, conn: Connection) -> int:
        query = (
            select(projection_positions.c.position)
            .where(projection_positions.c.name == self._name)
            .with_for_update()
        )
        value = conn.execute(query).scalar_one_or_none()
        if value is not None:
            return int(value)
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(
                pg_insert(projection_positions)
                .values(name=self._name, position=0)
                .on_conflict_do_nothing()
            )
        else:
            conn.execute(insert(projection_positions).values(name=self._name, position=0))
        return int(conn.execute(query).scalar_one())
