"""``/v1/clips``: operators ingest clips from the video management system."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response, status

from broker.application.clips import Clips
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.clips import ClipPublic
from broker.entrypoints.api.schemas.common import Instant
from broker.entrypoints.api.streaming import request_body_chunks
from broker.errors import InvalidInput

router = APIRouter(prefix="/clips", tags=["clips"])

IdempotencyKey = Annotated[str | None, Header(max_length=200, pattern=r"^[\x21-\x7e]+$")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ClipPublic,
             **operation(Clips.ingest, "Ingest a clip", 409, 413, 422,
                         responses={200: {"model": ClipPublic,
                                          "description": "an earlier attempt with the same "
                                                         "Idempotency-Key landed: that clip"}},
                         openapi_extra={"requestBody": {"required": True, "content": {
                             "application/octet-stream": {"schema": {"type": "string",
                                                                     "format": "binary"}}}}}))
def ingest_clip(
    request: Request,
    response: Response,
    broker: BrokerDep,
    actor: ActorDep,
    camera_id: Annotated[UUID | None, Query()] = None,
    start: Annotated[Instant | None, Query()] = None,
    end: Annotated[Instant | None, Query()] = None,
    x_camera_id: Annotated[UUID | None, Header()] = None,
    x_clip_start: Annotated[Instant | None, Header()] = None,
    x_clip_end: Annotated[Instant | None, Header()] = None,
    idempotency_key: IdempotencyKey = None,
    content_length: Annotated[int | None, Header(ge=0)] = None,
) -> Any:
    """Body: the clip's bytes; ``camera_id``, ``start``, ``end`` as query parameters or headers."""
    camera = camera_id or x_camera_id
    window_start: datetime | None = start or x_clip_start
    window_end: datetime | None = end or x_clip_end
    if camera is None or window_start is None or window_end is None:
        missing = [name for name, value in
                   (("camera_id", camera), ("start", window_start), ("end", window_end)) if not value]
        raise InvalidInput(f"missing {', '.join(missing)} (query parameters or X-Camera-Id, "
                           "X-Clip-Start, X-Clip-End headers)")
    clip, replayed = broker.clips.ingest(
        actor, camera_id=camera, start=window_start, end=window_end,
        chunks=request_body_chunks(request), idempotency_key=idempotency_key,
        declared_size=content_length)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/clips/{clip['id']}"
    return clip


@router.get("/{clip_id}", response_model=ClipPublic,
            **operation(Clips.get, "Clip metadata", 404, 422))
def get_clip(clip_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.clips.get(actor, clip_id)
