"""Open an untrusted file with PyAV, find its video stream, and turn av's errors into ours.

Every way in goes through `open_video`, so the bounds in `Limits` and the error mapping hold for
`probe` and the reader alike. A path that does not exist raises `FileNotFoundError` (a storage
problem, not bad input); everything else that will not open as video raises `NotVideo`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import av
import av.container
import av.error
import av.video.stream

from broker.adapters.video.errors import NotVideo, VideoLimitExceeded
from broker.adapters.video.limits import Limits

# A path, or a binary file object that can read and seek (FFmpeg seeks, e.g. to an MP4's index).
Source = str | os.PathLike[str] | IO[bytes]

# What av raises for bad data: its own tree, and the builtins FFmpeg errors are mapped onto.
AV_ERRORS: tuple[type[BaseException], ...] = (av.error.FFmpegError, ValueError, OSError, EOFError)


def describe(source: Source) -> str:
    """A short name for messages: the path, or the file object's name if it has one."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else type(source).__name__


@contextlib.contextmanager
def open_video(
    source: Source, limits: Limits
) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    """The open container and its first video stream, closed on exit."""
    name = describe(source)
    if isinstance(source, str | os.PathLike) and not Path(source).is_file():
        raise FileNotFoundError(f"no such video file: {name}")
    try:
        container = av.open(
            source,
            mode="r",
            options=limits.av_options(),
            timeout=(limits.open_timeout_s, limits.read_timeout_s),
            metadata_errors="replace",  # hostile tags must not fail with UnicodeDecodeError
        )
    except AV_ERRORS as exc:
        raise NotVideo(f"{name} does not open as a media file: {reason(exc)}") from exc
    try:
        if not container.streams.video:
            kinds: list[str] = sorted({s.type for s in container.streams}) or ["none"]
            raise NotVideo(f"{name} has no video stream (streams: {', '.join(kinds)})")
        stream = container.streams.video[0]
        context = stream.codec_context
        if context is None:
            # FFmpeg found a video stream but its header names no codec it has a decoder for.
            raise NotVideo(f"{name} has a video stream in a codec no decoder here reads")
        check_size(name, context.width, context.height, limits, declared=True)
        # The decoder itself refuses bigger frames too, should the size change after the header.
        context.options = {"max_pixels": str(limits.max_pixels)}
        yield container, stream
    finally:
        with contextlib.suppress(*AV_ERRORS):
            container.close()


def check_size(name: str, width: int, height: int, limits: Limits, *, declared: bool = False) -> None:
    """Refuse frames with no area or more pixels than the limits allow (an allocation bomb)."""
    if width <= 0 or height <= 0:
        if declared:
            # Some containers leave the size to the decoder; the first decoded frame is checked.
            return
        raise NotVideo(f"{name} has a {width}x{height} video stream")
    if width * height > limits.max_pixels:
        raise VideoLimitExceeded(f"{name} is {width}x{height}, over {limits.max_pixels} pixels per frame")


def reason(exc: BaseException) -> str:
    strerror: Any = getattr(exc, "strerror", None)
    return strerror if isinstance(strerror, str) and strerror else (str(exc) or type(exc).__name__)
