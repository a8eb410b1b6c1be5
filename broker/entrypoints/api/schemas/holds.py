"""Legal holds."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import Body, Instant, Public, Window, WindowPublic


class HoldCreate(Body):
    case_reference: str = Field(min_length=1, max_length=200)
    camera_ids: list[UUID] = Field(min_length=1, max_length=1000)
    window: Window
    request_id: UUID | None = None
    reason: str = Field(min_length=1, max_length=1000)
    until: Instant | None = Field(default=None, description=(
        "when the hold lapses; default and most a requester may ask: the pack's max_hold_days"))


class HoldRelease(Body):
    reason: str = Field(default="released", min_length=1, max_length=1000)


class HoldPublic(Public):
    id: str
    case_reference: str
    camera_ids: list[str]
    window: WindowPublic
    status: Literal["active", "released"]
    request_id: str | None
    agency: str
    reason: str
    placed_at: AwareDatetime
    released_at: AwareDatetime | None
    until: AwareDatetime | None
