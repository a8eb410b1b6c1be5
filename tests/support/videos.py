"""Tiny real videos for tests that ingest clips: every ingest is probed, so bodies must decode.

``tiny_video(n)`` is a one-frame 16x16 H.264 MP4, different bytes for each ``n`` (its colour),
made once per process; ``with_marker`` hides a byte string in a free box at the end, which
decoders skip, so a test can look for it in the ciphertext.
"""

from __future__ import annotations

import functools
import struct
import tempfile
from pathlib import Path

import av
import numpy as np


@functools.cache
def tiny_video(variant: int = 0, frames: int = 1, side: int = 16) -> bytes:
    with tempfile.TemporaryDirectory(prefix="tiny-video-") as tmp:
        path = Path(tmp) / "tiny.mp4"
        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=15, options={"preset": "ultrafast"})
            stream.width = stream.height = side
            stream.pix_fmt = "yuv420p"
            for index in range(frames):
                colour = ((variant * 37 + index * 5) % 256, (variant * 91) % 256, 128)
                image = np.full((side, side, 3), colour, np.uint8)
                frame = av.VideoFrame.from_ndarray(image, format="bgr24")
                frame.pts = index
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return path.read_bytes()


def with_marker(marker: bytes, variant: int = 0) -> bytes:
    """The tiny video with ``marker`` inside a trailing ``free`` box."""
    return tiny_video(variant) + struct.pack(">I4s", 8 + len(marker), b"free") + marker


def padded(size: int, variant: int = 0, fill: bytes | None = None) -> bytes:
    """A real video of exactly ``size`` bytes: the tiny video, then a ``free`` box of random
    bytes (or ``fill`` repeated), which decoders skip."""
    import os

    head = tiny_video(variant)
    room = size - len(head) - 8
    if room < 0:
        raise ValueError(f"a video needs at least {len(head) + 8} bytes")
    payload = os.urandom(room) if fill is None else (fill * (room // max(1, len(fill)) + 1))[:room]
    return head + struct.pack(">I4s", 8 + room, b"free") + payload
