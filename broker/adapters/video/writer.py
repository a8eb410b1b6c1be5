"""Write BGR frames as H.264 in MP4 that browsers play: yuv420p, High profile, `moov` before `mdat`.

libx264 from PyAV's wheel does the encoding. Frames are converted to yuv420p with BT.709 matrix and
limited range, and the stream is tagged so (players otherwise guess, and colours shift). yuv420p
needs even sides, so an odd width or height is padded by repeating the last column or row: nothing
of the picture is cropped. Memory is constant: each frame is encoded as it is written (libx264
keeps only its small look-ahead). `+faststart` moves the index to the front once the file is
complete, so a browser starts playing before the whole file has arrived.

The file is written under a hidden temporary name next to the destination and renamed only by a
successful `close()`; `abort()` (or an exception inside the `with` block) removes it.
"""

from __future__ import annotations

import contextlib
import math
import os
import types
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Self

import av
import av.container
import av.video.stream
import numpy as np
import numpy.typing as npt
from av.video.reformatter import ColorRange, Colorspace

from broker.adapters.video.container import AV_ERRORS, reason
from broker.adapters.video.errors import VideoWriteError

X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
PROFILES = ("baseline", "main", "high")
# AVCOL_* values for BT.709 primaries, transfer and matrix, and AVCOL_RANGE_MPEG (limited range).
_BT709 = 1
_RANGE_MPEG = 1
MAX_SIDE = 8192

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class EncodeSettings:
    """libx264 knobs. crf: 0 (lossless) .. 51, 23 is x264's default quality; lower is better/bigger."""

    crf: int = 23
    preset: str = "veryfast"
    profile: str = "high"
    keyframe_seconds: float = 2.0  # a keyframe every 2 s: seeking in a browser stays quick
    threads: int = 0  # 0 lets libx264 choose

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be 0..51, got {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ValueError(f"preset must be one of {X264_PRESETS}, got {self.preset!r}")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if not (math.isfinite(self.keyframe_seconds) and self.keyframe_seconds > 0):
            raise ValueError(f"keyframe_seconds must be > 0, got {self.keyframe_seconds}")
        if self.threads < 0:
            raise ValueError(f"threads must be >= 0, got {self.threads}")


DEFAULT_SETTINGS = EncodeSettings()


@dataclass(frozen=True, slots=True)
class WrittenVideo:
    """The finished file: where it is, its size in bytes, and what was encoded into it."""

    path: Path
    size_bytes: int
    frames: int
    width: int
    height: int
    fps: Fraction


class H264Writer:
    """Encode (height, width, 3) uint8 BGR frames of one size into an H.264 MP4 at `path`.

    `fps` may be an int, float or Fraction (30000/1001 stays exact as a Fraction). Output sides are
    `width` and `height` rounded up to even. Raises `VideoWriteError` if the encoder or the file
    fails, and `ValueError` for arguments or frames of the wrong shape.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: Fraction | float,
        *,
        settings: EncodeSettings = DEFAULT_SETTINGS,
    ) -> None:
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ValueError(f"frame size must be 1..{MAX_SIDE} a side, got {width}x{height}")
        if not (math.isfinite(float(fps)) and fps > 0):
            raise ValueError(f"fps must be finite and > 0, got {fps}")
        rate = Fraction(fps).limit_denominator(1_000_000)
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, rate
        self.out_width, self.out_height = width + width % 2, height + height % 2
        self._tmp = self.path.with_name(f".{self.path.name}.partial")
        self._frames = 0
        self._done = False
        self.result: WrittenVideo | None = None  # set by a successful close()
        try:
            self._container: av.container.OutputContainer = av.open(
                str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
        except AV_ERRORS as exc:
            raise VideoWriteError(f"cannot create {self._tmp}: {reason(exc)}") from exc
        try:
            self._stream = self._add_stream(settings)
            # Open the encoder and write the header now, so a bad setting or an unwritable
            # destination fails here, not on the first frame.
            self._container.start_encoding()
        except BaseException as exc:
            self.abort()
            if isinstance(exc, AV_ERRORS):
                raise VideoWriteError(f"cannot start writing {self._tmp}: {reason(exc)}") from exc
            raise

    def _add_stream(self, settings: EncodeSettings) -> av.video.stream.VideoStream:
        try:
            stream = self._container.add_stream(
                "libx264",
                rate=self.fps,
                options={"crf": str(settings.crf), "preset": settings.preset, "profile": settings.profile},
            )
            stream.width, stream.height, stream.pix_fmt = self.out_width, self.out_height, "yuv420p"
            context = stream.codec_context
            context.gop_size = max(1, round(settings.keyframe_seconds * self.fps))
            context.thread_count = settings.threads
            context.color_primaries = context.color_trc = context.colorspace = _BT709
            context.color_range = _RANGE_MPEG
        except AV_ERRORS as exc:
            raise VideoWriteError(f"cannot set up libx264: {reason(exc)}") from exc
        return stream

    @property
    def frames(self) -> int:
        return self._frames

    def write(self, image: Image) -> None:
        """Encode one BGR frame (same size as declared); frames get consecutive timestamps."""
        if self._done:
            raise VideoWriteError(f"{self.path} is already closed")
        if (
            not isinstance(image, np.ndarray)
            or image.dtype != np.uint8
            or image.shape != (self.height, self.width, 3)
        ):
            got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
            raise ValueError(f"frame must be uint8 {(self.height, self.width, 3)} BGR, got {got}")
        if (self.out_width, self.out_height) != (self.width, self.height):
            pad = ((0, self.out_height - self.height), (0, self.out_width - self.width), (0, 0))
            image = np.pad(image, pad, mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame = frame.reformat(
            format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range=ColorRange.MPEG
        )
        frame.colorspace, frame.color_range = _BT709, _RANGE_MPEG
        frame.pts = self._frames
        frame.time_base = 1 / self.fps
        self._mux(frame)
        self._frames += 1

    def close(self) -> WrittenVideo:
        """Flush the encoder, finish the file (faststart), move it into place and describe it."""
        if self._done:
            raise VideoWriteError(f"{self.path} is already closed")
        if self._frames == 0:
            self.abort()
            raise VideoWriteError(f"no frames were written to {self.path}")
        try:
            self._mux(None)
            self._container.close()
            self._done = True
            os.replace(self._tmp, self.path)
            size = self.path.stat().st_size
        except BaseException as exc:
            self.abort()
            if isinstance(exc, AV_ERRORS):
                raise VideoWriteError(f"cannot finish {self.path}: {reason(exc)}") from exc
            raise
        self.result = WrittenVideo(self.path, size, self._frames, self.out_width, self.out_height, self.fps)
        return self.result

    def abort(self) -> None:
        """Stop and remove the partial file; safe to call more than once."""
        if not self._done:
            self._done = True
            with contextlib.suppress(*AV_ERRORS):
                self._container.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.close()

    def _mux(self, frame: av.VideoFrame | None) -> None:
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except AV_ERRORS as exc:
            raise VideoWriteError(
                f"encoding frame {self._frames} of {self.path} failed: {reason(exc)}"
            ) from exc


def encode_h264(
    frames: Iterable[Image],
    path: str | os.PathLike[str],
    fps: Fraction | float,
    *,
    settings: EncodeSettings = DEFAULT_SETTINGS,
) -> WrittenVideo:
    """Encode an iterable of same-sized BGR frames (the first sets the size) into `path`."""
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise VideoWriteError(f"no frames to write to {path}")
    height, width = first.shape[:2]
    with H264Writer(path, width, height, fps, settings=settings) as writer:
        writer.write(first)
        for image in iterator:
            writer.write(image)
        return writer.close()
