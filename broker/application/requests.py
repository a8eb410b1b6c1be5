"""Footage requests from dispatch systems: submit (decided at once), follow, close.

Who may see a request is decided in ``visible_request`` and nowhere else: its requester, and
the oversight roles (privacy officers and auditors); to anyone else it does not exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import Connection, RowMapping

from broker.application.actors import Actor, allowed
from broker.application.context import Context, UseCases
from broker.application.filing import (
    FieldLocations,
    judged_request,
    preview,
    request_details,
    require_complete,
)
from broker.application.live import live_tokens_for
from broker.application.ratelimit import RateLimit
from broker.domain.hold import Hold
from broker.domain.request import FootageRequest
from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.errors import NotFound
from broker.policy import EvaluationRequest, GeoPoint, Requester, TimeWindow
from broker.readmodel import request_view

DRY_RUNS = RateLimit(rate=30, per_seconds=60)
"""Per client: a portal may check every form it builds, not mine the camera map."""

REQUESTER_ROLES = (Role.POLICE, Role.FIRE, Role.DISASTER, Role.PRIVACY_OFFICER)
"""Who files agency requests; privacy officers file court-proceedings requests (courts have no
client of their own) that a second officer then reviews."""
READER_ROLES = tuple(role for role in Role if role is not Role.CITIZEN_PORTAL)


@dataclass(frozen=True, kw_only=True)
class RequestDraft:
    """A footage request as a requester phrases it; rule violations become reasoned denials."""

    LOCATIONS: ClassVar[FieldLocations] = {
        "incident_reference": ["body", "incident", "reference"],
        "incident_kind": ["body", "incident", "kind"],
        "incident_location": ["body", "incident", "location"],
        "occurred_at": ["body", "incident", "occurred_at"],
        "purpose": ["body", "purpose"],
    }

    legal_basis: str
    mode: str
    radius_m: float
    window_start: datetime
    window_end: datetime
    incident_reference: str | None = None
    incident_kind: str | None = None
    location: tuple[float, float] | None = None
    occurred_at: datetime | None = None
    purpose: str | None = None
    claim_reference: str | None = None
    identity_proof: str | None = None

    def for_evaluation(self, actor: Actor) -> EvaluationRequest:
        """The policy's view of the draft, with the requester established by authentication."""
        assert actor.role is not None, "requests are filed by clients"
        return EvaluationRequest(
            requester=Requester(role=actor.role, client_id=actor.client_id, agency=actor.agency),
            legal_basis=self.legal_basis, mode=self.mode,  # type: ignore[arg-type]
            radius_m=self.radius_m,
            window=TimeWindow(start=self.window_start, end=self.window_end),
            incident_reference=self.incident_reference, incident_kind=self.incident_kind,
            incident_location=(GeoPoint(lat=self.location[0], lon=self.location[1])
                               if self.location else None),
            occurred_at=self.occurred_at, purpose=self.purpose,
            claim_reference=self.claim_reference, identity_proof=self.identity_proof,
        )


class Requests(UseCases):
    @allowed(*REQUESTER_ROLES)
    def submit(self, actor: Actor, draft: RequestDraft) -> dict[str, Any]:
        """Record the request, evaluate it against the active pack, record the decision.

        Submission and decision are saved together: there is never a request without its
        decision, nor a decision without the request it judged.
        """
        request = draft.for_evaluation(actor)
        require_complete(request, self.ctx, draft.LOCATIONS)
        footage_request, key = judged_request(self.ctx, request, {})
        self.ctx.app.record(footage_request, keys=[key])
        # Answered from the aggregate just stored: the read model catches up behind the answer,
        # and any later read in this process waits for it (read-your-writes).
        return self._answer(actor, as_row(footage_request), request_details(request)[1])

    @allowed(*REQUESTER_ROLES)
    def dry_run(self, actor: Actor, draft: RequestDraft) -> dict[str, Any]:
        """The decision ``submit`` would record now, recording nothing (rate-limited)."""
        DRY_RUNS.take(actor.client_id, "dry runs a minute")
        request = draft.for_evaluation(actor)
        require_complete(request, self.ctx, draft.LOCATIONS)
        return preview(request, self.ctx)

    @allowed(*REQUESTER_ROLES)
    def amend(self, actor: Actor, request_id: UUID, draft: RequestDraft) -> dict[str, Any]:
        """A pending request replaced by a new version with its own decision; the old one is
        kept, marked superseded, and both are saved together."""
        with self.read() as conn:
            visible_request(conn, request_id, actor, owner_only=True)
        request = draft.for_evaluation(actor)
        require_complete(request, self.ctx, draft.LOCATIONS)
        previous = self.ctx.app.load(request_id, FootageRequest, "request")
        amended, key = judged_request(self.ctx, request, {}, supersedes=str(request_id))
        previous.supersede(str(amended.id), at=self.ctx.clock.now())
        position = self.ctx.app.record(previous, amended, keys=[key])
        return self.view(actor, amended.id, after=position)

    @allowed(*REQUESTER_ROLES)
    def withdraw(self, actor: Actor, request_id: UUID) -> dict[str, Any]:
        """The requester no longer wants the footage: nothing more is reviewed or provided."""
        with self.read() as conn:
            visible_request(conn, request_id, actor, owner_only=True)
        _, position = self.ctx.app.change(request_id, FootageRequest, "request",
                                          lambda r: r.withdraw(at=self.ctx.clock.now()))
        return self.view(actor, request_id, after=position)

    @allowed(*READER_ROLES)
    def get(self, actor: Actor, request_id: UUID) -> dict[str, Any]:
        """A request with its decision and grant: to its requester and to oversight.

        Not to the citizen portal: a citizen request's identity, contact and claim go only to
        the holder of its access token (``/v1/citizen-requests``) and to oversight.
        """
        return self.view(actor, request_id)

    @allowed(*REQUESTER_ROLES)
    def close(self, actor: Actor, request_id: UUID, reason: str) -> dict[str, Any]:
        """Investigative use has ended: the grant ends and the case's holds are released, atomically."""
        with self.read() as conn:
            visible_request(conn, request_id, actor, owner_only=True)
            hold_ids = request_view.active_hold_ids_for_request(conn, str(request_id))
        footage_request = self.ctx.app.load(request_id, FootageRequest, "request")
        now = self.ctx.clock.now()
        footage_request.close(actor.client_id, reason, at=now)
        released = []
        for hold_id in hold_ids:
            hold = self.ctx.app.load(UUID(hold_id), Hold, "hold")
            if hold.is_active:
                hold.release(actor.client_id, f"request {request_id} closed: {reason}", at=now)
                released.append(hold)
        position = self.ctx.app.record(footage_request, *released)
        return self.view(actor, request_id, after=position)

    def view(self, actor: Actor, request_id: UUID, after: int | None = None) -> dict[str, Any]:
        """The request as this actor may see it; a live grant's owner also gets live tokens."""
        with self.read(after) as conn:
            row = visible_request(conn, request_id, actor)
        return self._answer(actor, row, request_view.open_personal(self.ctx.personal_data, row))

    def _answer(self, actor: Actor, row: request_view.Row,
                personal: dict[str, Any] | None) -> dict[str, Any]:
        tokens = None
        if row["mode"] == "live" and row["status"] == "granted" and row["client_id"] == actor.client_id:
            tokens = live_tokens_for(self.ctx, row)
        return request_view.request_public(row, personal, tokens)


def as_row(footage_request: FootageRequest) -> dict[str, Any]:
    """The read-model row a new request will project to, from the aggregate itself (the same
    fields, so the answer to a filing is the answer a later read gives)."""
    grant = footage_request.grant
    return {
        "id": str(footage_request.id), "status": footage_request.status,
        "client_id": footage_request.client_id, "agency": footage_request.requester["agency"],
        "role": footage_request.requester["role"], "mode": footage_request.details["mode"],
        "legal_basis": footage_request.details["legal_basis"],
        "details": json.dumps(footage_request.details), "submitted_at": footage_request.submitted_at,
        "decision": json.dumps(footage_request.decision) if footage_request.decision else None,
        "grant": json.dumps(grant) if grant else None, "closed_at": footage_request.closed_at,
        "overdue_at": footage_request.overdue_at, "superseded_by": None,
    }


def present(ctx: Context, row: RowMapping,
            live_tokens: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The request as the API shows it, its personal data opened from the seal just now."""
    return request_view.request_public(row, request_view.open_personal(ctx.personal_data, row),
                                       live_tokens)


def visible_request(conn: Connection, request_id: UUID | str, actor: Actor, *,
                    owner_only: bool = False) -> RowMapping:
    """The request row if this actor may see it; another client's request is simply absent."""
    row = request_view.get_request_row(conn, str(request_id))
    oversight = not owner_only and (actor.role in OVERSIGHT_ROLES or actor.is_shell)
    if row is None or (row["client_id"] != actor.client_id and not oversight):
        raise NotFound(f"no request {request_id}")
    return row
