"""What `probe` finds out about a video file."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """Facts about a file's first video stream, exact where the file allows.

    `frames` is the number of video packets actually present (demuxed and counted, not the header's
    claim); `duration` is the time those packets span. `container` is FFmpeg's demuxer name, e.g.
    "mov,mp4,m4a,3gp,3g2,mj2" or "avi"; `codec` is the decoder's name, e.g. "h264", "hevc", "mjpeg".
    """

    container: str
    codec: str
    profile: str | None
    width: int
    height: int
    fps: Fraction
    frames: int
    duration: float
    pixel_format: str | None
    declared_frames: int

    @property
    def fps_float(self) -> float:
        return float(self.fps)
