"""Citizen delivery as a redaction workflow: detect in the background, review, render, release.

The application API of redactions, as routes, the CLI and the console call it (every method
takes the acting ``Actor`` first and answers plain dicts; errors are ``broker.errors``):

- ``start_for(request, by)``: the ``Redaction`` a newly granted citizen request needs (saved
  with the request by the review), or None; ``request(actor, request_id)`` starts one or retries
  a failed one.
- ``queue(actor)``: drafts awaiting review and failures; ``view(actor, request_id)``: one
  redaction (state, per-clip progress and draft, corrections, approval, delivery, failure);
  ``sheet(actor, request_id, clip_id, frame)``: ``view`` with one clip's ``boxes`` (the console).
- ``boxes(actor, request_id, clip_id, frame)``: a draft's tracks and one frame's boxes;
  ``preview(...)``: that frame as a JPEG with the boxes drawn.
- ``correct(actor, request_id, clip_id, keep=, unkeep=, add=, remove=, note=)``: keep tracks
  visible (own-image only), add or remove manual boxes over frame ranges; ``approve(actor,
  request_id, note)``: sign the draft off, after which the job renders the copy.
- ``zones(actor, camera_id)`` / ``set_zones(actor, camera_id, zones)``: a camera's overlay zones.
- ``download(actor, request_id)``: the rendered copy as an ``Artifact`` (the same bytes every
  time, each download recorded, limited, expiring); ``watch(actor, request_id, number)``: one
  of its films, to play in a page (recorded, not a download); ``citizen_delivery(conn, ...)``:
  what the data subject sees of it.

The job itself (``run``, ``purge_expired``, ``purge_for_request``) is ``RedactionJob``
(``redaction_job.py``), which ``Redactions`` extends.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import RowMapping

from broker.adapters.evidence import clip_path
from broker.adapters.redaction.engine import RedactionError
from broker.adapters.vault.errors import KeyShreddedError
from broker.application.actors import Actor, allowed
from broker.application.core import RecordConflict
from broker.application.grants import in_scope
from broker.application.redaction_job import RedactionJob, corrections_of
from broker.common.times import as_utc, rfc3339
from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.overlays import CameraOverlays, check_zones, overlays_id_for
from broker.domain.redaction import Redaction, redaction_id_for
from broker.domain.request import FootageRequest
from broker.domain.roles import Role
from broker.errors import Conflict, Gone, InvalidInput, NotFound
from broker.readmodel import browse, camera_view, redaction_view

T = TypeVar("T")


@dataclass(frozen=True)
class Artifact:
    delivery_id: str
    sha256: str
    size: int
    download: int
    body: Iterator[bytes]


class Redactions(RedactionJob):
    """Review, approval and download of redactions, on top of the job."""

    # starting ---------------------------------------------------------------------------------

    def start_for(self, footage_request: FootageRequest, by: str) -> Redaction | None:
        """The redaction a newly granted citizen request needs (None if it needs none): to be
        saved with the request, so that a grant to mask never exists without its job."""
        grant = footage_request.grant
        if (footage_request.status != "granted" or grant is None or not grant["mask_third_parties"]
                or footage_request.requester.get("role") != Role.CITIZEN_PORTAL.value):
            return None
        if self.ctx.app.exists(redaction_id_for(footage_request.id)):
            return None
        with self.read() as conn:
            clips = [c["id"] for c in in_scope(conn, grant) if c["status"] == "available"]
        own = self.ctx.policy.basis_for_portal("own_image")
        basis = (footage_request.decision or {}).get("legal_basis")
        return Redaction(request_id=str(footage_request.id), grant_id=grant["id"], clip_ids=clips,
                         own_image=own is not None and basis == own.id, by=by, at=self.ctx.clock.now())

    @allowed(Role.PRIVACY_OFFICER)
    def request(self, actor: Actor, request_id: UUID) -> dict[str, Any]:
        """Ask for the redaction of a granted citizen request: start it if none was started,
        or try again after a failure (drafts already made are kept)."""
        redaction = self.ctx.app.find(redaction_id_for(request_id), Redaction)
        if redaction is None:
            footage_request = self.ctx.app.load(request_id, FootageRequest, "request")
            started = self.start_for(footage_request, actor.client_id)
            if started is None:
                raise Conflict(f"request {request_id} is not a granted citizen request that must be masked")
            position = self.ctx.app.record(started)
        else:
            _, position = self.ctx.app.change(
                redaction.id, Redaction, "redaction",
                lambda r: r.requeue(actor.client_id, at=self.ctx.clock.now()))
        return self.view(actor, request_id, after=position)

    # review -----------------------------------------------------------------------------------

    @allowed(Role.PRIVACY_OFFICER)
    def queue(self, actor: Actor) -> dict[str, Any]:
        """Redactions a privacy officer has to act on: drafts to review, and failures."""
        from sqlalchemy import select

        from broker.readmodel.tables import redactions

        with self.read() as conn:
            rows = conn.execute(select(redactions.c.request_id).where(
                redactions.c.status.in_(("awaiting_review", "failed")))
                .order_by(redactions.c.updated_at, redactions.c.id).limit(500)).all()
            items = [self._present(conn, redaction_view.get_by_request(conn, row[0])) for row in rows]
        return {"items": [item for item in items if item], "next_cursor": None}

    @allowed(Role.PRIVACY_OFFICER)
    def view(self, actor: Actor, request_id: UUID, after: int | None = None) -> dict[str, Any]:
        """The redaction of a request: its state, each clip's progress, draft and tracks, the
        corrections so far, the approval, the artifact and its downloads, or the failure."""
        with self.read(after) as conn:
            row = redaction_view.get_by_request(conn, str(request_id))
            if row is None:
                raise NotFound(f"no redaction for request {request_id}")
            view = self._present(conn, row)
        assert view is not None
        return view

    @allowed(Role.PRIVACY_OFFICER)
    def sheet(self, actor: Actor, request_id: UUID, clip_id: UUID | None = None,
              frame: int = 0) -> dict[str, Any]:
        """What the console's review of a redaction shows: ``view``, and for one drafted clip
        (the first, unless ``clip_id`` names another) ``boxes`` at ``frame``."""
        view = self.view(actor, request_id)
        with self.read() as conn:
            view["people"] = browse.people_names(conn)
        drafted = [clip["clip_id"] for clip in view["clips"] if clip["draft"]]
        chosen = str(clip_id) if clip_id is not None else (drafted[0] if drafted else None)
        if chosen is not None and chosen not in drafted:
            raise NotFound(f"no drafted clip {chosen} in this redaction")
        if chosen is None or view["status"] == "purged":
            return {**view, "sheet": None}
        return {**view, "sheet": self.boxes(actor, request_id, UUID(chosen), frame)}

    @allowed(Role.PRIVACY_OFFICER)
    def correct(self, actor: Actor, request_id: UUID, clip_id: UUID, *, keep: list[str],
                unkeep: list[str], add: list[dict[str, Any]], remove: list[str],
                note: str) -> dict[str, Any]:
        """Keep detections visible (the requester's own face, own-image requests only), add
        manual boxes over a frame range, or remove manual boxes added before."""
        redaction = self.ctx.app.load(redaction_id_for(request_id), Redaction, "redaction")
        known = set()
        if keep:
            known = set(self._draft(redaction, str(clip_id)).tracks().spans)
        unknown = [track for track in keep if track not in known]
        if unknown:
            raise InvalidInput(f"no track {', '.join(unknown)} in the draft of clip {clip_id}")
        kept_kinds = {self._draft(redaction, str(clip_id)).tracks().spans[t][2] for t in keep}
        if "plate" in kept_kinds:
            raise InvalidInput("a plate cannot be kept visible; only the requester's own face or person")
        _, position = self.ctx.app.change(redaction.id, Redaction, "redaction", lambda r: r.correct(
            actor.client_id, str(clip_id), keep, unkeep, add, remove, note, at=self.ctx.clock.now()))
        return self.view(actor, request_id, after=position)

    @allowed(Role.PRIVACY_OFFICER)
    def approve(self, actor: Actor, request_id: UUID, note: str) -> dict[str, Any]:
        """Sign the draft off as corrected; only then is the masked copy rendered and released."""
        _, position = self.ctx.app.change(redaction_id_for(request_id), Redaction, "redaction",
                                          lambda r: r.approve(actor.client_id, note, at=self.ctx.clock.now()))
        return self.view(actor, request_id, after=position)

    @allowed(Role.PRIVACY_OFFICER)
    def boxes(self, actor: Actor, request_id: UUID, clip_id: UUID, frame: int) -> dict[str, Any]:
        """The draft of one clip: every track (its kind and frames), and the boxes applied to
        one frame (kept tracks marked, manual boxes included), in the clip's pixels."""
        redaction = self.ctx.app.load(redaction_id_for(request_id), Redaction, "redaction")
        draft = self._draft(redaction, str(clip_id))
        if not 0 <= frame < draft.frames:
            raise InvalidInput(f"frame must lie in 0..{draft.frames - 1}")
        corrections = corrections_of(redaction, str(clip_id))
        tracks = draft.tracks()
        return {
            "clip_id": str(clip_id), "frame": frame, "frames": draft.frames,
            "width": draft.width, "height": draft.height, "detector": draft.detector["face"]["name"],
            "tracks": [{"id": track, "kind": kind, "first_frame": first, "last_frame": last,
                        "kept": track in corrections.keep}
                       for track, (first, last, kind) in sorted(tracks.spans.items(),
                                                                key=lambda item: (item[1][0], item[0]))],
            "boxes": [{"track": b.track, "kind": b.kind, "x": round(b.x, 1), "y": round(b.y, 1),
                       "w": round(b.w, 1), "h": round(b.h, 1), "kept": b.track in corrections.keep}
                      for b in tracks.at(frame)]
                     + [{"track": m.id, "kind": "manual", "x": m.x, "y": m.y, "w": m.w, "h": m.h,
                         "kept": False} for m in corrections.manual if m.from_frame <= frame <= m.to_frame],
        }

    @allowed(Role.PRIVACY_OFFICER)
    def preview(self, actor: Actor, request_id: UUID, clip_id: UUID, frame: int) -> bytes:
        """One frame of the draft at low resolution, every box drawn with its track id (JPEG)."""
        redaction = self.ctx.app.load(redaction_id_for(request_id), Redaction, "redaction")
        draft = self._draft(redaction, str(clip_id))
        if not 0 <= frame < draft.frames:
            raise InvalidInput(f"frame must lie in 0..{draft.frames - 1}")
        with self._source(str(clip_id)) as source:
            try:
                corrections = corrections_of(redaction, str(clip_id))
                return self._the_engine().preview(source, draft, corrections, frame)
            except RedactionError as exc:
                raise Conflict(f"the preview failed ({exc.stage}): {exc.message}") from None

    # overlay zones ----------------------------------------------------------------------------

    @allowed(Role.OPERATOR, Role.PRIVACY_OFFICER)
    def set_zones(self, actor: Actor, camera_id: UUID, zones: list[dict[str, Any]]) -> dict[str, Any]:
        """Where this camera draws its time stamp and label: never masked, never a plate."""
        with self.read() as conn:
            if camera_view.get_camera_row(conn, str(camera_id)) is None:
                raise NotFound(f"no camera {camera_id}")
        checked = check_zones(zones)
        existing = self.ctx.app.find(overlays_id_for(camera_id), CameraOverlays)
        now = self.ctx.clock.now()
        position = None
        if existing is None:
            position = self.ctx.app.record(CameraOverlays(camera_id=str(camera_id), zones=checked,
                                                          by=actor.client_id, at=now))
        else:
            _, position = self.ctx.app.change(existing.id, CameraOverlays, "overlay zones",
                                              lambda o: o.reconfigure(checked, actor.client_id, now))
        return self.zones(actor, camera_id, after=position)

    @allowed(Role.OPERATOR, Role.PRIVACY_OFFICER)
    def zones(self, actor: Actor, camera_id: UUID, after: int | None = None) -> dict[str, Any]:
        with self.read(after) as conn:
            if camera_view.get_camera_row(conn, str(camera_id)) is None:
                raise NotFound(f"no camera {camera_id}")
            row = redaction_view.zones_row(conn, str(camera_id))
        return {"camera_id": str(camera_id), "zones": json.loads(row["zones"]) if row else [],
                "set_by": row["set_by"] if row else None,
                "set_at": rfc3339(row["set_at"]) if row else None}

    # downloads ----------------------------------------------------------------------------------

    def download(self, actor: Actor, request_id: UUID) -> Artifact:
        """The rendered copy (the same bytes every time), its download recorded first."""
        redaction, n = self._provide(request_id, lambda r, at: r.download(actor.client_id, at=at),
                                     actor)
        artifact = redaction.artifact
        assert artifact is not None
        return Artifact(delivery_id=artifact["delivery_id"], sha256=artifact["sha256"],
                        size=artifact["size"], download=n, body=self._package(artifact))

    def watch(self, actor: Actor, request_id: UUID, number: int) -> bytes:
        """Film ``number`` of the rendered copy, to play in a page: the very MP4 the download
        holds, its watch recorded first (not spending a download)."""
        redaction, clip_id = self._provide(
            request_id, lambda r, at: r.watch(number, actor.client_id, at=at), actor)
        assert redaction.artifact is not None
        with zipfile.ZipFile(io.BytesIO(b"".join(self._package(redaction.artifact)))) as package:
            return package.read(clip_path(clip_id, ".mp4"))

    def _provide(self, request_id: UUID, hand_over: Callable[[Redaction, datetime], T],
                 actor: Actor) -> tuple[Redaction, T]:
        """Record one hand-over of the copy (a download or a watch) before any byte leaves; the
        first also records the request's ``Delivered``: one provision in the ledger, however the
        data subject first received it."""
        for _ in range(5):
            redaction = self.ctx.app.find(redaction_id_for(request_id), Redaction)
            if redaction is None:
                raise Conflict("no masked copy is being prepared for this request")
            self._refuse_unready(redaction)
            now = self.ctx.clock.now()
            first = not redaction.provided
            try:
                handed = hand_over(redaction, now)
            except DomainConflict as exc:
                raise Gone(exc.detail) from None
            except DomainInvalid as exc:
                raise NotFound(exc.detail) from None
            artifact = redaction.artifact
            assert artifact is not None
            changed: list[Any] = [redaction]
            if first:
                footage_request = self.ctx.app.load(request_id, FootageRequest, "request")
                try:
                    footage_request.record_delivery(artifact["delivery_id"], list(redaction.clip_ids),
                                                    artifact["manifest_sha256"], True, actor.client_id,
                                                    at=now)
                except DomainConflict as exc:
                    raise Gone(exc.detail) from None
                changed.append(footage_request)
            try:
                self.ctx.app.record(*changed)
            except RecordConflict:
                continue
            return redaction, handed
        raise Conflict("the delivery is busy; try again")

    def _package(self, artifact: dict[str, Any]) -> Iterator[bytes]:
        try:
            return self.ctx.vault.read(f"redaction-delivery:{artifact['delivery_id']}",
                                       artifact["key_id"], artifact["blob_id"], artifact["size"])
        except KeyShreddedError:
            raise Gone("the masked copy has been destroyed") from None

    def _refuse_unready(self, redaction: Redaction) -> None:
        status = redaction.status
        if status == "queued":
            raise Conflict("the masked copy is being prepared: detection is running")
        if status == "awaiting_review":
            raise Conflict("the masked copy is waiting for a privacy officer's review")
        if status == "approved":
            raise Conflict("the masked copy was approved and is being rendered")
        if status == "failed":
            raise Conflict("preparing the masked copy failed; a privacy officer has been told")
        if status == "purged":
            raise Gone("the masked copy has been destroyed (expired, or the request ended)")

    def _present(self, conn: Any, row: RowMapping | None) -> dict[str, Any] | None:
        if row is None:
            return None
        clips = []
        for clip in redaction_view.clips_of(conn, row["id"]):
            draft = json.loads(clip["draft"]) if clip["draft"] else None
            clips.append({
                "clip_id": clip["clip_id"], "status": clip["status"], "attempts": clip["attempts"],
                "frames_done": clip["frames_done"] if clip["frames_done"] is not None else 0,
                "frames_total": clip["frames_total"],
                "draft": {"sha256": draft["sha256"], "frames": draft["frames"], "tracks": draft["tracks"],
                          "zone_drops": draft["zone_drops"]} if draft else None,
            })
        artifact = json.loads(row["artifact"]) if row["artifact"] else None
        return {
            "id": row["id"], "request_id": row["request_id"], "status": row["status"],
            "own_image": bool(row["own_image"]), "requested_by": row["requested_by"],
            "requested_at": rfc3339(row["requested_at"]), "updated_at": rfc3339(row["updated_at"]),
            "clips": clips,
            "failure": json.loads(row["failure"]) if row["failure"] else None,
            "corrections": json.loads(row["corrections"]),
            "approval": json.loads(row["approval"]) if row["approval"] else None,
            "delivery": {"delivery_id": artifact["delivery_id"], "sha256": artifact["sha256"],
                         "size": artifact["size"], "manifest_sha256": artifact["manifest_sha256"],
                         "expires_at": rfc3339(row["expires_at"]), "downloads": row["downloads"],
                         "max_downloads": artifact["max_downloads"],
                         "watches": row["watches"]} if artifact else None,
            "purged_at": rfc3339(row["purged_at"]) if row["purged_at"] else None,
        }


def citizen_delivery(conn: Any, request_id: str, url: str, available_until: str) -> dict[str, Any]:
    """What the data subject sees of the redaction: its state, progress, what is left."""
    row = redaction_view.get_by_request(conn, request_id)
    link: dict[str, Any] = {"url": url, "available_until": available_until, "masked": True,
                            "state": "preparing", "frames_done": 0, "frames_total": None,
                            "downloads_left": None}
    if row is None:
        return link
    clips = redaction_view.clips_of(conn, row["id"])
    link["frames_done"] = sum(c["frames_done"] or 0 for c in clips)
    totals = [c["frames_total"] for c in clips]
    link["frames_total"] = sum(totals) if totals and all(t is not None for t in totals) else None
    link["state"] = {"queued": "preparing", "awaiting_review": "in_review", "approved": "rendering",
                     "ready": "ready", "failed": "failed", "purged": "gone"}[row["status"]]
    if row["artifact"]:
        artifact = json.loads(row["artifact"])
        link["downloads_left"] = max(0, artifact["max_downloads"] - row["downloads"])
        link["available_until"] = rfc3339(as_utc(row["expires_at"]))
    return link

