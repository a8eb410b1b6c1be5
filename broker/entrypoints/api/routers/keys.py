"""``/v1/keys``: the broker's public keys, for anyone verifying what it signed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from broker.application.oversight import Oversight
from broker.entrypoints.api.deps import BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.policy import PublicKeys

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("/public", response_model=PublicKeys,
            **operation(Oversight.public_keys, "Public signing keys", authenticated=False))
def public_keys(broker: BrokerDep) -> Any:
    return broker.oversight.public_keys()
