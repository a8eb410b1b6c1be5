"""``/v1/requests``: agencies submit footage requests (or check them first), follow, amend,
withdraw and close them."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from broker.application.requests import RequestDraft, Requests
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.requests import (
    CloseRequest,
    DecisionPreview,
    FootageRequestCreate,
    RequestPublic,
)

router = APIRouter(prefix="/requests", tags=["requests"])

DryRun = Annotated[bool, Query(description="judge it now and record nothing (rate-limited)")]


def draft(body: FootageRequestCreate) -> RequestDraft:
    location = body.incident.location
    return RequestDraft(
        legal_basis=body.legal_basis, mode=body.mode, radius_m=body.radius_m,
        window_start=body.window.start, window_end=body.window.end,
        incident_reference=body.incident.reference, incident_kind=body.incident.kind,
        location=(location.lat, location.lon) if location else None,
        occurred_at=body.incident.occurred_at, purpose=body.purpose,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RequestPublic | DecisionPreview,
             **operation(Requests.submit, "Submit a footage request (or check it first)", 422, 429,
                         responses={200: {"model": DecisionPreview,
                                          "description": "dry_run: the decision it would get"}}))
def submit_request(body: FootageRequestCreate, broker: BrokerDep, actor: ActorDep,
                   response: Response, dry_run: DryRun = False) -> Any:
    """A request missing a field its basis requires is a 422 naming each field, and nothing is
    recorded; a complete one is judged and recorded, granted or denied with reasons."""
    if dry_run:
        response.status_code = status.HTTP_200_OK
        return broker.requests.dry_run(actor, draft(body))
    return broker.requests.submit(actor, draft(body))


@router.get("/{request_id}", response_model=RequestPublic,
            **operation(Requests.get, "A request: status, decision, grant", 404, 422))
def get_request(request_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.requests.get(actor, request_id)


@router.post("/{request_id}/amend", status_code=status.HTTP_201_CREATED,
             response_model=RequestPublic,
             **operation(Requests.amend, "Replace a pending request with an amended one",
                         404, 409, 422))
def amend_request(request_id: UUID, body: FootageRequestCreate, broker: BrokerDep,
                  actor: ActorDep) -> Any:
    return broker.requests.amend(actor, request_id, draft(body))


@router.post("/{request_id}/withdraw", response_model=RequestPublic,
             **operation(Requests.withdraw, "Withdraw a request", 404, 409, 422))
def withdraw_request(request_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.requests.withdraw(actor, request_id)


@router.post("/{request_id}/close", response_model=RequestPublic,
             **operation(Requests.close, "Close a request (investigative use ended)",
                         404, 409, 422))
def close_request(request_id: UUID, broker: BrokerDep, actor: ActorDep,
                  body: CloseRequest | None = None) -> Any:
    return broker.requests.close(actor, request_id, (body or CloseRequest()).reason)
