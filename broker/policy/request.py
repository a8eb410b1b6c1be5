"""What the evaluator is asked about: the request, its requester and the cameras around it."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, Protocol

from pydantic import Field

from broker.policy.values import FrozenModel, Mode, Role, UtcDatetime

CameraStatus = Literal["active", "decommissioned"]


class GeoPoint(FrozenModel):
    """A WGS84 position; out-of-range or non-finite coordinates never reach the evaluator."""

    lat: float = Field(ge=-90.0, le=90.0, allow_inf_nan=False)
    lon: float = Field(ge=-180.0, le=180.0, allow_inf_nan=False)


class TimeWindow(FrozenModel):
    """``[start, end)`` in UTC; order is left unchecked so the evaluator can deny with a reason."""

    start: UtcDatetime
    end: UtcDatetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class Requester(FrozenModel):
    """Who asks, as established by authentication (never taken from the request body)."""

    role: Role
    client_id: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=200)


class EvaluationRequest(FrozenModel):
    """A footage request as the policy sees it; optional fields are checked per legal basis.

    ``identity_proof``, ``claim_reference`` and ``consent_reference`` are references to
    checks done elsewhere (the portal's identity verification, the insurer's claim, the
    signed consent form), never the documents themselves.
    """

    requester: Requester
    legal_basis: str = Field(max_length=200)
    mode: Mode
    radius_m: float = Field(allow_inf_nan=False)
    window: TimeWindow
    incident_reference: str | None = Field(default=None, max_length=500)
    incident_kind: str | None = Field(default=None, max_length=500)
    incident_location: GeoPoint | None = None
    occurred_at: UtcDatetime | None = None
    purpose: str | None = Field(default=None, max_length=4000)
    claim_reference: str | None = Field(default=None, max_length=500)
    identity_proof: str | None = Field(default=None, max_length=500)
    consent_reference: str | None = Field(default=None, max_length=500)


class CameraSite(FrozenModel):
    """A camera as the scope needs it: where it is, how far it sees, whether it still runs."""

    camera_id: str = Field(min_length=1)
    lat: float = Field(ge=-90.0, le=90.0, allow_inf_nan=False)
    lon: float = Field(ge=-180.0, le=180.0, allow_inf_nan=False)
    coverage_m: float = Field(ge=0.0, allow_inf_nan=False)
    status: CameraStatus


class Site(Protocol):
    """What the evaluator reads of a camera: a ``CameraSite``, or a row of the read model's
    spatial index (read-only attributes of the same names), taken as it is on the hot path."""

    @property
    def camera_id(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def coverage_m(self) -> float: ...
    @property
    def status(self) -> str: ...
