"""Request-scoped dependencies: the broker, the authenticated principal, role checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from broker.bootstrap import Broker
from broker.domain import apikeys
from broker.domain.roles import Role
from broker.errors import Forbidden, Unauthenticated
from broker.readmodel.client_view import find_client

_DUMMY_HASH = apikeys.hash_secret("not-a-key")


def get_broker(request: Request) -> Broker:
    broker: Broker = request.app.state.broker
    return broker


BrokerDep = Annotated[Broker, Depends(get_broker)]


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    name: str
    role: Role
    agency: str


def authenticate(request: Request, broker: BrokerDep) -> Principal:
    """Bearer API key -> principal; every failure looks the same to the caller."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthenticated("missing Authorization: Bearer <api key>")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be 'Bearer <api key>'")
    parsed = apikeys.parse_key(token.strip())
    if parsed is None:
        raise Unauthenticated("invalid API key")
    # Revocations and new clients may come from another process (the CLI): catch up first.
    broker.projector.catch_up()
    with broker.readmodel.reader.connect() as conn:
        row = find_client(conn, str(parsed.client_id))
    stored_hash = row["key_hash"] if row is not None else _DUMMY_HASH
    matches = apikeys.secret_matches(parsed.secret, stored_hash)
    if row is None or not matches or row["status"] != "active":
        raise Unauthenticated("invalid API key")
    return Principal(client_id=row["id"], name=row["name"], role=Role(row["role"]),
                     agency=row["agency"])


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    allowed = frozenset(roles)

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Forbidden(f"role {principal.role.value!r} may not do this; allowed: {names}")
        return principal

    return check


OperatorDep = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]
RequesterDep = Annotated[
    Principal, Depends(require_roles(Role.POLICE, Role.FIRE, Role.DISASTER, Role.PRIVACY_OFFICER))
]
PrivacyOfficerDep = Annotated[Principal, Depends(require_roles(Role.PRIVACY_OFFICER))]
OversightDep = Annotated[Principal, Depends(require_roles(Role.PRIVACY_OFFICER, Role.AUDITOR))]
CitizenPortalDep = Annotated[Principal, Depends(require_roles(Role.CITIZEN_PORTAL))]
HoldKeeperDep = Annotated[Principal, Depends(require_roles(Role.POLICE, Role.PRIVACY_OFFICER))]
