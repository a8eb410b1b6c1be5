"""Clips in the vault."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from broker.entrypoints.api.schemas.common import Public, WindowPublic


class ClipPublic(Public):
    id: str
    camera_id: str
    window: WindowPublic
    size: int
    sha256: str
    status: Literal["available", "purged"]
    ingested_at: AwareDatetime
    purged_at: AwareDatetime | None
    purge_reason: str | None


class GrantClip(ClipPublic):
    content_url: str


class GrantClipPage(Public):
    items: list[GrantClip]
    next_cursor: str | None
