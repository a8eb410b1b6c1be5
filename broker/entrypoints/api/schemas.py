"""Request and response shapes at the edge; everything entering the API is validated here."""

from __future__ import annotations

import math
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

PurposeCategory = Literal[
    "crime_prevention", "child_protection", "traffic_enforcement", "traffic_info",
    "illegal_dumping", "facility", "disaster", "drone", "other",
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(StrictModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class CameraCreate(StrictModel):
    key: str | None = Field(default=None, min_length=1, max_length=200,
                            description="stable external key; re-registering it is a conflict")
    name: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=200)
    purpose: str = Field(default="생활방범", max_length=100)
    purpose_category: PurposeCategory = "crime_prevention"
    address: str = Field(default="", max_length=500)
    location: Location
    coverage_m: float = Field(default=50.0, gt=0, le=5000)
    retention_days: int = Field(default=30, ge=1, le=3650)
    installed: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")


class Window(StrictModel):
    start: AwareDatetime
    end: AwareDatetime


class Incident(StrictModel):
    reference: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=200)
    location: Location | None = None
    occurred_at: AwareDatetime | None = None


class FootageRequestCreate(StrictModel):
    """``POST /v1/requests``; rule violations are decisions (denied, with reasons), not 422s."""

    legal_basis: str = Field(min_length=1, max_length=64)
    incident: Incident
    radius_m: float = Field(gt=0, le=50_000, allow_inf_nan=False)
    window: Window
    purpose: str | None = Field(default=None, max_length=2000)
    mode: Literal["recorded", "live"] = "recorded"


class CloseRequest(StrictModel):
    reason: str = Field(default="investigative use ended", min_length=1, max_length=1000)


class HoldCreate(StrictModel):
    case_reference: str = Field(min_length=1, max_length=200)
    camera_ids: list[UUID] = Field(min_length=1, max_length=1000)
    window: Window
    request_id: UUID | None = None
    reason: str = Field(min_length=1, max_length=1000)


class HoldRelease(StrictModel):
    reason: str = Field(default="released", min_length=1, max_length=1000)


class ReviewCreate(StrictModel):
    decision: Literal["approve", "deny"]
    reason: str = Field(min_length=1, max_length=2000)
    scope: ReviewScope | None = Field(
        default=None, description="approve a narrower scope: a subset of cameras, a shorter window")


class CitizenIdentity(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=3, max_length=200)


class CitizenRequestCreate(StrictModel):
    """``POST /v1/citizen-requests``: filed by the citizen portal on a data subject's behalf."""

    reason: Literal["insurance_claim", "own_image"]
    requester: CitizenIdentity
    identity_proof: str = Field(min_length=1, max_length=200,
                                description="reference of the portal's identity check")
    claim_reference: str | None = Field(default=None, max_length=200)
    incident_kind: str | None = Field(default=None, max_length=200)
    location: Location
    occurred_at: AwareDatetime
    window: Window
    radius_m: float = Field(default=50, gt=0, le=1000, allow_inf_nan=False)
    description: str | None = Field(default=None, max_length=2000)


class ReviewScope(StrictModel):
    camera_ids: list[str] | None = Field(default=None, max_length=1000)
    window: Window | None = None


ReviewCreate.model_rebuild()
