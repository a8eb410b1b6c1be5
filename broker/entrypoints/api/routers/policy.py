"""``/v1/policy``: the active policy pack, so clients can discover bases and limits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from broker.application.policies import Policies
from broker.entrypoints.api.basis_forms import with_request_schemas
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.policy import PolicyPublic

router = APIRouter(prefix="/policy", tags=["policy"])


@router.get("", response_model=PolicyPublic,
            **operation(Policies.active, "The active policy pack"))
def active_policy(broker: BrokerDep, actor: ActorDep) -> Any:
    """Per basis: who may invoke it, what it requires, its limits, how it is decided, and the
    JSON Schema of the request that files under it (build a form from it)."""
    return with_request_schemas(broker.policies.active(actor))
