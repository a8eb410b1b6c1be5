"""Bounds on the work one untrusted file may cost: time, packets, frames and pixels.

Every figure is a ceiling for hostile input, far above real CCTV (a day of 1080p at 30 fps is
2.6 M frames); a file over any of them is refused with `VideoLimitExceeded`, never half read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Ceilings for opening, probing and decoding one input."""

    # FFmpeg's format detection: bytes read and stream time analysed before giving up.
    probesize: int = 5_000_000
    analyzeduration_us: int = 5_000_000
    # Seconds one open / one read may block (file-like sources that stall).
    open_timeout_s: float = 10.0
    read_timeout_s: float = 10.0
    # Whole-probe wall time, spent mostly counting packets.
    probe_seconds: float = 30.0
    max_packets: int = 4_000_000
    max_frames: int = 4_000_000
    max_pixels: int = 8192 * 8192
    # Packets fed to the decoder, in probe, before a first frame must have come out.
    first_frame_packets: int = 300

    def av_options(self) -> dict[str, str]:
        """The container options that bound FFmpeg's own probing."""
        return {"probesize": str(self.probesize), "analyzeduration": str(self.analyzeduration_us)}


DEFAULT_LIMITS = Limits()
