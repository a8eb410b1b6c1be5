"""Operators ingest clips from the video management system; the body streams into the vault."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import AwareDatetime

from broker.entrypoints.api.deps import BrokerDep, OperatorDep
from broker.entrypoints.api.streaming import request_body_chunks
from broker.errors import InvalidInput, NotFound, PayloadTooLarge
from broker.readmodel.clip_view import as_public, get_clip_row

router = APIRouter(prefix="/v1/clips", tags=["clips"])


@router.post("", status_code=status.HTTP_201_CREATED)
def ingest_clip(
    request: Request,
    response: Response,
    broker: BrokerDep,
    principal: OperatorDep,
    camera_id: Annotated[UUID | None, Query()] = None,
    start: Annotated[AwareDatetime | None, Query()] = None,
    end: Annotated[AwareDatetime | None, Query()] = None,
    x_camera_id: Annotated[UUID | None, Header()] = None,
    x_clip_start: Annotated[AwareDatetime | None, Header()] = None,
    x_clip_end: Annotated[AwareDatetime | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200, pattern=r"^[\x21-\x7e]+$")] = None,
    content_length: Annotated[int | None, Header(ge=0)] = None,
) -> dict[str, Any]:
    """Body: the clip's bytes; ``camera_id``, ``start``, ``end`` as query parameters or headers."""
    camera = camera_id or x_camera_id
    window_start: datetime | None = start or x_clip_start
    window_end: datetime | None = end or x_clip_end
    missing = [name for name, value in
               (("camera_id", camera), ("start", window_start), ("end", window_end)) if value is None]
    if missing:
        raise InvalidInput(f"missing {', '.join(missing)} (query parameters or X-Camera-Id, "
                           "X-Clip-Start, X-Clip-End headers)")
    assert camera is not None and window_start is not None and window_end is not None
    if content_length is not None and content_length > broker.settings.max_clip_bytes:
        raise PayloadTooLarge(f"clip larger than the configured maximum of "
                              f"{broker.settings.max_clip_bytes} bytes")
    clip, replayed = broker.app.ingest_clip(
        camera_id=camera, start=window_start, end=window_end,
        chunks=request_body_chunks(request), ingested_by=principal.client_id,
        idempotency_key=idempotency_key,
    )
    broker.projector.catch_up()
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/clips/{clip.id}"
    return load_clip(broker, str(clip.id))


@router.get("/{clip_id}")
def get_clip(clip_id: UUID, broker: BrokerDep, _: OperatorDep) -> dict[str, Any]:
    return load_clip(broker, str(clip_id))


def load_clip(broker: BrokerDep, clip_id: str) -> dict[str, Any]:
    with broker.readmodel.reader.connect() as conn:
        row = get_clip_row(conn, clip_id)
    if row is None:
        raise NotFound(f"no clip {clip_id}")
    return as_public(row)
