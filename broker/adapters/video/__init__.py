"""Video in and out on PyAV (FFmpeg in the wheel): probe, decode to BGR numpy, encode H.264 MP4.

    probe(source)              -> VideoInfo   exact facts, or NotVideo / TruncatedVideo / ...
    VideoReader / read_frames  -> DecodedFrame(index, pts, time, image BGR uint8)
    H264Writer / encode_h264   -> WrittenVideo(path, size_bytes, ...)  browser-playable MP4
    top_level_boxes / is_faststart   the MP4 box order a browser needs

Input errors subclass `VideoError`, an `InvalidInput` (HTTP 422); `VideoWriteError` is ours (500).
Untrusted input is bounded by `Limits` (time, packets, frames, pixels).
"""

from __future__ import annotations

from broker.adapters.video.container import Source
from broker.adapters.video.errors import (
    NotVideo,
    TruncatedVideo,
    VideoError,
    VideoLimitExceeded,
    VideoWriteError,
)
from broker.adapters.video.info import VideoInfo
from broker.adapters.video.limits import DEFAULT_LIMITS, Limits
from broker.adapters.video.mp4 import Box, is_faststart, top_level_boxes
from broker.adapters.video.probe import probe
from broker.adapters.video.reader import PIXEL_FORMAT, DecodedFrame, VideoReader, read_frames
from broker.adapters.video.writer import (
    DEFAULT_SETTINGS,
    EncodeSettings,
    H264Writer,
    WrittenVideo,
    encode_h264,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_SETTINGS",
    "PIXEL_FORMAT",
    "Box",
    "DecodedFrame",
    "EncodeSettings",
    "H264Writer",
    "Limits",
    "NotVideo",
    "Source",
    "TruncatedVideo",
    "VideoError",
    "VideoInfo",
    "VideoLimitExceeded",
    "VideoReader",
    "VideoWriteError",
    "WrittenVideo",
    "encode_h264",
    "is_faststart",
    "probe",
    "read_frames",
    "top_level_boxes",
]
