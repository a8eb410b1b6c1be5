"""``/v1/redactions``: privacy officers review the masking of citizen deliveries; and the
overlay zones of cameras (``/v1/cameras/{camera_id}/overlay-zones``)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from broker.application.redactions import Redactions
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.redactions import (
    ApprovalCreate,
    CorrectionCreate,
    DraftFrame,
    OverlayZonesPublic,
    OverlayZonesPut,
    RedactionPage,
    RedactionPublic,
)

router = APIRouter(tags=["redaction"])


@router.get("/redactions", response_model=RedactionPage,
            **operation(Redactions.queue, "Redactions to review, and failed ones"))
def queue(broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.redactions.queue(actor)


@router.get("/redactions/{request_id}", response_model=RedactionPublic,
            **operation(Redactions.view, "A request's redaction: job, draft, corrections, copy", 404, 422))
def view(request_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.redactions.view(actor, request_id)


@router.post("/redactions/{request_id}", response_model=RedactionPublic,
             **operation(Redactions.request, "Start a request's redaction, or retry a failed one",
                         404, 409, 422))
def request(request_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.redactions.request(actor, request_id)


@router.post("/redactions/{request_id}/corrections", response_model=RedactionPublic,
             **operation(Redactions.correct, "Correct a draft: keep tracks, add or remove boxes",
                         404, 409, 410, 422))
def correct(request_id: UUID, body: CorrectionCreate, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.redactions.correct(actor, request_id, body.clip_id, keep=body.keep, unkeep=body.unkeep,
                                     add=[box.model_dump() for box in body.add], remove=body.remove,
                                     note=body.note)


@router.post("/redactions/{request_id}/approval", response_model=RedactionPublic,
             **operation(Redactions.approve, "Approve the redaction: the masked copy is rendered",
                         404, 409, 422))
def approve(request_id: UUID, body: ApprovalCreate, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.redactions.approve(actor, request_id, body.note)


@router.get("/redactions/{request_id}/clips/{clip_id}/boxes", response_model=DraftFrame,
            **operation(Redactions.boxes, "A draft's tracks, and the boxes masked in one frame",
                        404, 409, 410, 422))
def boxes(request_id: UUID, clip_id: UUID, broker: BrokerDep, actor: ActorDep,
          frame: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Any:
    return broker.redactions.boxes(actor, request_id, clip_id, frame)


@router.get("/redactions/{request_id}/clips/{clip_id}/preview", response_class=Response,
            **operation(Redactions.preview, "One draft frame with its boxes drawn (JPEG)",
                        404, 409, 410, 422, 503,
                        responses={200: {"content": {"image/jpeg": {"schema": {
                            "type": "string", "format": "binary"}}},
                            "description": "the frame, at most 640 px wide"}}))
def preview(request_id: UUID, clip_id: UUID, broker: BrokerDep, actor: ActorDep,
            frame: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Response:
    image = broker.redactions.preview(actor, request_id, clip_id, frame)
    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/cameras/{camera_id}/overlay-zones", response_model=OverlayZonesPublic,
            **operation(Redactions.zones, "Where a camera draws its overlays", 404, 422))
def zones(camera_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.redactions.zones(actor, camera_id)


@router.put("/cameras/{camera_id}/overlay-zones", response_model=OverlayZonesPublic,
            **operation(Redactions.set_zones, "Set a camera's overlay zones (never masked)",
                        404, 409, 422))
def set_zones(camera_id: UUID, body: OverlayZonesPut, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.redactions.set_zones(actor, camera_id, [zone.model_dump() for zone in body.zones])
