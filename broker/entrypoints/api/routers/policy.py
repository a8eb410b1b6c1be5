"""``/v1/policy``: the active policy pack, so clients can discover bases and limits; what a
draft would have decided, for privacy officers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from broker.application.policies import Policies
from broker.entrypoints.api.basis_forms import with_request_schemas
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.analytics import ReplayBody, ReplayReport
from broker.entrypoints.api.schemas.policy import PolicyPublic

router = APIRouter(prefix="/policy", tags=["policy"])


@router.get("", response_model=PolicyPublic,
            **operation(Policies.active, "The active policy pack"))
def active_policy(broker: BrokerDep, actor: ActorDep) -> Any:
    """Per basis: who may invoke it, what it requires, its limits, how it is decided, and the
    JSON Schema of the request that files under it (build a form from it)."""
    return with_request_schemas(broker.policies.active(actor))


@router.post("/replay", response_model=ReplayReport,
             **operation(Policies.replay, "What a draft pack would have decided", 422))
def replay_draft(body: ReplayBody, broker: BrokerDep, actor: ActorDep) -> Any:
    """Body: the draft pack as TOML text and, optionally, the window of submission times to
    replay (the past year by default). Nothing is recorded, nothing personal is answered."""
    window = body.window
    return broker.policies.replay(actor, body.pack, window.start if window else None,
                                  window.end if window else None, examples=body.examples)
