"""Real encoded sample videos for the video tests, made here with PyAV's and OpenCV's own encoders.

Every frame carries its index: a white square whose x position is 8 * index (mod the width) on a
smooth colour ramp, so a test can tell whether frames come back complete and in order (H.264 and
HEVC reorder frames when B-frames are on).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.video.stream
import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
SQUARE = 16


def frame(index: int, width: int, height: int) -> Image:
    """The BGR test picture for frame `index`."""
    yy, xx = np.mgrid[0:height, 0:width]
    image = np.stack([40 + xx * 100 // width, 60 + yy * 100 // height, np.full_like(xx, 90)], axis=-1)
    image = image.astype(np.uint8)
    x = square_x(index, width)
    image[8 : 8 + SQUARE, x : x + SQUARE] = 255
    return image


def square_x(index: int, width: int) -> int:
    return (8 * index) % (width - SQUARE)


def find_square(image: Image) -> int:
    """x of the white square in a decoded test picture (the brightest columns of its band)."""
    band = image[8 : 8 + SQUARE].astype(np.int32).sum(axis=(0, 2))
    best = int(np.convolve(band, np.ones(SQUARE), mode="valid").argmax())
    return best


@dataclass(frozen=True)
class Sample:
    """A file and what it must probe as."""

    path: Path
    container: str
    codec: str
    width: int
    height: int
    fps: Fraction
    frames: int


def encode_pyav(
    path: Path,
    codec: str,
    *,
    frames: int,
    width: int,
    height: int,
    fps: Fraction,
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
    container_format: str | None = None,
) -> None:
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=fps, options=options or {})
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for i in range(frames):
            video_frame = av.VideoFrame.from_ndarray(frame(i, width, height), format="bgr24")
            video_frame.pts = i
            for packet in stream.encode(video_frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def encode_opencv(path: Path, fourcc: str, *, frames: int, width: int, height: int, fps: float) -> None:
    """The way the demo and today's masking write video: cv2.VideoWriter (MJPG .avi, mp4v .mp4)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc}"
    for i in range(frames):
        writer.write(frame(i, width, height))
    writer.release()


MP4 = "mov,mp4,m4a,3gp,3g2,mj2"


def h264_mp4(directory: Path, *, frames: int = 45, fps: Fraction = Fraction(15)) -> Sample:
    """libx264 at its default preset (B-frames on), 320x240."""
    path = directory / "h264.mp4"
    encode_pyav(path, "libx264", frames=frames, width=320, height=240, fps=fps)
    return Sample(path, MP4, "h264", 320, 240, fps, frames)


def hevc_mp4(directory: Path, *, frames: int = 30, fps: Fraction = Fraction(25, 2)) -> Sample:
    """libx265 (in PyAV's wheel), 12.5 fps, 352x288."""
    path = directory / "hevc.mp4"
    options = {"x265-params": "log-level=error"}
    encode_pyav(path, "libx265", frames=frames, width=352, height=288, fps=fps, options=options)
    return Sample(path, MP4, "hevc", 352, 288, fps, frames)


def h264_mkv(directory: Path, *, frames: int = 20) -> Sample:
    """Matroska stores no frame count: probe must count."""
    path = directory / "h264.mkv"
    encode_pyav(path, "libx264", frames=frames, width=320, height=240, fps=Fraction(10))
    return Sample(path, "matroska,webm", "h264", 320, 240, Fraction(10), frames)


def mjpeg_avi(directory: Path, *, frames: int = 24) -> Sample:
    path = directory / "mjpeg.avi"
    encode_opencv(path, "MJPG", frames=frames, width=640, height=480, fps=12.0)
    return Sample(path, "avi", "mjpeg", 640, 480, Fraction(12), frames)


def mp4v_mp4(directory: Path, *, frames: int = 24) -> Sample:
    path = directory / "mp4v.mp4"
    encode_opencv(path, "mp4v", frames=frames, width=640, height=480, fps=12.0)
    return Sample(path, MP4, "mpeg4", 640, 480, Fraction(12), frames)


def audio_only(path: Path) -> None:
    """One second of silent AAC in .m4a."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=8000)
        for i in range(8):
            audio = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            audio.sample_rate, audio.pts = 8000, i * 1024
            for packet in stream.encode(audio):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
