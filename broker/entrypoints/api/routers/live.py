"""``/v1/live``: stream gateways check live-view tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from broker.application.grants import Grants
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.grants import LiveVerification, LiveVerify

router = APIRouter(prefix="/live", tags=["live"])


@router.post("/verify", response_model=LiveVerification,
             **operation(Grants.verify_live_token, "Check a live-view token", 422))
def verify_live_token(body: LiveVerify, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.grants.verify_live_token(actor, body.token)
