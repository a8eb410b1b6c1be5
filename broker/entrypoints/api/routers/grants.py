"""``/v1/grants``: grantees list the clips in scope, stream them, export signed evidence."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Response
from fastapi.responses import StreamingResponse

from broker.application.grants import Grants
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.clips import GrantClipPage
from broker.entrypoints.api.schemas.grants import ExportCreate
from broker.entrypoints.api.schemas.requests import LiveTokenPage

router = APIRouter(prefix="/grants", tags=["grants"])

BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get("/{grant_id}/clips", response_model=GrantClipPage,
            **operation(Grants.clips, "Clips in a grant's scope", 404, 422))
def grant_clips(grant_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.grants.clips(actor, grant_id)


@router.get("/{grant_id}/clips/{clip_id}/content", response_class=StreamingResponse,
            **operation(Grants.content, "Stream a clip (HTTP Range supported)", 404, 410, 416, 422,
                        responses={200: {"content": {"application/octet-stream": BINARY},
                                         "description": "the whole clip"},
                                   206: {"content": {"application/octet-stream": BINARY},
                                         "description": "one byte range of the clip"}}))
def clip_content(grant_id: UUID, clip_id: UUID, broker: BrokerDep, actor: ActorDep,
                 range_header: Annotated[str | None, Header(alias="Range")] = None) -> Response:
    content = broker.grants.content(actor, grant_id, clip_id, range_header)
    wanted = content.byte_range
    length = (wanted.end - wanted.start) if wanted else content.size
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(length),
               "Cache-Control": "no-store", "X-Clip-SHA256": content.sha256}
    if wanted:
        headers["Content-Range"] = wanted.header(content.size)
    return StreamingResponse(content.body, status_code=206 if wanted else 200, headers=headers,
                             media_type="application/octet-stream")


@router.post("/{grant_id}/exports", response_class=StreamingResponse,
             **operation(Grants.export, "Export signed evidence (zip)", 404, 422,
                         responses={200: {"content": {"application/zip": BINARY},
                                          "description": "manifest.json, manifest.sig, clips/"}}))
def export(grant_id: UUID, broker: BrokerDep, actor: ActorDep,
           body: ExportCreate | None = None) -> Response:
    package = broker.grants.export(actor, grant_id, body.clip_ids if body else None)
    return StreamingResponse(
        package.body, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="export-{package.export_id}.zip"',
                 "Cache-Control": "no-store", "X-Export-Id": package.export_id})


@router.get("/{grant_id}/live-tokens", response_model=LiveTokenPage,
            **operation(Grants.live_tokens, "Live-view tokens for a live grant", 404, 422))
def grant_live_tokens(grant_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.grants.live_tokens(actor, grant_id)
