"""API clients as seen by authentication: role, agency, key hash, revoked or not."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from broker.domain.client import Client
from broker.readmodel.projector import Handler
from broker.readmodel.tables import clients


def on_registered(conn: Connection, event: Any) -> None:
    conn.execute(
        insert(clients).values(
            id=str(event.originator_id), name=event.name, role=event.role, agency=event.agency,
            key_hash=event.key_hash, status="active", registered_at=event.at,
        )
    )


def on_revoked(conn: Connection, event: Any) -> None:
    conn.execute(
        update(clients).where(clients.c.id == str(event.originator_id))
        .values(status="revoked", revoked_at=event.at)
    )


HANDLERS: dict[type, Handler] = {
    Client.Registered: on_registered,  # type: ignore[attr-defined]
    Client.Revoked: on_revoked,  # type: ignore[attr-defined]
}


def find_client(conn: Connection, client_id: str) -> RowMapping | None:
    return conn.execute(select(clients).where(clients.c.id == client_id)).mappings().one_or_none()


def list_clients(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(clients).order_by(clients.c.registered_at, clients.c.id)).mappings())
