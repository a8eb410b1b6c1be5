"""The citizen portal."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import Body, Instant, Location, Public, Window


class CitizenIdentity(Body):
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=3, max_length=200)


class CitizenRequestCreate(Body):
    """``POST /v1/citizen-requests``: filed by the citizen portal on a data subject's behalf."""

    reason: Literal["insurance_claim", "own_image", "consent"] = Field(description=(
        "what the citizen asks for; the pack files it under its basis (GET /v1/policy)"))
    requester: CitizenIdentity
    identity_proof: str = Field(min_length=1, max_length=200,
                                description="reference of the portal's identity check")
    claim_reference: str | None = Field(default=None, max_length=200)
    consent_reference: str | None = Field(default=None, max_length=200,
                                          description="the portal's record of the signed consent")
    incident_kind: str | None = Field(default=None, max_length=200)
    location: Location
    occurred_at: Instant
    window: Window
    radius_m: float = Field(default=50, gt=0, le=1000, allow_inf_nan=False)
    description: str | None = Field(default=None, max_length=2000)


class DeliveryLink(Public):
    url: str
    available_until: AwareDatetime
    masked: bool
    state: Literal["preparing", "in_review", "rendering", "ready", "failed", "gone"] = Field(
        description="preparing (detection running), in_review (a privacy officer checks the "
                    "draft), rendering, ready (download it), failed (staff are told), gone")
    frames_done: int = Field(description="progress of the detection, in frames")
    frames_total: int | None
    downloads_left: int | None = Field(description="once ready: downloads still allowed")


class CitizenRequestPublic(Public):
    id: str
    status: str
    reason: str
    legal_basis: str
    filed_at: AwareDatetime
    review_deadline: AwareDatetime | None
    decided_at: AwareDatetime | None
    reasons: list[str] = Field(description="why the request was refused, rule by rule")
    review_reason: str | None
    delivery: DeliveryLink | None
    superseded_by: str | None = Field(description="the amended version that replaced this one")
    appeal: str | None = Field(default=None, description="how to challenge a denial")


class CitizenRequestFiled(CitizenRequestPublic):
    access_token: str = Field(description="the only copy: the portal gives it to the citizen")
