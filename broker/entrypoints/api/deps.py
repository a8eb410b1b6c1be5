"""Request-scoped dependencies: the broker and the authenticated actor.

Permissions are not checked here: each use case decides its own (``@allowed``), so that a
rule lives in one place whichever entrypoint calls it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from broker.application.actors import Actor
from broker.bootstrap import Broker

bearer = HTTPBearer(auto_error=False, scheme_name="apiKey",
                    description="An API key from `broker clients add`: `Bearer fb_<id>_<secret>`.")


def get_broker(request: Request) -> Broker:
    broker: Broker = request.app.state.broker
    return broker


BrokerDep = Annotated[Broker, Depends(get_broker)]


def current_actor(request: Request, broker: BrokerDep,
                  _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Actor:
    """Bearer API key -> the actor; every failure is the same 401."""
    return broker.clients.authenticate(request.headers.get("authorization"))


ActorDep = Annotated[Actor, Depends(current_actor)]
