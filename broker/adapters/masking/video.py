"""Mask a whole video file frame by frame, in constant memory, or refuse.

Codecs: opencv-python-headless wheels bundle FFmpeg without an H.264 encoder, so the output is
MPEG-4 Part 2 (`mp4v`) in `.mp4` (compact; plays in VLC and most desktop players, not in browsers)
or Motion JPEG (`MJPG`) in `.avi` (intra-only, larger, no inter-frame drift). Both open reliably in
these wheels; the codec is chosen from the destination's suffix.

Haar detections flicker from frame to frame, so every frame is masked with the union of the
regions found in the `carry` frames before and after it. Looking ahead needs `carry` frames of
buffer, which keeps memory constant and also covers a face's first frames before it is detected.

The output is written to a hidden temporary file next to `dst_path` and renamed only on success,
so a failed run never leaves a half-written video where a delivery would pick it up.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from broker.adapters.masking.blur import DEFAULT_PADDING, mask_regions
from broker.adapters.masking.detect import Detector, Frame, Region, RegionDetector
from broker.adapters.masking.errors import MaskingError

CODECS: dict[str, str] = {".mp4": "mp4v", ".avi": "MJPG"}
DEFAULT_CARRY = 3


@dataclass(frozen=True, slots=True)
class MaskingReport:
    """What was masked and how, for the delivery manifest.

    `regions` counts raw detections summed over frames; `frames_masked` counts frames in which at
    least one region was obscured after carrying detections across neighbouring frames.
    """

    frames: int
    frames_with_detections: int
    regions: int
    detector: dict[str, Any]
    codec: str
    frames_masked: int
    width: int
    height: int
    fps: float
    carry: int
    padding: float
    declared_frames: int


def mask_video(
    src_path: str | Path,
    dst_path: str | Path,
    *,
    detector: RegionDetector | None = None,
    fail_if_unreadable: bool = True,
    carry: int = DEFAULT_CARRY,
    padding: float = DEFAULT_PADDING,
) -> MaskingReport:
    """Write `src_path` to `dst_path` with faces and plates masked; raise `MaskingError` on any failure.

    Always refused: an input that cannot be opened, has no frames or no valid fps, frames that change
    size, an unsupported destination suffix, a writer that does not open or an output that does not
    read back with the same frame count. `fail_if_unreadable` covers the one ambiguous case: the
    decoder stopping short of the frame count the container declares (a truncated or damaged file).
    True (the default) refuses; False masks and delivers the frames that could be decoded, and the
    report's `declared_frames` shows the shortfall. Without a `detector`, a fresh `Detector` is
    built (and its cascades loaded) for this call; pass one to reuse it across files in one thread.
    """
    src, dst = Path(src_path), Path(dst_path)
    codec = CODECS.get(dst.suffix.lower())
    if codec is None:
        raise MaskingError(f"unsupported output suffix {dst.suffix!r}; use one of {sorted(CODECS)}")
    if carry < 0 or padding < 0:
        raise MaskingError(f"carry and padding must be >= 0, got {carry} and {padding}")
    if src.resolve() == dst.resolve():
        raise MaskingError("refusing to overwrite the source footage with its masked copy")
    detector = detector if detector is not None else Detector()
    info = detector.detector_info()  # loads the cascades: a missing one fails before any work
    tmp = dst.with_name(f".{dst.stem}.partial{dst.suffix}")
    try:
        report = _mask_stream(src, tmp, detector, info, codec, carry, padding, fail_if_unreadable)
        _check_output(tmp, report.frames)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return report


def manifest_entry(report: MaskingReport) -> dict[str, Any]:
    """The manifest's statement that this file was masked, by what, and how much was found."""
    return {
        "masked": True,
        "method": "pixelate+gaussian",
        "detector": report.detector,
        "frames": report.frames,
        "declared_frames": report.declared_frames,
        "frames_with_detections": report.frames_with_detections,
        "frames_masked": report.frames_masked,
        "regions": report.regions,
        "carry_frames": report.carry,
        "padding": report.padding,
        "codec": report.codec,
        "width": report.width,
        "height": report.height,
        "fps": report.fps,
    }


def _mask_stream(
    src: Path,
    tmp: Path,
    detector: RegionDetector,
    info: dict[str, Any],
    codec: str,
    carry: int,
    padding: float,
    fail_if_unreadable: bool,
) -> MaskingReport:
    capture = cv2.VideoCapture(str(src))
    writer: cv2.VideoWriter | None = None
    try:
        if not capture.isOpened():
            raise MaskingError(f"cannot open video {src}")
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if not math.isfinite(fps) or fps <= 0:
            raise MaskingError(f"video {src} has no valid frame rate ({fps})")

        frames = with_detections = detections = masked = 0
        size: tuple[int, int] | None = None
        # Frames still to be written (at most carry+1) and the regions of the last 2*carry+1 frames.
        pending: deque[tuple[int, Frame]] = deque()
        history: deque[tuple[int, list[Region]]] = deque(maxlen=2 * carry + 1)

        def emit() -> None:
            nonlocal masked
            index, frame = pending.popleft()
            regions = [r for i, found in history if abs(i - index) <= carry for r in found]
            masked += bool(regions)
            assert writer is not None
            writer.write(mask_regions(frame, regions, padding))

        for frame in _frames(capture):
            height, width = frame.shape[:2]
            if size is None:
                size = (width, height)
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*codec), fps, size)
                if not writer.isOpened():
                    raise MaskingError(f"cannot open a {codec} writer for {tmp}")
            elif (width, height) != size:
                raise MaskingError(f"frame {frames} is {width}x{height}, expected {size[0]}x{size[1]}")
            found = detector.detect(frame)
            with_detections += bool(found)
            detections += len(found)
            history.append((frames, found))
            pending.append((frames, frame))
            frames += 1
            if len(pending) > carry:
                emit()
        while pending:
            emit()

        if size is None:
            raise MaskingError(f"video {src} has no readable frames")
        if fail_if_unreadable and declared > 0 and declared - frames > max(1, declared // 100):
            # Some containers estimate the count from the duration; a frame or 1 % of slack avoids
            # refusing good files while still catching truncation.
            raise MaskingError(f"video {src} stopped after {frames} of {declared} declared frames")
        return MaskingReport(
            frames=frames,
            frames_with_detections=with_detections,
            regions=detections,
            detector=info,
            codec=codec,
            frames_masked=masked,
            width=size[0],
            height=size[1],
            fps=fps,
            carry=carry,
            padding=padding,
            declared_frames=declared,
        )
    except cv2.error as exc:
        raise MaskingError(f"OpenCV failed while masking {src}: {exc}") from exc
    finally:
        capture.release()
        if writer is not None:
            writer.release()


def _frames(capture: cv2.VideoCapture) -> Iterator[Frame]:
    while True:
        ok, frame = capture.read()
        if not ok or frame is None:
            return
        yield frame


def _check_output(path: Path, frames: int) -> None:
    """Reopen the written file: a writer that silently dropped frames must not become a delivery."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise MaskingError(f"masked output {path} cannot be read back")
        written = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    if written != frames:
        raise MaskingError(f"masked output has {written} frames, expected {frames}")
