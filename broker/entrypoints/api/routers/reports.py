"""``/v1/reports``: what the public may know, in aggregate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from broker.application.oversight import Oversight
from broker.entrypoints.api.deps import BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.audit import TransparencyReport

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/transparency", response_model=TransparencyReport,
            **operation(Oversight.transparency, "The yearly transparency report", 422,
                        authenticated=False))
def transparency(broker: BrokerDep, year: Annotated[int, Query(ge=2000, le=2100)]) -> Any:
    return broker.oversight.transparency(year)
