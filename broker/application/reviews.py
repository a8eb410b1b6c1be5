"""Privacy officers settle pending requests: the queue (oldest deadline first) and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.application.requests import Requests, present
from broker.common.times import as_utc
from broker.domain.request import FootageRequest
from broker.domain.roles import Role
from broker.errors import Conflict, InvalidInput
from broker.policy import Decision, Reason, Scope, approve_review, deny_review
from broker.readmodel import camera_view, request_view


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
        """What a reviewer looks at: the request (its personal data opened), its decision, and
        the cameras in scope with names and places, for the map."""
        request = Requests(self.ctx).view(actor, request_id)
        scope = ((request.get("decision") or {}).get("scope") or {}).get("camera_ids") or []
        with self.read() as conn:
            cameras = [camera_view.as_public(row) for row in
                       (camera_view.get_camera_row(conn, camera_id) for camera_id in scope) if row]
        deadline = (request.get("decision") or {}).get("review_deadline")
        request["overdue"] = isinstance(deadline, str) and self.ctx.clock.now() > as_utc(
            datetime.fromisoformat(deadline))
        return {"request": request, "cameras": cameras,
                "own": request["requester"]["client_id"] == actor.client_id}

    @allowed(Role.PRIVACY_OFFICER)
    def review(self, actor: Actor, request_id: UUID, *, approve: bool, reason: str,
               narrower: Scope | None = None) -> dict[str, Any]:
        """Approve (optionally narrowing the scope: fewer cameras, a shorter window) or deny.

        The pure review rules decide the grant; nobody reviews their own request.
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

        _, position = self.ctx.app.change(request_id, FootageRequest, "request", settle)
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
