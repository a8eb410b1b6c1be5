"""API clients as seen by authentication: role, agency, key hash, revoked or not."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, RowMapping, insert, select, update

from broker.domain import events
from broker.readmodel.projection import ViewProjection
from broker.readmodel.tables import clients


class ClientView(ViewProjection):
    """Clients as authentication sees them: role, agency, key hash, revoked or not."""

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a client event."""

    @process_event.register(events.ClientRegistered)
    def _registered(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(insert(clients).values(
            id=str(event.originator_id), name=event.name, role=event.role, agency=event.agency,
            key_hash=event.key_hash, status="active", registered_at=event.at,
        ))

    @process_event.register(events.ClientRevoked)
    def _revoked(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(update(clients).where(clients.c.id == str(event.originator_id))
                          .values(status="revoked", revoked_at=event.at))


def find_client(conn: Connection, client_id: str) -> RowMapping | None:
    return conn.execute(select(clients).where(clients.c.id == client_id)).mappings().one_or_none()


def list_clients(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(clients).order_by(clients.c.registered_at, clients.c.id)).mappings())
