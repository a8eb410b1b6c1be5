"""Decode a video into numpy frames for OpenCV: BGR, uint8, shape (height, width, 3).

BGR, not RGB, because everything downstream (the masking detectors, `cv2` drawing and blurring)
uses OpenCV's channel order. Decoding is multi-threaded where the codec allows it
(`thread_type = "AUTO"`: frame threads for H.264/HEVC, slice threads otherwise); frames still come
out in presentation order, one at a time, so memory stays constant however long the file.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Self

import av
import av.container
import av.video.stream
import numpy as np
import numpy.typing as npt

from broker.adapters.video.container import AV_ERRORS, Source, check_size, describe, open_video, reason
from broker.adapters.video.errors import NotVideo, VideoError, VideoLimitExceeded
from broker.adapters.video.limits import DEFAULT_LIMITS, Limits

PIXEL_FORMAT = "bgr24"  # what every DecodedFrame.image holds: OpenCV's channel order

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """One decoded frame: its 0-based index in decode output order, timestamps and BGR pixels.

    `pts` is in the stream's time base (None if the file has none); `time` is `pts` in seconds.
    """

    index: int
    pts: int | None
    time: float | None
    image: Image


class VideoReader:
    """Open `source` and yield its first video stream's frames as BGR arrays.

    Use as a context manager (the file is closed on exit). Frames must all have the first frame's
    size: a stream that changes size mid-way raises `VideoError`, as does a packet that fails to
    decode (masking must not skip frames silently). At most `limits.max_frames` frames are read.
    """

    def __init__(self, source: Source, *, limits: Limits = DEFAULT_LIMITS, threads: bool = True) -> None:
        self._name = describe(source)
        self._limits = limits
        self._stack = contextlib.ExitStack()
        self._container, self._stream = self._stack.enter_context(open_video(source, limits))
        if threads:
            self._stream.thread_type = "AUTO"  # frame and slice threads, as many as cores
        else:
            self._stream.thread_type = "NONE"
        self._started = False

    @property
    def time_base(self) -> Fraction | None:
        return self._stream.time_base

    @property
    def codec(self) -> str:
        return self._stream.codec_context.name

    @property
    def thread_type(self) -> str:
        """How the decoder is threaded: "AUTO" (frame and slice threads), or "NONE" (threads=False)."""
        return str(self._stream.thread_type.name)

    def frames(self) -> Iterator[DecodedFrame]:
        """The frames in presentation order; can be iterated once."""
        if self._started:
            raise RuntimeError("VideoReader.frames() can only be iterated once")
        self._started = True
        index = 0
        size: tuple[int, int] | None = None
        try:
            for packet in self._container.demux(self._stream):
                if not packet.size:
                    continue  # the demuxer's end marker, or an empty chunk: decoding it would flush
                for frame in self._decode(packet, index):
                    size = self._check(frame, size, index)
                    yield self._convert(frame, index)
                    index += 1
            for frame in self._decode(None, index):  # the frames the decoder still holds
                size = self._check(frame, size, index)
                yield self._convert(frame, index)
                index += 1
        except AV_ERRORS as exc:
            raise VideoError(f"{self._name} stopped decoding after {index} frames: {reason(exc)}") from exc
        if index == 0:
            raise NotVideo(f"no frame of {self._name} decodes")

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        self.close()

    def _decode(self, packet: av.Packet | None, index: int) -> list[av.VideoFrame]:
        try:
            return self._stream.decode(packet)
        except AV_ERRORS as exc:
            raise VideoError(
                f"{self._name}: a packet after frame {index} does not decode: {reason(exc)}"
            ) from exc

    def _check(self, frame: av.VideoFrame, size: tuple[int, int] | None, index: int) -> tuple[int, int]:
        if index >= self._limits.max_frames:
            raise VideoLimitExceeded(f"{self._name} has over {self._limits.max_frames} frames")
        if size is None:
            check_size(self._name, frame.width, frame.height, self._limits)
            return frame.width, frame.height
        if (frame.width, frame.height) != size:
            raise VideoError(
                f"{self._name}: frame {index} is {frame.width}x{frame.height}, expected {size[0]}x{size[1]}"
            )
        return size

    def _convert(self, frame: av.VideoFrame, index: int) -> DecodedFrame:
        image: Any = frame.to_ndarray(format=PIXEL_FORMAT)
        # The stream's time base, not the frame's: frames drained by the final flush carry none.
        time_base = self._stream.time_base
        seconds = float(frame.pts * time_base) if frame.pts is not None and time_base is not None else None
        return DecodedFrame(index=index, pts=frame.pts, time=seconds, image=image)


def read_frames(
    source: Source, *, limits: Limits = DEFAULT_LIMITS, threads: bool = True
) -> Generator[DecodedFrame, None, None]:
    """Every frame of `source` as a `DecodedFrame`; the file closes when the iterator ends or is closed."""
    with VideoReader(source, limits=limits, threads=threads) as reader:
        yield from reader.frames()
