"""A footage request from a dispatch system, from submission to closure.

The aggregate does not evaluate policy: it is handed the decision (a JSON document produced by
the pure evaluator, stamped with pack id, version and digest) and records it verbatim, then
enforces the lifecycle: only an active grant may be viewed or exported, nothing reopens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.topics import topic

GRANT_NAMESPACE = uuid5(NAMESPACE_URL, "https://footage-broker.invalid/grant")

SUBMITTED = "submitted"
PENDING_REVIEW = "pending_review"
GRANTED = "granted"
DENIED = "denied"
CLOSED = "closed"
REVOKED = "revoked"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"
SUPERSEDED = "superseded"
PENDING = (SUBMITTED, PENDING_REVIEW)
"""Not yet decided for good: the requester may still amend or withdraw."""


def grant_id_for(request_id: UUID) -> UUID:
    return uuid5(GRANT_NAMESPACE, str(request_id))


class FootageRequest(Aggregate):
    TOPIC = topic("FootageRequest")

    class Event(Aggregate.Event):
        TOPIC = topic("FootageRequest.Event")

    @event("Submitted", topic=topic("FootageRequest.Submitted"))
    def __init__(
        self,
        id: UUID,  # eventsourcing takes the aggregate id from this parameter
        requester: dict[str, Any],
        details: dict[str, Any],
        sealed_personal_data: str | None,
        subject_key_id: str | None,
        at: datetime,
    ) -> None:
        """``details`` holds no personal data; that is in ``sealed_personal_data``."""
        self.requester = requester
        self.details = details
        self.subject_key_id = subject_key_id
        self.personal_data_erased_at: datetime | None = None
        self.submitted_at = at
        self.status = SUBMITTED
        self.decision: dict[str, Any] | None = None
        self.grant: dict[str, Any] | None = None
        self.exports: list[str] = []
        self.views = 0
        self.closed_at: datetime | None = None
        self.overdue_at: datetime | None = None
        self.access_token_sha256: str | None = None

    @property
    def grant_id(self) -> UUID:
        return grant_id_for(self.id)

    @property
    def client_id(self) -> str:
        return str(self.requester["client_id"])

    # decision and review ------------------------------------------------------------------

    def decide(self, decision: dict[str, Any], at: datetime) -> None:
        """Record the evaluator's decision, then the grant or denial it implies."""
        if self.status != SUBMITTED:
            raise DomainConflict(f"request {self.id} was already decided")
        self._decided(decision=decision, at=at)
        self._settle(decision, at)

    @event("Decided", topic=topic("FootageRequest.Decided"))
    def _decided(self, decision: dict[str, Any], at: datetime) -> None:
        self.decision = decision
        self.status = PENDING_REVIEW if decision["outcome"] == "pending_review" else SUBMITTED

    def review(self, decision: dict[str, Any], reviewer: str, approved: bool, reason: str,
               at: datetime) -> None:
        if self.status != PENDING_REVIEW:
            raise DomainConflict(f"request {self.id} is not waiting for review (it is {self.status})")
        if not reason.strip():
            raise DomainInvalid("a review needs a reason")
        if decision["outcome"] != ("granted" if approved else "denied"):
            raise DomainInvalid("the reviewed decision does not match the review outcome")
        self._reviewed(decision=decision, reviewer=reviewer, approved=approved, reason=reason, at=at)
        self._settle(decision, at)

    @event("Reviewed", topic=topic("FootageRequest.Reviewed"))
    def _reviewed(self, decision: dict[str, Any], reviewer: str, approved: bool, reason: str,
                  at: datetime) -> None:
        self.decision = decision

    def _settle(self, decision: dict[str, Any], at: datetime) -> None:
        if decision["outcome"] == "granted":
            scope = decision["scope"]
            self._granted(
                grant_id=str(self.grant_id),
                camera_ids=list(scope["camera_ids"]),
                window=dict(scope["window"]),
                expires_at=decision["expires_at"],
                mask_third_parties=bool(decision["mask_third_parties"]),
                onward_transfer=decision["onward_transfer"],
                restrictions=list(decision["restrictions"]),
                at=at,
            )
        elif decision["outcome"] == "denied":
            reasons = [r["message"] for r in decision["reasons"] if not r["passed"]]
            self._denied(reasons=reasons, at=at)

    @event("Granted", topic=topic("FootageRequest.Granted"))
    def _granted(self, grant_id: str, camera_ids: list[str], window: dict[str, str],
                 expires_at: str, mask_third_parties: bool, onward_transfer: str,
                 restrictions: list[str], at: datetime) -> None:
        self.status = GRANTED
        self.grant = {
            "id": grant_id, "camera_ids": camera_ids, "window": window, "expires_at": expires_at,
            "mask_third_parties": mask_third_parties, "onward_transfer": onward_transfer,
            "restrictions": restrictions,
        }

    @event("Denied", topic=topic("FootageRequest.Denied"))
    def _denied(self, reasons: list[str], at: datetime) -> None:
        self.status = DENIED

    def flag_overdue(self, at: datetime) -> bool:
        """Once a pending review passes its legal deadline, say so (once); never grant."""
        if self.status != PENDING_REVIEW or self.overdue_at is not None or self.decision is None:
            return False
        deadline = self.decision.get("review_deadline")
        if deadline is None or at <= datetime.fromisoformat(deadline):
            return False
        self._review_overdue(deadline=deadline, at=at)
        return True

    @event("ReviewOverdue", topic=topic("FootageRequest.ReviewOverdue"))
    def _review_overdue(self, deadline: str, at: datetime) -> None:
        self.overdue_at = at

    def erase_personal_data(self, at: datetime) -> None:
        """Record that the subject key was shredded: the sealed data is gone for good."""
        if self.subject_key_id is None or self.personal_data_erased_at is not None:
            raise DomainConflict(f"request {self.id} holds no personal data to erase")
        self._personal_data_erased(subject_key_id=self.subject_key_id, at=at)

    @event("PersonalDataErased", topic=topic("FootageRequest.PersonalDataErased"))
    def _personal_data_erased(self, subject_key_id: str, at: datetime) -> None:
        self.personal_data_erased_at = at

    # use of the grant ---------------------------------------------------------------------

    def require_usable_grant(self, now: datetime) -> dict[str, Any]:
        """The grant, if it may be used right now; otherwise a conflict saying why not."""
        if self.status != GRANTED or self.grant is None:
            raise DomainConflict(f"grant {self.grant_id} is not active (request is {self.status})")
        if now >= datetime.fromisoformat(self.grant["expires_at"]):
            raise DomainConflict(f"grant {self.grant_id} expired at {self.grant['expires_at']}")
        return self.grant

    def record_view(self, clip_id: str, byte_range: str | None, client_id: str,
                    at: datetime) -> None:
        self.require_usable_grant(at)
        self._viewed(grant_id=str(self.grant_id), clip_id=clip_id, byte_range=byte_range,
                     client_id=client_id, at=at)

    @event("Viewed", topic=topic("FootageRequest.Viewed"))
    def _viewed(self, grant_id: str, clip_id: str, byte_range: str | None, client_id: str,
                at: datetime) -> None:
        self.views += 1

    def record_preview(self, clip_id: str, reviewer: str, at: datetime) -> None:
        """A privacy officer watched a clip in scope while reviewing; only a pending review."""
        if self.status != PENDING_REVIEW:
            raise DomainConflict(f"request {self.id} is {self.status}: there is nothing to review")
        self._previewed(clip_id=clip_id, reviewer=reviewer, at=at)

    @event("Previewed", topic=topic("FootageRequest.Previewed"))
    def _previewed(self, clip_id: str, reviewer: str, at: datetime) -> None:
        pass

    def record_export(self, export_id: str, clip_ids: list[str], manifest_sha256: str,
                      client_id: str, at: datetime) -> None:
        self.require_usable_grant(at)
        self._exported(grant_id=str(self.grant_id), export_id=export_id, clip_ids=clip_ids,
                       manifest_sha256=manifest_sha256, client_id=client_id, at=at)

    @event("Exported", topic=topic("FootageRequest.Exported"))
    def _exported(self, grant_id: str, export_id: str, clip_ids: list[str], manifest_sha256: str,
                  client_id: str, at: datetime) -> None:
        self.exports.append(export_id)

    def issue_access_token(self, token_sha256: str, at: datetime) -> None:
        """Citizens follow their request with a per-request token; only its hash is kept."""
        if len(token_sha256) != 64:
            raise DomainInvalid("access token hash must be a SHA-256 hex digest")
        self._access_token_issued(token_sha256=token_sha256, at=at)

    @event("AccessTokenIssued", topic=topic("FootageRequest.AccessTokenIssued"))
    def _access_token_issued(self, token_sha256: str, at: datetime) -> None:
        self.access_token_sha256 = token_sha256

    def record_delivery(self, delivery_id: str, clip_ids: list[str], manifest_sha256: str,
                        masked: bool, client_id: str, at: datetime) -> None:
        """A (masked) copy handed to the data subject; refused unmasked when masking is due."""
        grant = self.require_usable_grant(at)
        if grant["mask_third_parties"] and not masked:
            raise DomainConflict("this grant may only be delivered masked")
        self._delivered(grant_id=str(self.grant_id), delivery_id=delivery_id, clip_ids=clip_ids,
                        manifest_sha256=manifest_sha256, masked=masked, client_id=client_id, at=at)

    @event("Delivered", topic=topic("FootageRequest.Delivered"))
    def _delivered(self, grant_id: str, delivery_id: str, clip_ids: list[str], manifest_sha256: str,
                   masked: bool, client_id: str, at: datetime) -> None:
        self.exports.append(delivery_id)

    def withdraw(self, at: datetime) -> None:
        """The requester no longer wants the footage: nothing more is reviewed or delivered."""
        if self.status not in (SUBMITTED, PENDING_REVIEW, GRANTED):
            raise DomainConflict(f"request {self.id} is already {self.status}")
        self._withdrawn(at=at)

    @event("Withdrawn", topic=topic("FootageRequest.Withdrawn"))
    def _withdrawn(self, at: datetime) -> None:
        self.status = WITHDRAWN

    def supersede(self, by_request_id: str, at: datetime) -> None:
        """An amended request replaces this pending one; this one is kept, and ends here."""
        if self.status not in PENDING:
            raise DomainConflict(f"only a pending request can be amended (request is {self.status})")
        self._superseded(by_request_id=by_request_id, at=at)

    @event("Superseded", topic=topic("FootageRequest.Superseded"))
    def _superseded(self, by_request_id: str, at: datetime) -> None:
        self.status = SUPERSEDED

    # ending -------------------------------------------------------------------------------

    def close(self, by: str, reason: str, at: datetime) -> None:
        """Investigative use has ended: exports declared destroyed, grant revoked."""
        if self.status in (CLOSED, DENIED, WITHDRAWN):
            raise DomainConflict(f"request {self.id} is already {self.status}")
        self._closed(by=by, reason=reason, exports_destroyed=list(self.exports), at=at)

    @event("Closed", topic=topic("FootageRequest.Closed"))
    def _closed(self, by: str, reason: str, exports_destroyed: list[str], at: datetime) -> None:
        self.status = CLOSED
        self.closed_at = at

    def revoke(self, by: str, reason: str, at: datetime) -> None:
        if self.status != GRANTED:
            raise DomainConflict(f"only an active grant can be revoked (request is {self.status})")
        self._revoked(by=by, reason=reason, at=at)

    @event("Revoked", topic=topic("FootageRequest.Revoked"))
    def _revoked(self, by: str, reason: str, at: datetime) -> None:
        self.status = REVOKED

    def expire(self, at: datetime) -> bool:
        """Record expiry once the lifetime has passed; False when there is nothing to expire."""
        if self.status != GRANTED or self.grant is None:
            return False
        if at < datetime.fromisoformat(self.grant["expires_at"]):
            return False
        self._expired(at=at)
        return True

    @event("Expired", topic=topic("FootageRequest.Expired"))
    def _expired(self, at: datetime) -> None:
        self.status = EXPIRED
