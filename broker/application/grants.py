"""Using a grant: list the clips in scope, stream one (Range), export signed evidence, go live.

A grant is usable by the client it was given to, while it is active and unexpired; a clip is in
its scope when it lies wholly inside the grant's cameras and window. Both rules are here, once.
Every view and export is recorded before the first byte leaves. An export names each clip by
its camera and start time with the extension of its container, and carries a chain-of-custody
report (PDF) that its signed manifest lists like a clip.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Connection, RowMapping

from broker.adapters import custody_report, evidence
from broker.adapters.containers import SNIFF_BYTES, sniff_extension
from broker.adapters.vault.errors import KeyShreddedError
from broker.adapters.vault.kek import export_public_key
from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.application.core import RecordConflict
from broker.application.live import live_tokens_for
from broker.common.byteranges import ByteRange, if_range_holds, parse_range
from broker.common.times import as_utc, rfc3339
from broker.domain import live_tokens
from broker.domain.errors import DomainConflict
from broker.domain.request import FootageRequest
from broker.domain.roles import Role
from broker.errors import Forbidden, Gone, InvalidInput, NotFound
from broker.readmodel import camera_view, clip_view, request_view

GRANTEES = (Role.POLICE, Role.FIRE, Role.DISASTER, Role.PRIVACY_OFFICER)


@dataclass(frozen=True)
class ClipContent:
    """A clip's bytes (whole or one range), already recorded as a view; no body for HEAD."""

    clip_id: str
    size: int
    sha256: str
    last_modified: datetime
    byte_range: ByteRange | None
    body: Iterator[bytes] | None

    @property
    def etag(self) -> str:
        """Strong: the plaintext's SHA-256, recorded at ingest, never changes for a clip."""
        return f'"{self.sha256}"'

    @property
    def length(self) -> int:
        return self.byte_range.end - self.byte_range.start if self.byte_range else self.size


@dataclass(frozen=True)
class EvidenceExport:
    export_id: str
    body: Iterator[bytes]
    size: int
    """The zip's length, known before its first byte (``Content-Length``)."""


class Grants(UseCases):
    @allowed(*GRANTEES)
    def clips(self, actor: Actor, grant_id: UUID) -> dict[str, Any]:
        """The clips in the grant's scope, each with the URL of its content."""
        _, grant = self._usable(actor, grant_id)
        with self.read() as conn:
            rows = in_scope(conn, grant)
        items = []
        for clip in rows:
            item = clip_view.as_public(clip)
            item["content_url"] = f"/v1/grants/{grant_id}/clips/{clip['id']}/content"
            items.append(item)
        return {"items": items, "next_cursor": None}

    @allowed(*GRANTEES)
    def content(self, actor: Actor, grant_id: UUID, clip_id: UUID, range_header: str | None,
                if_range: str | None = None, head: bool = False) -> ClipContent:
        """Decrypted bytes of one clip in scope; the view (with its range) is recorded first.

        ``If-Range`` with a stale validator gets the whole clip. ``head`` answers the headers
        only: no footage leaves, so no view is recorded, but the grant must still be usable.
        """
        row, grant, footage_request = self._usable_request(actor, grant_id)
        _refuse_unmasked(grant)
        clip = self._clip_in_scope(grant, str(clip_id))
        modified = as_utc(clip["ingested_at"])
        wanted = parse_range(range_header, clip["size"])
        if wanted is not None and not if_range_holds(if_range, f'"{clip["sha256"]}"', modified):
            wanted = None
        content = ClipContent(clip_id=str(clip_id), size=clip["size"], sha256=clip["sha256"],
                              last_modified=modified, byte_range=wanted, body=None)
        if head:
            return content
        self._use(row, lambda r: r.record_view(str(clip_id), wanted.label() if wanted else None,
                                               actor.client_id, at=self.ctx.clock.now()),
                  footage_request)
        start, end = (wanted.start, wanted.end) if wanted else (0, clip["size"])
        try:
            body = self.ctx.vault.read(str(clip_id), clip["key_id"], clip["blob_id"],
                                       clip["size"], start, end)
        except KeyShreddedError:  # a purge is under way: its key is gone, its event not yet
            raise Gone(f"clip {clip_id} is being purged") from None
        return replace(content, body=body)

    @allowed(*GRANTEES)
    def export(self, actor: Actor, grant_id: UUID, clip_ids: list[UUID] | None) -> EvidenceExport:
        """A signed evidence zip of available clips in scope (all, or the ones named)."""
        row, grant = self._usable(actor, grant_id)
        _refuse_unmasked(grant)
        with self.read() as conn:
            available = [c for c in in_scope(conn, grant) if c["status"] == "available"]
        if clip_ids is not None:
            wanted = {str(c) for c in clip_ids}
            unknown = wanted - {c["id"] for c in available}
            if unknown:
                raise Forbidden(f"not available under this grant: {', '.join(sorted(unknown))}")
            available = [c for c in available if c["id"] in wanted]
        if not available:
            raise InvalidInput("no available clips in this grant's scope to export")
        purging = [c["id"] for c in available if not self.ctx.vault.keystore.exists(c["key_id"])]
        if purging:
            raise Gone(f"being purged, so not exportable: {', '.join(purging)}")
        export_id = str(uuid4())
        with self.read() as conn:
            cameras = {c["camera_id"]: camera_view.get_camera_row(conn, c["camera_id"])
                       for c in available}
        document = self._manifest(actor, row, grant, export_id, available, cameras)
        report = custody_report.render(document)
        document["documents"] = [{"file": evidence.REPORT_FILE, "kind": "chain_of_custody",
                                  "media_type": custody_report.MEDIA_TYPE, "size": len(report),
                                  "sha256": hashlib.sha256(report).hexdigest()}]
        manifest = evidence.canonical(document)
        self._use(row, lambda r: r.record_export(
            export_id, [c["id"] for c in available], hashlib.sha256(manifest).hexdigest(),
            actor.client_id, at=self.ctx.clock.now()))
        signature = evidence.signature_document(manifest, self.ctx.signing_key)
        files = [(entry["file"], self._opener(c)) for entry, c in zip(document["clips"], available,
                                                                       strict=True)]
        documents = [(evidence.REPORT_FILE, report)]
        size = evidence.package_size(manifest, signature, documents,
                                     [(entry["file"], entry["size"]) for entry in document["clips"]])
        return EvidenceExport(export_id=export_id, size=size, body=evidence.stream_files(
            manifest, signature, files, documents=documents,
            modified=as_utc(datetime.fromisoformat(document["created_at"]))))

    @allowed(*GRANTEES)
    def live_tokens(self, actor: Actor, grant_id: UUID) -> dict[str, Any]:
        row, _ = self._usable(actor, grant_id)
        if row["mode"] != "live":
            raise InvalidInput("this grant is for recorded footage, not live")
        return {"items": live_tokens_for(self.ctx, row), "next_cursor": None}

    @allowed(Role.OPERATOR)
    def verify_live_token(self, actor: Actor, token: str) -> dict[str, Any]:
        """For stream gateways: signature, expiry, and whether the grant is still active now."""
        now = self.ctx.clock.now()
        try:
            claims = live_tokens.verify(token, self.ctx.signing_key.public_key(), now)
        except live_tokens.TokenError as exc:
            return {"valid": False, "reason": str(exc)}
        with self.read() as conn:
            row = request_view.get_request_by_grant(conn, claims.grant_id)
        if row is None or row["status"] != "granted" or now >= as_utc(row["expires_at"]):
            return {"valid": False, "reason": "grant is no longer active"}
        return {"valid": True, "grant_id": claims.grant_id, "camera_id": claims.camera_id,
                "expires_at": rfc3339(claims.expires_at)}

    # rules ------------------------------------------------------------------------------------

    def _usable(self, actor: Actor, grant_id: UUID) -> tuple[RowMapping, dict[str, Any]]:
        """The grant, if it is this client's (404 otherwise) and usable now (403 otherwise)."""
        row, grant, _ = self._usable_request(actor, grant_id)
        return row, grant

    def _usable_request(self, actor: Actor, grant_id: UUID
                        ) -> tuple[RowMapping, dict[str, Any], FootageRequest]:
        """:meth:`_usable`, and the request it loaded (to record a use on without a reload)."""
        def own_grant(conn: Connection) -> RowMapping:
            row = request_view.get_request_by_grant(conn, str(grant_id))
            if row is None or row["client_id"] != actor.client_id:
                raise NotFound(f"no grant {grant_id}")
            return row

        row = self.look_up(own_grant)
        footage_request = self.ctx.app.load(UUID(row["id"]), FootageRequest, "request")
        try:
            return row, footage_request.require_usable_grant(self.ctx.clock.now()), footage_request
        except DomainConflict as exc:
            raise Forbidden(exc.detail) from None

    def _use(self, row: RowMapping, record: Any, loaded: FootageRequest | None = None) -> None:
        """Record a use of the grant; a grant that ended meanwhile refuses it (403).

        ``loaded`` is the request as :meth:`_usable_request` found it: recorded on at once,
        unless another write came first, then loaded again and retried like any change.
        """
        try:
            if loaded is not None:
                record(loaded)
                try:
                    self.ctx.app.record(loaded)
                    return
                except RecordConflict:
                    pass
            self.ctx.app.change(UUID(row["id"]), FootageRequest, "request", record)
        except DomainConflict as exc:
            raise Forbidden(exc.detail) from None

    def _clip_in_scope(self, grant: dict[str, Any], clip_id: str) -> RowMapping:
        clip = self.look_up(lambda conn: clip_view.require_clip_row(conn, clip_id))
        start, end = request_view.grant_window(grant)
        inside = (clip["camera_id"] in grant["camera_ids"] and as_utc(clip["start"]) >= start
                  and as_utc(clip["end"]) <= end)
        if not inside:
            raise Forbidden(f"clip {clip_id} is outside this grant's cameras or window")
        if clip["status"] == "purged":
            raise Gone(f"clip {clip_id} was purged ({clip['purge_reason']})")
        return clip

    def _manifest(self, actor: Actor, row: RowMapping, grant: dict[str, Any], export_id: str,
                  clips: list[RowMapping], cameras: dict[str, RowMapping | None]) -> dict[str, Any]:
        decision = json.loads(row["decision"])
        files = evidence.unique_clip_file_names([
            (_camera_name(cameras[c["camera_id"]], c["camera_id"]), as_utc(c["start"]), c["id"],
             self._extension(c)) for c in clips])
        return {
            "format": evidence.FORMAT,
            "export_id": export_id,
            "created_at": rfc3339(self.ctx.clock.now()),
            "grant_id": grant["id"],
            "request_id": row["id"],
            "recipient": {"client_id": actor.client_id, "agency": actor.agency,
                          "role": actor.role_name},
            "legal_basis": {"id": decision["legal_basis"], "citation": decision["citation"]},
            "decision": {key: decision[key] for key in
                         ("decision_id", "outcome", "pack_id", "pack_version", "pack_digest",
                          "input_digest", "decided_at")},
            "window": grant["window"],
            "restrictions": grant["restrictions"],
            "onward_transfer": grant["onward_transfer"],
            "mask_third_parties": grant["mask_third_parties"],
            "clips": [{"file": file, "clip_id": c["id"], "camera_id": c["camera_id"],
                       "camera": _camera_public(cameras[c["camera_id"]]),
                       "start": rfc3339(c["start"]), "end": rfc3339(c["end"]), "size": c["size"],
                       "sha256": c["sha256"]}
                      for file, c in zip(files, clips, strict=True)],
            "signing_key_id": export_public_key(self.ctx.signing_key).key_id,
        }

    def _extension(self, clip: RowMapping) -> str:
        """The file extension of the clip's container, from its first bytes (``.bin`` if unknown)."""
        try:
            head = b"".join(self.ctx.vault.read(clip["id"], clip["key_id"], clip["blob_id"],
                                                clip["size"], 0, min(clip["size"], SNIFF_BYTES)))
        except KeyShreddedError:  # its purge began since the check above
            raise Gone(f"being purged, so not exportable: {clip['id']}") from None
        return sniff_extension(head)

    def _opener(self, clip: RowMapping) -> Any:
        def open_body() -> Iterator[bytes]:
            return self.ctx.vault.read(clip["id"], clip["key_id"], clip["blob_id"], clip["size"])

        return open_body


def _camera_name(camera: RowMapping | None, camera_id: str) -> str:
    return str(camera["name"]) if camera is not None else camera_id


def _camera_public(camera: RowMapping | None) -> dict[str, str] | None:
    """What the recipient needs to place the footage: the camera's name and address."""
    if camera is None:
        return None
    return {"name": camera["name"], "address": camera["address"]}


def _refuse_unmasked(grant: dict[str, Any]) -> None:
    if grant["mask_third_parties"]:
        raise Forbidden("this grant requires masked delivery; unmasked footage is not released")


def in_scope(conn: Connection, grant: dict[str, Any]) -> list[RowMapping]:
    """Clips of the grant's cameras lying wholly inside its window."""
    start, end = request_view.grant_window(grant)
    return clip_view.clips_in_scope(conn, grant["camera_ids"], start, end)

