"""Privacy officers: the queue of pending requests (oldest deadline first) and their decisions."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from broker.entrypoints.api.deps import BrokerDep, PrivacyOfficerDep
from broker.entrypoints.api.routers.requests import load_request
from broker.entrypoints.api.schemas import ReviewCreate
from broker.errors import InvalidInput
from broker.policy import Scope, TimeWindow
from broker.readmodel import request_view

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.get("")
def review_queue(broker: BrokerDep, principal: PrivacyOfficerDep,
                 status: Annotated[str, Query(pattern="^pending$")] = "pending",
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    with broker.readmodel.reader.connect() as conn:
        rows = request_view.pending_reviews(conn, limit)
    now = broker.clock.now()
    items = []
    for row in rows:
        item = request_view.request_public(row)
        deadline = row["review_deadline"]
        item["overdue"] = deadline is not None and now > deadline.replace(tzinfo=now.tzinfo)
        items.append(item)
    return {"items": items, "next_cursor": None}


@router.post("/{request_id}")
def review(request_id: UUID, body: ReviewCreate, broker: BrokerDep,
           principal: PrivacyOfficerDep) -> dict[str, Any]:
    if not body.reason.strip():
        raise InvalidInput("reason must not be blank")
    narrower = None
    if body.scope is not None:
        if body.decision != "approve":
            raise InvalidInput("a scope can only be given with an approval")
        window = body.scope.window
        narrower = Scope(camera_ids=tuple(body.scope.camera_ids or ()),
                         window=TimeWindow(start=window.start, end=window.end) if window else None)
    broker.app.review_footage_request(request_id, principal.client_id,
                                      body.decision == "approve", body.reason, narrower)
    broker.projector.catch_up()
    return load_request(broker, str(request_id), principal)
