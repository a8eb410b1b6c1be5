"""``/v1/holds``: legal holds that keep footage past retention for a case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, status

from broker.application.holds import Holds
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.holds import HoldCreate, HoldPublic, HoldRelease

router = APIRouter(prefix="/holds", tags=["holds"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HoldPublic,
             **operation(Holds.place, "Place a legal hold", 404, 422))
def place_hold(body: HoldCreate, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.holds.place(
        actor, case_reference=body.case_reference, camera_ids=[str(c) for c in body.camera_ids],
        start=body.window.start, end=body.window.end, request_id=body.request_id,
        reason=body.reason, until=body.until)


@router.get("/{hold_id}", response_model=HoldPublic, **operation(Holds.get, "A hold", 404, 422))
def get_hold(hold_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.holds.get(actor, hold_id)


@router.delete("/{hold_id}", response_model=HoldPublic,
               **operation(Holds.release, "Release a hold", 404, 409, 422))
def release_hold(hold_id: UUID, broker: BrokerDep, actor: ActorDep,
                 body: HoldRelease | None = None) -> Any:
    return broker.holds.release(actor, hold_id, (body or HoldRelease()).reason)
