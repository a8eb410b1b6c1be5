"""``/v1/grants``: grantees list the clips in scope, stream them, export signed evidence."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import StreamingResponse

from broker.application.grants import Grants
from broker.common.byteranges import http_date
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.clips import GrantClipPage
from broker.entrypoints.api.schemas.grants import ExportCreate
from broker.entrypoints.api.schemas.requests import LiveTokenPage
from broker.entrypoints.api.streaming import pulled_in_threads

router = APIRouter(prefix="/grants", tags=["grants"])

BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get("/{grant_id}/clips", response_model=GrantClipPage,
            **operation(Grants.clips, "Clips in a grant's scope", 404, 422))
def grant_clips(grant_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.grants.clips(actor, grant_id)


CONTENT = operation(Grants.content, "Stream a clip (HTTP Range, If-Range)", 404, 410, 416, 422,
                    responses={200: {"content": {"application/octet-stream": BINARY},
                                     "description": "the whole clip"},
                               206: {"content": {"application/octet-stream": BINARY},
                                     "description": "one byte range of the clip"}})


@router.get("/{grant_id}/clips/{clip_id}/content", response_class=StreamingResponse, **CONTENT)
@router.head("/{grant_id}/clips/{clip_id}/content", response_class=StreamingResponse, **{
    **CONTENT, "summary": "A clip's headers: size, ETag, Last-Modified (no view is recorded)"})
def clip_content(request: Request, grant_id: UUID, clip_id: UUID, broker: BrokerDep,
                 actor: ActorDep, range_header: Annotated[str | None, Header(alias="Range")] = None,
                 if_range: Annotated[str | None, Header(alias="If-Range")] = None) -> Response:
    content = broker.grants.content(actor, grant_id, clip_id, range_header, if_range,
                                    head=request.method == "HEAD")
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(content.length),
               "Cache-Control": "private, no-store", "X-Clip-SHA256": content.sha256,
               "ETag": content.etag, "Last-Modified": http_date(content.last_modified)}
    if content.byte_range:
        headers["Content-Range"] = content.byte_range.header(content.size)
    status = 206 if content.byte_range else 200
    if content.body is None:
        return Response(status_code=status, headers=headers, media_type="application/octet-stream")
    return StreamingResponse(pulled_in_threads(content.body, request.app.state.stream_slots),
                             status_code=status, headers=headers,
                             media_type="application/octet-stream")


@router.post("/{grant_id}/exports", response_class=StreamingResponse,
             **operation(Grants.export, "Export signed evidence (zip)", 404, 410, 422,
                         responses={200: {"content": {"application/zip": BINARY},
                                          "description": "manifest.json, manifest.sig, clips/"}}))
def export(request: Request, grant_id: UUID, broker: BrokerDep, actor: ActorDep,
           body: ExportCreate | None = None) -> Response:
    package = broker.grants.export(actor, grant_id, body.clip_ids if body else None)
    return StreamingResponse(
        pulled_in_threads(package.body, request.app.state.stream_slots), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="export-{package.export_id}.zip"',
                 "Content-Length": str(package.size), "Cache-Control": "no-store",
                 "X-Export-Id": package.export_id})


@router.get("/{grant_id}/live-tokens", response_model=LiveTokenPage,
            **operation(Grants.live_tokens, "Live-view tokens for a live grant", 404, 422))
def grant_live_tokens(grant_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.grants.live_tokens(actor, grant_id)
