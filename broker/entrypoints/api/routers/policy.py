"""The active policy pack, so clients can discover basis ids, citations and limits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from broker.entrypoints.api.deps import BrokerDep, PrincipalDep
from broker.policy import pack_public_view

router = APIRouter(prefix="/v1", tags=["policy"])


@router.get("/policy")
def active_policy(broker: BrokerDep, _: PrincipalDep) -> dict[str, Any]:
    return pack_public_view(broker.policy)
