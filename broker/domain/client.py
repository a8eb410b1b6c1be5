"""An API client (a dispatch system, a portal, an officer's console) and its key's hash."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.roles import Role
from broker.domain.topics import topic
from broker.domain.versions import gained_who_acted


class Client(Aggregate):
    TOPIC = topic("Client")

    class Event(Aggregate.Event):
        TOPIC = topic("Client.Event")

    @event("Registered", topic=topic("Client.Registered"))
    def __init__(self, name: str, role: str, agency: str, key_hash: str, at: datetime,
                 by: str | None = None) -> None:
        """``by``: who registered it (None in events recorded before that was kept)."""
        self.name = name
        self.role = role
        self.agency = agency
        self.key_hash = key_hash
        self.registered_at = at
        self.revoked_at: datetime | None = None

    @classmethod
    def register(cls, *, name: str, role: str, agency: str, key_hash: str, at: datetime,
                 by: str | None = None) -> Client:
        if role not in {r.value for r in Role}:
            raise DomainInvalid(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}")
        if not name.strip() or not agency.strip():
            raise DomainInvalid("client name and agency must not be empty")
        if len(key_hash) != 64:
            raise DomainInvalid("key hash must be a SHA-256 hex digest")
        return cls(name=name, role=role, agency=agency, key_hash=key_hash, at=at, by=by)

    def revoke(self, reason: str, at: datetime, by: str | None = None) -> None:
        if self.revoked_at is not None:
            raise DomainConflict(f"client {self.id} is already revoked")
        if not reason.strip():
            raise DomainInvalid("say why the client is revoked")
        self._revoked(reason=reason, at=at, by=by)

    @event("Revoked", topic=topic("Client.Revoked"))
    def _revoked(self, reason: str, at: datetime, by: str | None = None) -> None:
        self.revoked_at = at


gained_who_acted(Client.Registered, Client.Revoked)  # type: ignore[attr-defined]


def client_uuid(value: str) -> UUID:
    """Parse a client id from user input; a malformed id is simply unknown."""
    from broker.errors import NotFound

    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no client {value!r}") from None
