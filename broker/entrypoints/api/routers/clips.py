"""``/v1/clips``: operators ingest clips from the video management system."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Header, Query, Request, Response, status

from broker.application.clips import Clips
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.clips import ClipPublic
from broker.entrypoints.api.schemas.common import Instant
from broker.entrypoints.api.streaming import request_body_chunks
from broker.errors import InvalidInput

router = APIRouter(prefix="/clips", tags=["clips"])


def upload_slots(request: Request, count: int) -> CapacityLimiter:
    """The app's own limiter for uploads, apart from the thread pool of every other route."""
    state = request.app.state
    if getattr(state, "upload_slots", None) is None:
        state.upload_slots = CapacityLimiter(count)
    limiter: CapacityLimiter = state.upload_slots
    return limiter

IdempotencyKey = Annotated[str | None, Header(max_length=200, pattern=r"^[\x21-\x7e]+$")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ClipPublic,
             **operation(Clips.ingest, "Ingest a clip", 408, 409, 413, 422,
                         responses={200: {"model": ClipPublic,
                                          "description": "an earlier attempt with the same "
                                                         "Idempotency-Key landed: that clip"}},
                         openapi_extra={"requestBody": {"required": True, "content": {
                             "application/octet-stream": {"schema": {"type": "string",
                                                                     "format": "binary"}}}}}))
async def ingest_clip(
    request: Request,
    response: Response,
    broker: BrokerDep,
    actor: ActorDep,
    camera_id: Annotated[UUID | None, Query()] = None,
    camera_key: Annotated[str | None, Query(
        min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
        description="instead of camera_id: the camera's key (or its 관리번호)")] = None,
    start: Annotated[Instant | None, Query()] = None,
    end: Annotated[Instant | None, Query()] = None,
    x_camera_id: Annotated[UUID | None, Header()] = None,
    x_camera_key: Annotated[str | None, Header(
        min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")] = None,
    x_clip_start: Annotated[Instant | None, Header()] = None,
    x_clip_end: Annotated[Instant | None, Header()] = None,
    idempotency_key: IdempotencyKey = None,
    content_length: Annotated[int | None, Header(ge=0)] = None,
) -> Any:
    """Body: the clip's bytes; ``camera_id`` (or ``camera_key``), ``start``, ``end`` as query
    parameters or headers.

    Uploads run in threads of their own, a few at a time (``BROKER_MAX_CONCURRENT_UPLOADS``),
    so stalled or slow uploads never take the threads that serve the rest of the API.
    """
    camera = camera_id or x_camera_id
    key = camera_key or x_camera_key
    window_start: datetime | None = start or x_clip_start
    window_end: datetime | None = end or x_clip_end
    if camera is not None and key is not None:
        raise InvalidInput("give camera_id or camera_key, not both")
    if (camera is None and key is None) or window_start is None or window_end is None:
        missing = [name for name, value in (("camera_id or camera_key", camera or key),
                                            ("start", window_start), ("end", window_end)) if not value]
        raise InvalidInput(f"missing {', '.join(missing)} (query parameters or X-Camera-Id / "
                           "X-Camera-Key, X-Clip-Start, X-Clip-End headers)")
    settings = broker.settings
    clip, replayed = await to_thread.run_sync(partial(
        broker.clips.ingest, actor, camera_id=camera, camera_ref=key, start=window_start,
        end=window_end,
        chunks=request_body_chunks(request, settings.upload_read_timeout_s,
                                   settings.upload_max_duration_s),
        idempotency_key=idempotency_key, declared_size=content_length),
        limiter=upload_slots(request, settings.max_concurrent_uploads))
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/clips/{clip['id']}"
    return clip


@router.get("/{clip_id}", response_model=ClipPublic,
            **operation(Clips.get, "Clip metadata", 404, 422))
def get_clip(clip_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.clips.get(actor, clip_id)
