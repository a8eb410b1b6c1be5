"""Clips in the vault."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from broker.entrypoints.api.schemas.common import Public, WindowPublic


class ClipVideo(Public):
    """What the probe at ingest found: exact frame count and duration, counted from the file."""

    container: str = Field(description="FFmpeg's demuxer name, e.g. mov,mp4,m4a,3gp,3g2,mj2")
    codec: str = Field(description="e.g. h264, hevc, mjpeg")
    profile: str | None
    width: int
    height: int
    fps: str = Field(description="frames per second as an exact fraction, e.g. 30000/1001")
    frames: int
    duration: float = Field(description="seconds")
    pixel_format: str | None


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
    video: ClipVideo | None = Field(default=None, description="null for clips ingested before probing")


class GrantClip(ClipPublic):
    content_url: str


class GrantClipPage(Public):
    items: list[GrantClip]
    next_cursor: str | None
