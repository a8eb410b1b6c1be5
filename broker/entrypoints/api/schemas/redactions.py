"""Redactions of citizen deliveries, and the overlay zones of cameras."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import Body, Public

TrackId = str
Fraction01 = float


class OverlayZone(Body):
    """A rectangle in fractions of the frame (0..1) where the camera draws an overlay."""

    x: float = Field(ge=0, lt=1, allow_inf_nan=False)
    y: float = Field(ge=0, lt=1, allow_inf_nan=False)
    w: float = Field(gt=0, le=1, allow_inf_nan=False)
    h: float = Field(gt=0, le=1, allow_inf_nan=False)
    label: str = Field(default="", max_length=64, description="e.g. time stamp, camera label")


class OverlayZonesPut(Body):
    zones: list[OverlayZone] = Field(max_length=8)


class OverlayZonePublic(Public):
    x: float
    y: float
    w: float
    h: float
    label: str


class OverlayZonesPublic(Public):
    camera_id: str
    zones: list[OverlayZonePublic]
    set_by: str | None
    set_at: AwareDatetime | None


class ManualBoxCreate(Body):
    """A box to mask over a range of frames, in the clip's pixels."""

    x: float = Field(ge=0, le=8192, allow_inf_nan=False)
    y: float = Field(ge=0, le=8192, allow_inf_nan=False)
    w: float = Field(gt=0, le=8192, allow_inf_nan=False)
    h: float = Field(gt=0, le=8192, allow_inf_nan=False)
    from_frame: int = Field(ge=0, le=10_000_000)
    to_frame: int = Field(ge=0, le=10_000_000)


class CorrectionCreate(Body):
    clip_id: UUID
    keep: list[TrackId] = Field(default_factory=list, max_length=100, description=(
        "tracks to leave visible: the data subject's own face (own-image requests only)"))
    unkeep: list[TrackId] = Field(default_factory=list, max_length=100)
    add: list[ManualBoxCreate] = Field(default_factory=list, max_length=100)
    remove: list[str] = Field(default_factory=list, max_length=100, description="manual box ids")
    note: str = Field(default="", max_length=2000)


class ApprovalCreate(Body):
    note: str = Field(min_length=1, max_length=2000, description="what the reviewer checked")


class RedactionDraftPublic(Public):
    sha256: str
    frames: int
    tracks: dict[str, int] = Field(description="tracks found, by kind (face, plate, person)")
    zone_drops: int = Field(description="detections dropped because they touched an overlay zone")


class RedactionClip(Public):
    clip_id: str
    status: Literal["queued", "running", "drafted"]
    attempts: int
    frames_done: int
    frames_total: int | None
    draft: RedactionDraftPublic | None


class RedactionFailure(Public):
    clip_id: str | None
    stage: str
    message: str
    during: str | None
    at: str


class ManualBoxPublic(Public):
    id: str
    x: float
    y: float
    w: float
    h: float
    from_frame: int
    to_frame: int


class RedactionCorrections(Public):
    keep: dict[str, list[str]] = Field(description="kept tracks, by clip")
    manual: dict[str, list[ManualBoxPublic]] = Field(description="manual boxes, by clip")


class RedactionApproval(Public):
    by: str
    at: str
    note: str
    changes: dict[str, Any]
    drafts: dict[str, str] = Field(description="the SHA-256 of each clip's approved draft")


class RedactionDelivery(Public):
    delivery_id: str
    sha256: str
    size: int
    manifest_sha256: str
    expires_at: AwareDatetime
    downloads: int
    max_downloads: int
    watches: int = Field(description="plays in the citizen's page (not downloads)")


class RedactionPublic(Public):
    id: str
    request_id: str
    status: Literal["queued", "awaiting_review", "approved", "ready", "failed", "purged"]
    own_image: bool
    requested_by: str
    requested_at: AwareDatetime
    updated_at: AwareDatetime
    clips: list[RedactionClip]
    failure: RedactionFailure | None
    corrections: RedactionCorrections
    approval: RedactionApproval | None
    delivery: RedactionDelivery | None
    purged_at: AwareDatetime | None


class RedactionPage(Public):
    items: list[RedactionPublic]
    next_cursor: str | None


class DraftTrack(Public):
    id: str
    kind: Literal["face", "plate", "person"]
    first_frame: int
    last_frame: int
    kept: bool


class DraftBox(Public):
    track: str = Field(description="the track id, or the manual box's id")
    kind: Literal["face", "plate", "person", "manual"]
    x: float
    y: float
    w: float
    h: float
    kept: bool = Field(description="left visible by the reviewer (own-image requests)")


class DraftFrame(Public):
    clip_id: str
    frame: int
    frames: int
    width: int
    height: int
    detector: str
    tracks: list[DraftTrack]
    boxes: list[DraftBox] = Field(description="what is masked in this frame")
