"""``/v1/citizen-requests``: the citizen portal files, follows and receives requests.

Each request is further guarded by its own access token (``X-Access-Token``), returned once
at filing, so one citizen can never read another's request even through the same portal.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import StreamingResponse

from broker.application.citizens import CitizenDraft, Citizens
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.citizens import (
    CitizenRequestCreate,
    CitizenRequestFiled,
    CitizenRequestPublic,
)
from broker.entrypoints.api.schemas.requests import DecisionPreview

router = APIRouter(prefix="/citizen-requests", tags=["citizens"])

TokenHeader = Annotated[str, Header(alias="X-Access-Token", min_length=10, max_length=200,
                                    description="the request's own access token")]


def draft(body: CitizenRequestCreate) -> CitizenDraft:
    return CitizenDraft(
        reason=body.reason, name=body.requester.name, contact=body.requester.contact,
        identity_proof=body.identity_proof, claim_reference=body.claim_reference,
        consent_reference=body.consent_reference, incident_kind=body.incident_kind,
        location=(body.location.lat, body.location.lon), occurred_at=body.occurred_at,
        window_start=body.window.start, window_end=body.window.end, radius_m=body.radius_m,
        description=body.description,
    )


@router.post("", status_code=status.HTTP_201_CREATED,
             response_model=CitizenRequestFiled | DecisionPreview,
             **operation(Citizens.file, "File a citizen request (or check it first)", 422, 429,
                         responses={200: {"model": DecisionPreview,
                                          "description": "dry_run: the decision it would get"}}))
def file_request(body: CitizenRequestCreate, broker: BrokerDep, actor: ActorDep,
                 response: Response,
                 dry_run: Annotated[bool, Query(description="judge it now, record nothing")] = False
                 ) -> Any:
    """A request missing a field its basis requires is a 422 naming each field, and nothing is
    recorded."""
    if dry_run:
        response.status_code = status.HTTP_200_OK
        return broker.citizens.dry_run(actor, draft(body))
    return broker.citizens.file(actor, draft(body))


@router.post("/{request_id}/amend", status_code=status.HTTP_201_CREATED,
             response_model=CitizenRequestFiled,
             **operation(Citizens.amend, "Replace a pending citizen request with an amended one",
                         404, 409, 422))
def amend(request_id: UUID, body: CitizenRequestCreate, broker: BrokerDep, actor: ActorDep,
          token: TokenHeader) -> Any:
    return broker.citizens.amend(actor, request_id, token, draft(body))


@router.get("/{request_id}", response_model=CitizenRequestPublic,
            **operation(Citizens.follow, "Follow a citizen request", 404, 422))
def follow(request_id: UUID, broker: BrokerDep, actor: ActorDep, token: TokenHeader) -> Any:
    return broker.citizens.follow(actor, request_id, token)


@router.post("/{request_id}/withdraw", response_model=CitizenRequestPublic,
             **operation(Citizens.withdraw, "Withdraw a citizen request", 404, 409, 422))
def withdraw(request_id: UUID, broker: BrokerDep, actor: ActorDep, token: TokenHeader) -> Any:
    return broker.citizens.withdraw(actor, request_id, token)


@router.get("/{request_id}/delivery", response_class=StreamingResponse,
            **operation(Citizens.deliver, "The approved masked footage, as a signed zip",
                        404, 409, 410, 422,
                        responses={200: {"content": {"application/zip": {
                            "schema": {"type": "string", "format": "binary"}}},
                            "description": "manifest.json, manifest.sig, clips/*.mp4 (H.264)"}}))
def delivery(request_id: UUID, broker: BrokerDep, actor: ActorDep, token: TokenHeader) -> Response:
    package = broker.citizens.deliver(actor, request_id, token)
    return StreamingResponse(
        package.body, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="footage-{package.delivery_id}.zip"',
                 "Content-Length": str(package.size), "ETag": f'"{package.sha256}"',
                 "X-Download-Count": str(package.download), "Cache-Control": "no-store"})
