"""The read model as eventsourcing 9.5 shapes a projection, pulled batch by batch, exactly once.

- ``ReadModelView`` is the materialised view: the SQL read model as a ``TrackingRecorder``. View
  rows and the tracking position commit in one transaction, so a crash between them is
  impossible and a restart resumes where the last commit left off.
- Each view module is a ``ViewProjection`` (``Projection`` with ``singledispatchmethod``
  handlers, one per event type it cares about); the audit trail is one too, and sees every event.
- ``Projector`` runs them in notification order. SQLite cannot ``subscribe``, so the log is
  pulled: whoever needs a position reached (a query after a command, a follower thread) pulls.
  Concurrent projectors (several API workers) serialise on the position row.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Notification, Tracking, TrackingRecorder
from eventsourcing.projection import Projection
from sqlalchemy import Connection, insert, select, update

from broker.adapters.locks import WriteLock, no_write_lock
from broker.readmodel.database import ReadModelDatabase
from broker.readmodel.tables import projection_positions


@dataclass(frozen=True)
class Position(Tracking):
    """A tracking position that also carries the stored notification: the audit trail hashes
    exactly the stored bytes into its Merkle leaf."""

    notification: Notification


class ReadModelView(TrackingRecorder):
    """The read model's database as a tracking recorder; ``connection`` is the open batch."""

    def __init__(self, db: ReadModelDatabase, name: str = "readmodel") -> None:
        self.db = db
        self.name = name
        self._batch = threading.local()  # each projecting thread has its own open batch

    @property
    def connection(self) -> Connection:
        connection: Connection | None = getattr(self._batch, "connection", None)
        if connection is None:
            raise RuntimeError("the read model is written only inside a projection batch")
        return connection

    def max_tracking_id(self, application_name: str) -> int | None:
        with self.db.reader.connect() as conn:
            value = conn.execute(select(projection_positions.c.position)
                                 .where(projection_positions.c.name == self.name)).scalar_one_or_none()
        return None if value is None else int(value)

    def insert_tracking(self, tracking: Tracking) -> None:
        self.connection.execute(update(projection_positions)
                                .where(projection_positions.c.name == self.name)
                                .values(position=tracking.notification_id))

    @contextmanager
    def batch(self) -> Iterator[int]:
        """One write transaction holding the position row; yields the position it starts from."""
        with self.db.writer.begin() as conn:
            self._batch.connection = conn
            try:
                yield self._lock_position(conn)
            finally:
                self._batch.connection = None

    def _lock_position(self, conn: Connection) -> int:
        query = (select(projection_positions.c.position)
                 .where(projection_positions.c.name == self.name).with_for_update())
        value = conn.execute(query).scalar_one_or_none()
        if value is not None:
            return int(value)
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(projection_positions).values(name=self.name, position=0)
                         .on_conflict_do_nothing())
        else:
            conn.execute(insert(projection_positions).values(name=self.name, position=0))
        return int(conn.execute(query).scalar_one())


class ViewProjection(Projection[ReadModelView]):
    """A view of the read model; handlers write through ``self.view.connection``.

    ``flush`` runs once at the end of a batch (before its position is recorded): a projection
    may gather rows there for one ``executemany``. ``discard`` runs if the batch rolled back.
    """

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Events this view does not show."""

    @property
    def conn(self) -> Connection:
        return self.view.connection

    def flush(self) -> None:
        """Nothing is held back by default."""

    def discard(self) -> None:
        """Nothing is held back by default."""


class Projector:
    """Brings the read model up to the event store's notification log, in batches."""

    def __init__(self, app: Application[Any], view: ReadModelView,
                 projections: Sequence[ViewProjection], *, batch_size: int = 500,
                 write_lock: WriteLock = no_write_lock) -> None:
        self._app = app
        self.view = view
        self._projections = tuple(projections)
        self._batch_size = batch_size
        self._write_lock = write_lock
        self._lock = threading.Lock()
        self._seen = 0

    @property
    def seen(self) -> int:
        """The highest position this process knows the read model has reached."""
        return self._seen

    def refresh(self) -> int:
        """The position the read model has reached, whichever process projected it."""
        self._seen = max(self._seen, self.position())
        return self._seen

    def catch_up(self) -> int:
        """Project everything recorded so far; returns how many notifications this call applied."""
        latest = self._app.recorder.max_notification_id() or 0
        if latest <= self._seen or latest <= self.refresh():
            return 0
        applied = 0
        with self._lock:
            while True:
                count = self._project_batch()
                applied += count
                if count < self._batch_size:
                    return applied

    def position(self) -> int:
        return self.view.max_tracking_id(self._app.name) or 0

    def _project_batch(self) -> int:
        try:
            with self._write_lock(), self.view.batch() as position:
                notifications = self._app.recorder.select_notifications(
                    start=position + 1, limit=self._batch_size)
                # Bound once per batch: binding a singledispatchmethod builds a new wrapper
                # each time, which cost more than most handlers' own work.
                handlers = [projection.process_event for projection in self._projections]
                to_domain_event = self._app.mapper.to_domain_event
                for notification in notifications:
                    domain_event = to_domain_event(notification)
                    tracking = Position(self._app.name, notification.id, notification)
                    for handle in handlers:
                        handle(domain_event, tracking)
                    position = notification.id
                for projection in self._projections:
                    projection.flush()
                if notifications:
                    self.view.insert_tracking(Tracking(self._app.name, position))
        except BaseException:
            for projection in self._projections:
                projection.discard()  # the transaction rolled back: so must their held rows
            raise
        self._seen = max(self._seen, position)
        return len(notifications)
