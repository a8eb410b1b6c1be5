"""Using a grant: exports, live verification."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import Body, Public


class ExportCreate(Body):
    clip_ids: list[UUID] | None = Field(default=None, max_length=10_000,
                                        description="default: every available clip in scope")


class LiveVerify(Body):
    token: str = Field(min_length=1, max_length=4096)


class LiveVerification(Public):
    valid: bool
    reason: str | None = Field(default=None, description="why a token is not valid")
    grant_id: str | None = None
    camera_id: str | None = None
    expires_at: AwareDatetime | None = None
