"""``/v1/reviews``: privacy officers settle pending requests."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from broker.application.reviews import Reviews
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.requests import RequestPublic, ReviewCreate, ReviewPage
from broker.policy import Scope, TimeWindow

router = APIRouter(prefix="/reviews", tags=["reviews"])


@router.get("", response_model=ReviewPage,
            **operation(Reviews.queue, "Pending reviews, oldest deadline first", 422))
def review_queue(broker: BrokerDep, actor: ActorDep,
                 status: Annotated[str, Query(pattern="^pending$")] = "pending",
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    return broker.reviews.queue(actor, limit)


@router.post("/{request_id}", response_model=RequestPublic,
             **operation(Reviews.review, "Approve or deny a pending request", 404, 409, 422))
def review(request_id: UUID, body: ReviewCreate, broker: BrokerDep, actor: ActorDep) -> Any:
    narrower = None
    if body.scope is not None:
        window = body.scope.window
        narrower = Scope(camera_ids=tuple(body.scope.camera_ids or ()),
                         window=TimeWindow(start=window.start, end=window.end) if window else None)
    return broker.reviews.review(actor, request_id, approve=body.decision == "approve",
                                 reason=body.reason, narrower=narrower)
