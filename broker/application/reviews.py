"""Privacy officers settle pending requests: the queue (oldest deadline first) and decisions."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, RowMapping

from broker.adapters import playback
from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.application.core import SAVE_ATTEMPTS, RecordConflict
from broker.application.redactions import Redactions
from broker.application.requests import Requests, present
from broker.common.times import as_utc, rfc3339
from broker.domain.errors import DomainConflict
from broker.domain.request import FootageRequest
from broker.domain.roles import Role
from broker.errors import Conflict, InvalidInput, NotFound
from broker.policy import Decision, Reason, Scope, approve_review, deny_review
from broker.readmodel import browse, camera_view, clip_view, request_view


@dataclass(frozen=True)
class Previewed:
    """One clip as a browser plays it (H.264 MP4), whole: clips are bounded by max_clip_bytes."""
    body: bytes
    sha256: str


def _clips_in_scope(conn: Connection, request: dict[str, Any]) -> list[RowMapping]:
    """Available clips of the scope the policy proposed (what approving would release)."""
    scope = (request.get("decision") or {}).get("scope") or {}
    window = scope.get("window") or {}
    if not scope.get("camera_ids") or not window.get("start") or not window.get("end"):
        return []
    return [c for c in clip_view.clips_in_scope(conn, scope["camera_ids"],
                                                as_utc(datetime.fromisoformat(window["start"])),
                                                as_utc(datetime.fromisoformat(window["end"])))
            if c["status"] == "available"]


class Reviews(UseCases):
    @allowed(Role.PRIVACY_OFFICER)
    def queue(self, actor: Actor, limit: int = 100) -> dict[str, Any]:
        """Pending requests, oldest deadline first; ``overdue`` once the deadline has passed."""
        with self.read() as conn:
            rows = request_view.pending_reviews(conn, limit)
        now = self.ctx.clock.now()
        items = []
        for row in rows:
            item = present(self.ctx, row)
            deadline = row["review_deadline"]
            item["overdue"] = deadline is not None and now > as_utc(deadline)
            items.append(item)
        return {"items": items, "next_cursor": None}

    @allowed(Role.PRIVACY_OFFICER, Role.AUDITOR)
    def case(self, actor: Actor, request_id: UUID) -> dict[str, Any]:
        """What a reviewer looks at: the request (its personal data opened), its decision, the
        cameras in scope with names and places, for the map, and the names of the people its
        record mentions by id."""
        request = Requests(self.ctx).view(actor, request_id)
        scope = ((request.get("decision") or {}).get("scope") or {}).get("camera_ids") or []
        with self.read() as conn:
            cameras = [camera_view.as_public(row) for row in
                       (camera_view.get_camera_row(conn, camera_id) for camera_id in scope) if row]
            names = {c["id"]: c["name"] for c in cameras}
            clips = [{"number": n, "camera": names.get(c["camera_id"], c["camera_id"]),
                      "start": rfc3339(c["start"]), "end": rfc3339(c["end"])}
                     for n, c in enumerate(_clips_in_scope(conn, request), start=1)]
            people = browse.people_names(conn)
        deadline = (request.get("decision") or {}).get("review_deadline")
        request["overdue"] = isinstance(deadline, str) and self.ctx.clock.now() > as_utc(
            datetime.fromisoformat(deadline))
        return {"request": request, "cameras": cameras, "clips": clips, "people": people,
                "own": request["requester"]["client_id"] == actor.client_id}

    @allowed(Role.PRIVACY_OFFICER)
    def preview(self, actor: Actor, request_id: UUID, number: int) -> Previewed:
        """A clip in the scope under review, to watch before deciding (as the browser plays it);
        recorded as ``FootageRequest.Previewed`` naming the officer. Only while pending."""
        request = Requests(self.ctx).view(actor, request_id)
        with self.read() as conn:
            clips = _clips_in_scope(conn, request)
        if not 1 <= number <= len(clips):
            raise NotFound(f"the scope under review has no clip {number}")
        clip = clips[number - 1]
        try:
            self.ctx.app.change(request_id, FootageRequest, "request", lambda r: r.record_preview(
                clip["id"], actor.client_id, at=self.ctx.clock.now()))
        except DomainConflict as exc:
            raise Conflict(exc.detail) from None
        self.ctx.scratch_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="preview-", dir=self.ctx.scratch_dir) as scratch:
            source = Path(scratch) / "source.mp4"
            with source.open("wb") as handle:
                for chunk in self.ctx.vault.read(clip["id"], clip["key_id"], clip["blob_id"], clip["size"]):
                    handle.write(chunk)
            body = playback.browser_playable(source, Path(scratch) / "playable.mp4").read_bytes()
        return Previewed(body=body, sha256=hashlib.sha256(body).hexdigest())

    @allowed(Role.PRIVACY_OFFICER)
    def review(self, actor: Actor, request_id: UUID, *, approve: bool, reason: str,
               narrower: Scope | None = None) -> dict[str, Any]:
        """Approve (optionally narrowing the scope: fewer cameras, a shorter window) or deny.

        The pure review rules decide the grant; nobody reviews their own request. Granting a
        citizen request that must be masked starts its redaction job in the same save.
        """
        if not reason.strip():
            raise InvalidInput("reason must not be blank")
        if narrower is not None and not approve:
            raise InvalidInput("a scope can only be given with an approval")

        def settle(footage_request: FootageRequest) -> None:
            if footage_request.decision is None:
                raise Conflict(f"request {request_id} has no decision to review")
            pending = Decision.model_validate(footage_request.decision)
            now = self.ctx.clock.now()
            if approve:
                settled = approve_review(pending, self.ctx.policy, now, actor.client_id, reason)
                if narrower is not None:
                    settled = narrow_scope(settled, narrower)
            else:
                settled = deny_review(pending, now, actor.client_id, reason)
            footage_request.review(settled.model_dump(mode="json"), actor.client_id, approve,
                                   reason, at=now)

        position = None
        for attempt in range(SAVE_ATTEMPTS):
            footage_request = self.ctx.app.load(request_id, FootageRequest, "request")
            settle(footage_request)
            redaction = Redactions(self.ctx).start_for(footage_request, actor.client_id)
            try:
                position = self.ctx.app.record(footage_request, *([redaction] if redaction else []))
                break
            except RecordConflict:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise Conflict(f"request {request_id} is busy; try again") from None
        return Requests(self.ctx).view(actor, request_id, after=position)


def narrow_scope(decision: Decision, narrower: Scope) -> Decision:
    """The decision with a reviewer's narrower scope; InvalidInput if it reaches outside."""
    allowed_scope = decision.scope
    cameras = narrower.camera_ids or allowed_scope.camera_ids
    if not set(cameras) <= set(allowed_scope.camera_ids):
        raise InvalidInput("a review may only narrow the scope: unknown camera in scope")
    window = narrower.window or allowed_scope.window
    if allowed_scope.window is None or window is None or not (
            allowed_scope.window.start <= window.start < window.end <= allowed_scope.window.end):
        raise InvalidInput("a review may only narrow the scope: window outside the decision's")
    kept = tuple(camera for camera in allowed_scope.camera_ids if camera in set(cameras))
    note = Reason(rule="review_scope", passed=True,
                  message=f"reviewer narrowed the scope to {len(kept)} camera(s) and "
                          f"{window.start.isoformat()} to {window.end.isoformat()}")
    return decision.model_copy(update={"scope": Scope(camera_ids=kept, window=window),
                                       "reasons": (*decision.reasons, note)})
