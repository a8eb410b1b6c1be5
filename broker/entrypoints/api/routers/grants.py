"""Grantees: list the clips in scope, stream them (Range), export signed evidence; live tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, Response
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlalchemy import RowMapping

from broker.adapters import evidence
from broker.adapters.vault.kek import export_public_key
from broker.common.times import as_utc, rfc3339
from broker.domain import live_tokens
from broker.entrypoints.api.deps import BrokerDep, OperatorDep, Principal, RequesterDep
from broker.entrypoints.api.ranges import parse_range
from broker.entrypoints.api.schemas import StrictModel
from broker.errors import Forbidden, Gone, InvalidInput, NotFound
from broker.readmodel import clip_view, request_view

router = APIRouter(prefix="/v1", tags=["grants"])
LIVE_TOKEN_LIFETIME = timedelta(minutes=15)


class ExportCreate(StrictModel):
    clip_ids: list[UUID] | None = Field(default=None, max_length=10_000)


class LiveVerify(StrictModel):
    token: str = Field(min_length=1, max_length=4096)


@router.get("/keys/public")
def public_keys(broker: BrokerDep) -> dict[str, Any]:
    info = export_public_key(broker.signing_key)
    return {"keys": [{"key_id": info.key_id, "algorithm": info.algorithm,
                      "use": ["export", "checkpoint", "live"], "public_key_pem": info.pem}]}


@router.get("/grants/{grant_id}/clips")
def grant_clips(grant_id: UUID, broker: BrokerDep, principal: RequesterDep) -> dict[str, Any]:
    _, grant = _grant(broker, grant_id, principal)
    with broker.readmodel.reader.connect() as conn:
        rows = _in_scope(conn, grant)
    items = []
    for clip in rows:
        item = clip_view.as_public(clip)
        item["content_url"] = f"/v1/grants/{grant_id}/clips/{clip['id']}/content"
        items.append(item)
    return {"items": items, "next_cursor": None}


@router.get("/grants/{grant_id}/clips/{clip_id}/content")
def clip_content(grant_id: UUID, clip_id: UUID, broker: BrokerDep, principal: RequesterDep,
                 range_header: Annotated[str | None, Header(alias="Range")] = None) -> Response:
    row, grant = _grant(broker, grant_id, principal)
    _refuse_unmasked(grant)
    clip = _clip_in_scope(broker, grant, str(clip_id))
    wanted = parse_range(range_header, clip["size"])
    broker.app.record_view(UUID(row["id"]), str(clip_id), wanted.label() if wanted else None,
                           principal.client_id)
    start, end = (wanted.start, wanted.end) if wanted else (0, clip["size"])
    body = broker.vault.read(str(clip_id), clip["key_id"], clip["blob_id"], clip["size"], start, end)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start),
               "Cache-Control": "no-store", "X-Clip-SHA256": clip["sha256"]}
    if wanted:
        headers["Content-Range"] = wanted.header(clip["size"])
    return StreamingResponse(body, status_code=206 if wanted else 200, headers=headers,
                             media_type="application/octet-stream")


@router.post("/grants/{grant_id}/exports")
def export(grant_id: UUID, broker: BrokerDep, principal: RequesterDep,
           body: ExportCreate | None = None) -> Response:
    row, grant = _grant(broker, grant_id, principal)
    _refuse_unmasked(grant)
    with broker.readmodel.reader.connect() as conn:
        available = [c for c in _in_scope(conn, grant) if c["status"] == "available"]
    if body and body.clip_ids is not None:
        wanted = {str(c) for c in body.clip_ids}
        unknown = wanted - {c["id"] for c in available}
        if unknown:
            raise Forbidden(f"not available under this grant: {', '.join(sorted(unknown))}")
        available = [c for c in available if c["id"] in wanted]
    if not available:
        raise InvalidInput("no available clips in this grant's scope to export")
    export_id = str(uuid4())
    decision = request_view.request_public(row)["decision"]
    manifest = evidence.canonical({
        "format": evidence.FORMAT,
        "export_id": export_id,
        "created_at": rfc3339(broker.clock.now()),
        "grant_id": str(grant_id),
        "request_id": row["id"],
        "recipient": {"client_id": principal.client_id, "agency": principal.agency,
                      "role": principal.role.value},
        "legal_basis": {"id": decision["legal_basis"], "citation": decision["citation"]},
        "decision": {key: decision[key] for key in
                     ("decision_id", "outcome", "pack_id", "pack_version", "pack_digest",
                      "input_digest", "decided_at")},
        "window": grant["window"],
        "restrictions": grant["restrictions"],
        "onward_transfer": grant["onward_transfer"],
        "mask_third_parties": grant["mask_third_parties"],
        "clips": [{"file": evidence.clip_path(c["id"]), "clip_id": c["id"],
                   "camera_id": c["camera_id"], "start": rfc3339(c["start"]),
                   "end": rfc3339(c["end"]), "size": c["size"], "sha256": c["sha256"]}
                  for c in available],
        "signing_key_id": export_public_key(broker.signing_key).key_id,
    })
    broker.app.record_export(UUID(row["id"]), export_id, [c["id"] for c in available],
                             hashlib.sha256(manifest).hexdigest(), principal.client_id)
    signature = evidence.signature_document(manifest, broker.signing_key)
    bodies = [(c["id"], _opener(broker, c)) for c in available]
    return StreamingResponse(
        evidence.stream_package(manifest, signature, bodies), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="export-{export_id}.zip"',
                 "Cache-Control": "no-store", "X-Export-Id": export_id})


@router.get("/grants/{grant_id}/live-tokens")
def grant_live_tokens(grant_id: UUID, broker: BrokerDep, principal: RequesterDep) -> dict[str, Any]:
    row, _ = _grant(broker, grant_id, principal)
    if row["mode"] != "live":
        raise InvalidInput("this grant is for recorded footage, not live")
    return {"items": live_tokens_for(broker, row), "next_cursor": None}


@router.post("/live/verify")
def verify_live_token(body: LiveVerify, broker: BrokerDep, _: OperatorDep) -> dict[str, Any]:
    """For stream gateways: signature, expiry, and whether the grant is still active now."""
    now = broker.clock.now()
    try:
        claims = live_tokens.verify(body.token, broker.signing_key.public_key(), now)
    except live_tokens.TokenError as exc:
        return {"valid": False, "reason": str(exc)}
    with broker.readmodel.reader.connect() as conn:
        row = request_view.get_request_by_grant(conn, claims.grant_id)
    if row is None or row["status"] != "granted" or now >= as_utc(row["expires_at"]):
        return {"valid": False, "reason": "grant is no longer active"}
    return {"valid": True, "grant_id": claims.grant_id, "camera_id": claims.camera_id,
            "expires_at": rfc3339(claims.expires_at)}


def live_tokens_for(broker: BrokerDep, row: RowMapping) -> list[dict[str, Any]]:
    """One token per camera in scope; each lives 15 minutes at most, never past the grant."""
    import json

    grant = json.loads(row["grant"])
    now = broker.clock.now()
    expires = min(now + LIVE_TOKEN_LIFETIME, datetime.fromisoformat(grant["expires_at"]))
    key_id = export_public_key(broker.signing_key).key_id
    return [{"camera_id": camera_id, "expires_at": rfc3339(expires),
             "token": live_tokens.issue(live_tokens.LiveClaims(
                 grant_id=grant["id"], camera_id=camera_id, issued_at=now, expires_at=expires,
                 key_id=key_id), broker.signing_key)}
            for camera_id in grant["camera_ids"]]


# helpers ------------------------------------------------------------------------------------

def _grant(broker: BrokerDep, grant_id: UUID, principal: Principal) -> tuple[RowMapping, dict[str, Any]]:
    """The grant, if it is this client's and usable now (404 if not theirs, 403 if not usable)."""
    with broker.readmodel.reader.connect() as conn:
        row = request_view.get_request_by_grant(conn, str(grant_id))
    if row is None or row["client_id"] != principal.client_id:
        raise NotFound(f"no grant {grant_id}")
    return row, broker.app.usable_grant(UUID(row["id"]))


def _refuse_unmasked(grant: dict[str, Any]) -> None:
    if grant["mask_third_parties"]:
        raise Forbidden("this grant requires masked delivery; unmasked footage is not released")


def _in_scope(conn: Any, grant: dict[str, Any]) -> list[RowMapping]:
    start, end = request_view.grant_window(grant)
    return clip_view.clips_in_scope(conn, grant["camera_ids"], start, end)


def _clip_in_scope(broker: BrokerDep, grant: dict[str, Any], clip_id: str) -> RowMapping:
    with broker.readmodel.reader.connect() as conn:
        clip = clip_view.get_clip_row(conn, clip_id)
    if clip is None:
        raise NotFound(f"no clip {clip_id}")
    start, end = request_view.grant_window(grant)
    inside = (clip["camera_id"] in grant["camera_ids"] and as_utc(clip["start"]) >= start
              and as_utc(clip["end"]) <= end)
    if not inside:
        raise Forbidden(f"clip {clip_id} is outside this grant's cameras or window")
    if clip["status"] == "purged":
        raise Gone(f"clip {clip_id} was purged ({clip['purge_reason']})")
    return clip


def _opener(broker: BrokerDep, clip: RowMapping) -> Any:
    def open_body() -> Any:
        return broker.vault.read(clip["id"], clip["key_id"], clip["blob_id"], clip["size"])

    return open_body
