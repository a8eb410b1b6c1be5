"""The citizen portal: file a request for one's own footage, follow it, receive it masked.

The portal authenticates as a client (role ``citizen_portal``); each request is further
guarded by its own access token, returned once at filing, so one citizen can never read
another's request even through the same portal. ``own_request`` is that rule, once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from sqlalchemy import Connection, RowMapping

from broker.adapters.vault.keystore import PendingKey
from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.application.filing import FieldLocations, judged_request, preview, require_complete
from broker.application.redactions import Redactions, citizen_delivery
from broker.application.requests import DRY_RUNS, RequestDraft
from broker.common.times import rfc3339
from broker.domain import apikeys
from broker.domain.errors import DomainConflict
from broker.domain.request import FootageRequest
from broker.domain.roles import Role
from broker.errors import Forbidden, NotFound
from broker.policy import EvaluationRequest, PolicyPack
from broker.readmodel import redaction_view, request_view
from broker.readmodel.clip_view import get_clip_row

CitizenReason = Literal["insurance_claim", "own_image", "consent"]
APPEAL = {
    "KR": "You may challenge this decision within 90 days of learning of it by an administrative "
          "appeal (행정심판법 Art. 27) or ask the Personal Information Dispute Mediation "
          "Committee (개인정보 분쟁조정위원회, PIPA Art. 43) to mediate.",
    "EU": "You may lodge a complaint with a supervisory authority (GDPR Art. 77) and seek a "
          "judicial remedy (GDPR Art. 79).",
}
_NO_TOKEN_HASH = apikeys.hash_secret("no-token")


@dataclass(frozen=True, kw_only=True)
class CitizenDraft:
    """A data subject's request as the portal's form phrases it."""

    LOCATIONS: ClassVar[FieldLocations] = {
        "identity_proof": ["body", "identity_proof"],
        "claim_reference": ["body", "claim_reference"],
        "consent_reference": ["body", "consent_reference"],
        "incident_kind": ["body", "incident_kind"],
        "incident_location": ["body", "location"],
        "occurred_at": ["body", "occurred_at"],
        "purpose": ["body", "description"],
    }

    reason: CitizenReason
    name: str
    contact: str
    identity_proof: str
    claim_reference: str | None
    incident_kind: str | None
    location: tuple[float, float]
    occurred_at: datetime
    window_start: datetime
    window_end: datetime
    radius_m: float
    description: str | None
    consent_reference: str | None = None

    def for_evaluation(self, actor: Actor, pack: PolicyPack) -> EvaluationRequest:
        """The policy's view: the basis the pack files this reason under (an unknown one is a
        reasoned denial, like any basis the pack does not know)."""
        basis = pack.basis_for_portal(self.reason)
        request = RequestDraft(
            legal_basis=basis.id if basis else self.reason, mode="recorded",
            radius_m=self.radius_m, window_start=self.window_start, window_end=self.window_end,
            incident_kind=self.incident_kind, location=self.location,
            occurred_at=self.occurred_at, claim_reference=self.claim_reference,
            identity_proof=self.identity_proof, purpose=self.description,
        ).for_evaluation(actor)
        return request.model_copy(update={"consent_reference": self.consent_reference})

    def personal(self) -> dict[str, Any]:
        return {"requester_name": self.name, "requester_contact": self.contact,
                "description": self.description}


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    sha256: str
    size: int
    download: int
    body: Iterator[bytes]


@dataclass(frozen=True)
class Watched:
    """One masked clip (MP4, H.264), whole: clips are bounded by ``max_clip_bytes``."""
    body: bytes
    sha256: str


class Citizens(UseCases):
    @allowed(Role.CITIZEN_PORTAL)
    def file(self, actor: Actor, draft: CitizenDraft) -> dict[str, Any]:
        """A data subject's own request: the agency lifecycle, plus sealed identity and contact,
        and a per-request access token (in the answer, once; only its hash is kept)."""
        request = draft.for_evaluation(actor, self.ctx.policy)
        require_complete(request, self.ctx, draft.LOCATIONS)
        return self._filed(actor, *judged_request(self.ctx, request, draft.personal()))

    @allowed(Role.CITIZEN_PORTAL)
    def dry_run(self, actor: Actor, draft: CitizenDraft) -> dict[str, Any]:
        """The decision filing would get now (usually: a review, and its deadline), recording
        nothing; rate-limited per portal."""
        DRY_RUNS.take(actor.client_id, "dry runs a minute")
        request = draft.for_evaluation(actor, self.ctx.policy)
        require_complete(request, self.ctx, draft.LOCATIONS)
        return preview(request, self.ctx)

    @allowed(Role.CITIZEN_PORTAL)
    def amend(self, actor: Actor, request_id: UUID, token: str, draft: CitizenDraft) -> dict[str, Any]:
        """A pending request replaced by a new version (with a new access token); the old one
        is kept, marked superseded."""
        with self.read() as conn:
            own_request(conn, request_id, actor, token)
        request = draft.for_evaluation(actor, self.ctx.policy)
        require_complete(request, self.ctx, draft.LOCATIONS)
        previous = self.ctx.app.load(request_id, FootageRequest, "request")
        amended, key = judged_request(self.ctx, request, draft.personal(),
                                      supersedes=str(request_id))
        previous.supersede(str(amended.id), at=self.ctx.clock.now())
        return self._filed(actor, amended, key, previous)

    def _filed(self, actor: Actor, footage_request: FootageRequest, key: PendingKey,
               *also: FootageRequest) -> dict[str, Any]:
        token = apikeys.new_secret()
        footage_request.issue_access_token(apikeys.hash_secret(token), at=self.ctx.clock.now())
        redaction = Redactions(self.ctx).start_for(footage_request, actor.client_id)
        position = self.ctx.app.record(footage_request, *also, *([redaction] if redaction else []),
                                       keys=[key])
        view = self.follow(actor, footage_request.id, token, after=position)
        view["access_token"] = token
        return view

    @allowed(Role.CITIZEN_PORTAL)
    def follow(self, actor: Actor, request_id: UUID, token: str,
               after: int | None = None) -> dict[str, Any]:
        def view(conn: Connection) -> dict[str, Any]:
            return self._citizen_view(own_request(conn, request_id, actor, token), conn)

        return self.look_up(view, after)

    @allowed(Role.CITIZEN_PORTAL)
    def status_page(self, actor: Actor, request_id: UUID, token: str) -> dict[str, Any]:
        """What the citizen's page shows: ``follow``'s view and, once the masked copy is
        ready, the clips its player offers (``watch`` plays them one at a time, in the order
        of the copy's files)."""
        with self.read() as conn:
            row = own_request(conn, request_id, actor, token)
            view = self._citizen_view(row, conn)
            delivery = view["delivery"]
            redaction = redaction_view.get_by_request(conn, str(request_id))
            if delivery is not None and delivery["state"] == "ready" and redaction is not None:
                ids = [c["clip_id"] for c in redaction_view.clips_of(conn, redaction["id"])]
                delivery["clips"] = []
                for number, clip_id in enumerate(sorted(ids), start=1):
                    clip = get_clip_row(conn, clip_id)
                    delivery["clips"].append({"number": number,
                                              "start": rfc3339(clip["start"]) if clip else None,
                                              "end": rfc3339(clip["end"]) if clip else None})
        return view

    @allowed(Role.CITIZEN_PORTAL)
    def form_limits(self, actor: Actor) -> dict[str, Any]:
        """What the active pack allows each reason a citizen can give (window, radius, look-back,
        required fields), so that a form can say so, and its defaults fit, before filing."""
        bases = [basis for basis in self.ctx.policy.bases
                 if basis.portal_reason and Role.CITIZEN_PORTAL in basis.roles]
        reasons = {basis.portal_reason: {
            "max_window_minutes": basis.max_window_minutes, "max_radius_m": basis.max_radius_m,
            "max_lookback_days": basis.max_lookback_days,
            "required_fields": list(basis.required_fields)} for basis in bases}
        return {"reasons": reasons,
                "max_window_minutes": min((b.max_window_minutes for b in bases), default=60),
                "max_radius_m": max((b.max_radius_m for b in bases), default=100.0)}

    @allowed(Role.CITIZEN_PORTAL)
    def withdraw(self, actor: Actor, request_id: UUID, token: str) -> dict[str, Any]:
        self.look_up(lambda conn: own_request(conn, request_id, actor, token))
        _, position = self.ctx.app.change(request_id, FootageRequest, "request",
                                          lambda r: r.withdraw(at=self.ctx.clock.now()))
        return self.follow(actor, request_id, token, after=position)

    @allowed(Role.CITIZEN_PORTAL)
    def deliver(self, actor: Actor, request_id: UUID, token: str) -> Delivery:
        """The approved masked copy, as a signed zip of browser-playable MP4s: rendered once after
        a privacy officer signed the redaction off, the same bytes on every download; each
        download is recorded first, and they are limited in number and time. 409 while it is
        being prepared or reviewed, 410 once expired, used up or destroyed."""
        self._deliverable(actor, request_id, token)
        artifact = Redactions(self.ctx).download(actor, request_id)
        return Delivery(delivery_id=artifact.delivery_id, sha256=artifact.sha256, size=artifact.size,
                        download=artifact.download, body=artifact.body)

    @allowed(Role.CITIZEN_PORTAL)
    def watch(self, actor: Actor, request_id: UUID, token: str, number: int) -> Watched:
        """Clip ``number`` of the released masked copy, to play in the page: the very MP4 the
        download holds. Each watch is recorded first (``Redaction.Watched``); it spends no
        download, and the first hand-over of either kind is the ledger's provision."""
        self._deliverable(actor, request_id, token)
        body = Redactions(self.ctx).watch(actor, request_id, number)
        return Watched(body=body, sha256=hashlib.sha256(body).hexdigest())

    def _deliverable(self, actor: Actor, request_id: UUID, token: str) -> None:
        """Refuse unless this is the citizen's own granted request with a usable grant."""
        with self.read() as conn:
            row = own_request(conn, request_id, actor, token)
        if row["status"] != "granted":
            raise Forbidden(f"nothing to deliver: the request is {row['status']}")
        footage_request = self.ctx.app.load(request_id, FootageRequest, "request")
        try:
            footage_request.require_usable_grant(self.ctx.clock.now())
        except DomainConflict as exc:
            raise Forbidden(exc.detail) from None

    def _reason(self, basis_id: str) -> str:
        return _basis_reason(self.ctx.policy, basis_id)

    def _citizen_view(self, row: RowMapping, conn: Any) -> dict[str, Any]:
        """What the data subject may see: status, deadline, reasons for a denial, how to appeal."""
        decision = json.loads(row["decision"]) if row["decision"] else {}
        review = decision.get("review") or {}
        status = row["status"]
        view: dict[str, Any] = {
            "id": row["id"],
            "status": status,
            "reason": self._reason(row["legal_basis"]),
            "legal_basis": row["legal_basis"],
            "filed_at": rfc3339(row["submitted_at"]),
            "review_deadline": rfc3339(row["review_deadline"]) if row["review_deadline"] else None,
            "decided_at": review.get("reviewed_at") or (
                decision.get("decided_at") if decision.get("outcome") != "pending_review" else None),
            "superseded_by": row["superseded_by"],
            "reasons": [r["message"] for r in decision.get("reasons", []) if not r["passed"]],
            "review_reason": review.get("reason"),
            "delivery": None,
        }
        if status == "denied":  # a decision: only these count as refusals, and can be appealed
            view["appeal"] = APPEAL.get(self.ctx.policy.jurisdiction.upper()[:2], APPEAL["KR"])
        if status == "granted" and row["grant"]:
            grant = json.loads(row["grant"])
            view["delivery"] = citizen_delivery(conn, row["id"], f"/v1/citizen-requests/{row['id']}/delivery",
                                                grant["expires_at"])
        return view


def _basis_reason(pack: PolicyPack, basis_id: str) -> str:
    basis = pack.basis(basis_id)
    return basis.portal_reason if basis is not None and basis.portal_reason else basis_id


def own_request(conn: Any, request_id: UUID, actor: Actor, token: str) -> RowMapping:
    """The request if this portal filed it and the token is its own; 404 otherwise, always."""
    row = request_view.get_request_row(conn, str(request_id))
    stored = row["access_token_hash"] if row is not None else None
    matches = apikeys.secret_matches(token, stored or _NO_TOKEN_HASH)
    if row is None or stored is None or not matches or row["client_id"] != actor.client_id:
        raise NotFound(f"no citizen request {request_id}")
    return row
