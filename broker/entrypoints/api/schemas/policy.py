"""The active policy pack and the broker's public keys."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from broker.entrypoints.api.schemas.common import Public


class BasisLimits(Public):
    max_radius_m: float
    max_window_minutes: int
    max_lookback_days: int
    grant_lifetime_hours: int
    review_deadline_days: int | None


class BasisPublic(Public):
    id: str
    citation: str
    title: str
    description: str
    roles: list[str]
    modes: list[str]
    required_fields: list[str]
    decision: str
    limits: BasisLimits
    mask_third_parties: bool
    onward_transfer: str
    restrictions: list[str]
    portal_reason: str | None = Field(description="the citizen portal's reason filed under it")
    files_at: str = Field(description="the endpoint that files a request under this basis")
    request_schema: dict[str, Any] = Field(description="JSON Schema of that request's body")


class PolicyPublic(Public):
    id: str
    version: str
    digest: str
    jurisdiction: str
    title: str
    default_retention_days: int
    record_retention_days: int
    bases: list[BasisPublic]


class PublicKey(Public):
    key_id: str
    algorithm: str
    use: list[str] = Field(description="what the key signs: export, checkpoint, live")
    public_key_pem: str


class PublicKeys(Public):
    keys: list[PublicKey]
