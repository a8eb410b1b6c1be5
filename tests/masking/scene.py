"""Synthetic CCTV footage for the masking tests: the astronaut from scikit-image drifting over a
smooth, lightly noisy background, with the face's position known exactly in every frame."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from broker.adapters.masking.detect import Frame as Image

WIDTH, HEIGHT, FPS = 640, 480, 12.0
FACE = 150  # pixels: the face's side once pasted
# Where OpenCV's frontal cascade finds the face in skimage.data.astronaut() (512x512): x, y, side.
_ASTRONAUT_FACE = (177, 67, 93)
_CROP = (120, 10, 340, 250)  # x0, y0, x1, y1 of the part of the astronaut we paste
# Far from every face position (the patch never reaches x > 490), so masking must not touch it.
BACKGROUND = (slice(20, 460), slice(540, 630))


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    def of(self, image: Image) -> Image:
        return image[self.y : self.y + self.h, self.x : self.x + self.w]


def background(seed: int = 7) -> Image:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    ramp = np.stack([60 + xx * 0.2, 90 + yy * 0.15, 120 + (xx + yy) * 0.05], axis=-1)
    noise = cv2.GaussianBlur(np.random.default_rng(seed).normal(0, 12, (HEIGHT, WIDTH, 3)), (0, 0), 2)
    return np.clip(ramp + noise, 0, 255).astype(np.uint8)


def _patch() -> tuple[Image, int, int]:
    scale = FACE / _ASTRONAUT_FACE[2]
    x0, y0, x1, y1 = _CROP
    crop = np.ascontiguousarray(data.astronaut()[y0:y1, x0:x1, ::-1])  # RGB -> BGR
    patch = cv2.resize(
        crop, (round((x1 - x0) * scale), round((y1 - y0) * scale)), interpolation=cv2.INTER_AREA
    )
    return patch, round((_ASTRONAUT_FACE[0] - x0) * scale), round((_ASTRONAUT_FACE[1] - y0) * scale)


def astronaut_frames(count: int) -> list[tuple[Image, Box]]:
    """Frames with the astronaut moving 4 px right and 2 px down per frame, and the face box in each."""
    bg = background()
    patch, fx, fy = _patch()
    frames = []
    for i in range(count):
        frame = bg.copy()
        x, y = 40 + 4 * i, 30 + 2 * i
        frame[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
        frames.append((frame, Box(x + fx, y + fy, FACE, FACE)))
    return frames


def write_video(path: Path, frames: Iterable[Image], fps: float = FPS) -> None:
    codec = {".mp4": "mp4v", ".avi": "MJPG"}[path.suffix]
    frames = list(frames)
    height, width = frames[0].shape[:2] if frames else (HEIGHT, WIDTH)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()


def read_video(path: Path) -> list[Image]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def mad(a: Image, b: Image) -> float:
    """Mean absolute difference, in grey levels."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def sharpness(image: Image) -> float:
    """Laplacian variance: edge energy, which a face has and a blurred patch does not."""
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
