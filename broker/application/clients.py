"""API clients: register with a key shown once, revoke, list; and authenticate a bearer key."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from broker.application.actors import Actor
from broker.application.context import UseCases
from broker.domain import apikeys
from broker.domain.client import Client, client_uuid
from broker.domain.person import is_person
from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.errors import Forbidden, NotFound, Unauthenticated
from broker.readmodel.client_view import find_client, list_clients

_DUMMY_HASH = apikeys.hash_secret("not-a-key")


class Clients(UseCases):
    def register(self, actor: Actor, *, name: str, role: Role | str, agency: str) -> tuple[UUID, str]:
        """A new client; returns its id and the API key, which is never stored or shown again.

        The local shell creates any client; an operator signed in as a person, clients of the
        agency roles (never an oversight role: that would let an operator read the audit
        trail). The key works on the very next request, from any process: the command returns
        once the read model knows the client.
        """
        self._require_manager(actor, str(role))
        secret = apikeys.new_secret()
        client = Client.register(name=name, role=str(role), agency=agency,
                                 key_hash=apikeys.hash_secret(secret), at=self.ctx.clock.now(),
                                 by=actor.client_id)
        self.ctx.consistency.wait(self.ctx.app.record(client))
        return client.id, apikeys.format_key(client.id, secret)

    def revoke(self, actor: Actor, client_id: str, reason: str) -> None:
        """Refused from the next request on, in every process (the read model knows on return).

        Idempotent: revoking a revoked client changes nothing and still returns only once the
        read model agrees, so a retry after a crash mid-revocation finishes the job.
        """
        with self.read() as conn:
            row = find_client(conn, str(client_uuid(client_id)))
        self._require_manager(actor, row["role"] if row is not None else None)

        def revoke(client: Client) -> None:
            if client.revoked_at is None:
                client.revoke(reason, at=self.ctx.clock.now(), by=actor.client_id)

        _, position = self.ctx.app.change(client_uuid(client_id), Client, "client", revoke)
        if position is None:
            self.ctx.consistency.latest()
        else:
            self.ctx.consistency.wait(position)

    def get(self, actor: Actor, client_id: str) -> dict[str, Any]:
        """One client (never its key), as whoever may manage it sees it."""
        self._require_manager(actor, None)
        with self.read() as conn:
            row = find_client(conn, str(client_uuid(client_id)))
        if row is None:
            raise NotFound(f"no client {client_id}")
        self._require_manager(actor, row["role"])
        return _public(row)

    def list(self, actor: Actor) -> list[dict[str, Any]]:
        """Every client (never a key)."""
        self._require_manager(actor, None)
        with self.read() as conn:
            return [_public(row) for row in list_clients(conn)]

    def authenticate(self, authorization: str | None) -> Actor:
        """``Authorization: Bearer <api key>`` -> the actor; every failure looks the same."""
        if not authorization:
            raise Unauthenticated("missing Authorization: Bearer <api key>")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <api key>'")
        parsed = apikeys.parse_key(token.strip())
        if parsed is None:
            raise Unauthenticated("invalid API key")
        with self.read_as_is() as conn:  # register and revoke answer once this row shows them
            row = find_client(conn, str(parsed.client_id))
        stored_hash = row["key_hash"] if row is not None else _DUMMY_HASH
        matches = apikeys.secret_matches(parsed.secret, stored_hash)
        if row is None or not matches or row["status"] != "active":
            raise Unauthenticated("invalid API key")
        return Actor(client_id=row["id"], name=row["name"], role=Role(row["role"]),
                     agency=row["agency"])

    @staticmethod
    def _require_manager(actor: Actor, role: str | None) -> None:
        """The shell, or an operator who is a person (not an API client) for agency roles."""
        if actor.is_shell:
            return
        if not (is_person(actor.client_id) and actor.role is Role.OPERATOR):
            raise Forbidden("clients are managed from the broker's own shell (broker clients ...) "
                            "or by an operator signed in to the console")
        if role is not None and role in {r.value for r in OVERSIGHT_ROLES}:
            raise Forbidden(f"clients of role {role!r} are created and revoked only at the shell")


def _public(row: Any) -> dict[str, Any]:
    """A client as the console and the CLI list it: never its key's hash."""
    return {"id": row["id"], "name": row["name"], "role": row["role"], "agency": row["agency"],
            "status": row["status"]}
