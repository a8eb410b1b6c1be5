"""Footage requests, their decisions and grants; the review queue."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import (
    Body,
    Instant,
    Location,
    LocationPublic,
    Public,
    Window,
    WindowPublic,
)
from broker.policy import Decision, Reason

RequestStatus = Literal["submitted", "pending_review", "granted", "denied", "closed", "revoked",
                        "expired", "withdrawn", "superseded"]


class Incident(Body):
    reference: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=200)
    location: Location | None = None
    occurred_at: Instant | None = None


class FootageRequestCreate(Body):
    """``POST /v1/requests``; rule violations are decisions (denied, with reasons), not 422s."""

    legal_basis: str = Field(min_length=1, max_length=64)
    incident: Incident
    radius_m: float = Field(gt=0, le=50_000, allow_inf_nan=False)
    window: Window
    purpose: str | None = Field(default=None, max_length=2000)
    mode: Literal["recorded", "live"] = "recorded"


class CloseRequest(Body):
    reason: str = Field(default="investigative use ended", min_length=1, max_length=1000)


class ReviewScope(Body):
    camera_ids: list[str] | None = Field(default=None, max_length=1000)
    window: Window | None = None


class ReviewCreate(Body):
    decision: Literal["approve", "deny"]
    reason: str = Field(min_length=1, max_length=2000)
    scope: ReviewScope | None = Field(
        default=None, description="approve a narrower scope: a subset of cameras, a shorter window")


class RequesterPublic(Public):
    client_id: str
    agency: str
    role: str


class IncidentPublic(Public):
    reference: str | None
    kind: str | None
    occurred_at: AwareDatetime | None
    location: LocationPublic | None = Field(description="null once personal data is erased")


class CitizenPublic(Public):
    requester_name: str | None
    requester_contact: str | None
    description: str | None


class LiveToken(Public):
    camera_id: str
    expires_at: AwareDatetime
    token: str = Field(description="fbl1 token a stream gateway checks with the public key")


class LiveTokenPage(Public):
    items: list[LiveToken]
    next_cursor: str | None


class GrantPublic(Public):
    id: str
    camera_ids: list[str]
    window: WindowPublic
    expires_at: AwareDatetime
    mask_third_parties: bool
    onward_transfer: str
    restrictions: list[str]
    status: str = Field(description="active while the request is granted; else the request's status")
    live_tokens: list[LiveToken] | None = None


class RequestPublic(Public):
    id: str
    status: RequestStatus
    requester: RequesterPublic
    legal_basis: str
    mode: Literal["recorded", "live"]
    incident: IncidentPublic
    radius_m: float
    window: WindowPublic
    purpose: str | None
    personal_data: Literal["present", "erased"]
    claim_reference: str | None = None
    identity_proof: str | None = None
    consent_reference: str | None = None
    citizen: CitizenPublic | None = None
    supersedes: str | None = Field(default=None, description="the request this one amended")
    submitted_at: AwareDatetime
    decision: Decision | None
    grant: GrantPublic | None
    closed_at: AwareDatetime | None
    review_overdue_since: AwareDatetime | None
    superseded_by: str | None = Field(description="the amended version that replaced this one")


class ScopePreview(Public):
    cameras: int = Field(description="how many cameras would be in scope (not which)")
    window: WindowPublic | None


class DecisionPreview(Public):
    """What a request would be answered, judged now; nothing was recorded."""

    dry_run: Literal[True]
    legal_basis: str
    citation: str | None
    outcome: Literal["granted", "denied", "pending_review"]
    reasons: list[Reason]
    scope: ScopePreview
    review_deadline: AwareDatetime | None
    expires_at: AwareDatetime | None
    mask_third_parties: bool


class ReviewItem(RequestPublic):
    overdue: bool


class ReviewPage(Public):
    items: list[ReviewItem]
    next_cursor: str | None
