"""``/v1/requests``: agencies submit footage requests, follow them and close them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, status

from broker.application.requests import RequestDraft, Requests
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.requests import (
    CloseRequest,
    FootageRequestCreate,
    RequestPublic,
)

router = APIRouter(prefix="/requests", tags=["requests"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RequestPublic,
             **operation(Requests.submit, "Submit a footage request", 422))
def submit_request(body: FootageRequestCreate, broker: BrokerDep, actor: ActorDep) -> Any:
    location = body.incident.location
    draft = RequestDraft(
        legal_basis=body.legal_basis, mode=body.mode, radius_m=body.radius_m,
        window_start=body.window.start, window_end=body.window.end,
        incident_reference=body.incident.reference, incident_kind=body.incident.kind,
        location=(location.lat, location.lon) if location else None,
        occurred_at=body.incident.occurred_at, purpose=body.purpose,
    )
    return broker.requests.submit(actor, draft)


@router.get("/{request_id}", response_model=RequestPublic,
            **operation(Requests.get, "A request: status, decision, grant", 404, 422))
def get_request(request_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.requests.get(actor, request_id)


@router.post("/{request_id}/close", response_model=RequestPublic,
             **operation(Requests.close, "Close a request (investigative use ended)",
                         404, 409, 422))
def close_request(request_id: UUID, broker: BrokerDep, actor: ActorDep,
                  body: CloseRequest | None = None) -> Any:
    return broker.requests.close(actor, request_id, (body or CloseRequest()).reason)
