"""`probe`: what a file holds, exactly, or why it is not usable video.

One pass over the file: every video packet is demuxed and counted (no decoding, so this costs about
a read of the file), and the first packets are decoded until one frame comes out, which proves the
stream really decodes. Header figures are cross-checked against what is there: a file whose header
promises more frames or more time than its packets hold is truncated and refused.
"""

from __future__ import annotations

import time
from fractions import Fraction

import av
import av.video.stream

from broker.adapters.video.container import AV_ERRORS, Source, check_size, describe, open_video, reason
from broker.adapters.video.errors import NotVideo, TruncatedVideo, VideoError, VideoLimitExceeded
from broker.adapters.video.info import VideoInfo
from broker.adapters.video.limits import DEFAULT_LIMITS, Limits


def probe(source: Source, *, limits: Limits = DEFAULT_LIMITS) -> VideoInfo:
    """Container, codec, size, fps, exact frame count and duration of `source`'s first video stream.

    Raises `NotVideo` (nothing decodes as video), `TruncatedVideo`, `VideoLimitExceeded` (too
    slow, too many packets, too many pixels) or `VideoError`; all are `InvalidInput`.
    """
    name = describe(source)
    deadline = time.monotonic() + limits.probe_seconds
    with open_video(source, limits) as (container, stream):
        declared = max(0, int(stream.frames or 0))
        counted = 0
        first: av.VideoFrame | None = None
        decode_errors = 0
        start: int | None = None
        end: int | None = None
        try:
            for packet in container.demux(stream):
                if time.monotonic() > deadline:
                    raise VideoLimitExceeded(f"probing {name} took over {limits.probe_seconds} s")
                if not packet.size:
                    continue  # the end-of-stream marker (or an empty chunk): not a frame
                counted += 1
                if counted > limits.max_packets:
                    raise VideoLimitExceeded(f"{name} has over {limits.max_packets} video packets")
                if packet.pts is not None:
                    start = packet.pts if start is None else min(start, packet.pts)
                    stop = packet.pts + max(0, packet.duration or 0)
                    end = stop if end is None else max(end, stop)
                if first is None and counted <= limits.first_frame_packets:
                    try:
                        first = _first_frame(stream.decode(packet))
                    except AV_ERRORS:
                        decode_errors += 1
        except AV_ERRORS as exc:
            # A demuxer error after the header: the file breaks off or is corrupt part-way.
            raise TruncatedVideo(f"{name} cannot be read to its end: {reason(exc)}") from exc
        if first is None and counted:
            try:  # decoders with delay (frame threads, B-frames) hand frames out only when flushed
                first = _first_frame(stream.decode(None))
            except AV_ERRORS:
                decode_errors += 1
        if counted == 0:
            raise NotVideo(f"{name} has a video stream with no frames")
        if first is None:
            raise NotVideo(
                f"no frame of {name} decodes as {stream.codec_context.name} "
                f"({counted} packets, {decode_errors} decode errors)"
            )
        check_size(name, first.width, first.height, limits)
        fps = _frame_rate(stream)
        if fps is None:
            raise VideoError(f"{name} has no usable frame rate")
        if declared and counted < declared:
            raise TruncatedVideo(f"{name} declares {declared} frames but holds {counted}")
        duration = _span(stream, start, end, counted, fps)
        claimed = _declared_duration(container, stream)
        if claimed is not None and duration + 1.5 / fps < claimed:
            raise TruncatedVideo(f"{name} declares {claimed:.3f} s but its frames span {duration:.3f} s")
        return VideoInfo(
            container=container.format.name,
            codec=stream.codec_context.name,
            profile=stream.codec_context.profile,
            width=first.width,
            height=first.height,
            fps=fps,
            frames=counted,
            duration=duration,
            pixel_format=first.format.name if first.format is not None else None,
            declared_frames=declared,
        )


def _first_frame(frames: list[av.VideoFrame]) -> av.VideoFrame | None:
    return frames[0] if frames else None


def _frame_rate(stream: av.video.stream.VideoStream) -> Fraction | None:
    """The average rate if the demuxer measured one, else its guess, else the container's base rate."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0:
            return Fraction(rate)
    return None


def _span(
    stream: av.video.stream.VideoStream, start: int | None, end: int | None, frames: int, fps: Fraction
) -> float:
    """Seconds from the first packet's start to the last one's end; frames/fps without timestamps."""
    if start is not None and end is not None and end > start and stream.time_base is not None:
        return float((end - start) * stream.time_base)
    return float(frames / fps)


def _declared_duration(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    """What the header says the video lasts: the stream's own duration, else (video-only files) the file's."""
    if stream.duration and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration and len(container.streams) == 1:
        return container.duration / av.time_base
    return None
