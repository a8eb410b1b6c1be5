"""What finds faces, plates and people in one frame; boxes in the frame's pixels.

- ``FaceDetector``: CenterFace int8 in onnxruntime, an image pyramid: full resolution cut into
  three overlapping horizontal bands (bounded memory; small faces) plus half resolution (large
  faces), score >= 0.12 (measured: 0.15 missed a 32 px face in 59 % of frames), NMS 0.3.
  Recall matters more than precision here: a false positive
  blurs a patch of wall, a miss discloses a person.
- ``PlateDetector``: the PP-OCRv4 text detector at 0.75x in three bands; boxes of plate shape
  (aspect 1.6..9) are kept, characters joined, and grown to cover the plate's frame.
- ``MotionFallback``: the fail-closed person fallback. No person model with bundled weights
  worked (OpenCV's HOG people found 0-8 % of a near-full-body person, see SECURITY.md), so
  moving, person-shaped foreground (background subtraction on a fixed camera) with no face box
  in its head gets its head region masked as ``person``.
- ``Zones``: per-camera overlay zones (time stamp, camera label): a box touching one is
  dropped before tracking, so an overlay is never masked and never counts as a plate.

Each detector is used by one thread at a time (one onnxruntime session, one intra-op thread:
the pipeline runs the two models side by side, and onnxruntime releases the GIL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float, float]  # x, y, w, h, score


def nms(boxes: Sequence[Box], threshold: float = 0.3) -> list[Box]:
    if not boxes:
        return []
    arr = np.array(boxes, dtype=np.float64)
    x1, y1, w, h, s = arr.T
    x2, y2 = x1 + w, y1 + h
    order = np.lexsort((x1, y1, -s))  # by score, then position: deterministic on ties
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(x1[i], x1[order[1:]])
        yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]])
        yy2 = np.minimum(y2[i], y2[order[1:]])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / (w[i] * h[i] + w[order[1:]] * h[order[1:]] - inter + 1e-9)
        order = order[1:][iou < threshold]
    return [(float(arr[i, 0]), float(arr[i, 1]), float(arr[i, 2]), float(arr[i, 3]), float(arr[i, 4]))
            for i in keep]


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _bands(height: int, count: int, overlap: int) -> list[tuple[int, int]]:
    step = -(-height // count)
    return [(max(0, i * step - overlap), min(height, (i + 1) * step + overlap)) for i in range(count)]


@dataclass(frozen=True, slots=True)
class FaceSettings:
    threshold: float = 0.12
    bands: int = 3
    band_overlap: int = 48  # px: the full-resolution pass is for faces under ~96 px
    scales: tuple[float, ...] = (1.0, 0.5)


class FaceDetector:
    name = "centerface-int8-pyramid"

    def __init__(self, model: Path, settings: FaceSettings = FaceSettings()) -> None:
        self._session = _session(model)
        self.settings = settings

    def info(self) -> dict[str, Any]:
        s = self.settings
        return {"name": self.name, "threshold": s.threshold, "scales": list(s.scales),
                "bands": s.bands, "nms": 0.3}

    def __call__(self, frame: Image) -> list[Box]:
        found: list[Box] = []
        height = frame.shape[0]
        for scale in self.settings.scales:
            if scale >= 1.0 and self.settings.bands > 1:
                for y0, y1 in _bands(height, self.settings.bands, self.settings.band_overlap):
                    found += [(x, y + y0, w, h, s) for x, y, w, h, s in self._run(frame[y0:y1], scale)]
            else:
                found += self._run(frame, scale)
        return nms(found, 0.3)

    def _run(self, frame: Image, scale: float) -> list[Box]:
        h0, w0 = frame.shape[:2]
        w1, h1 = max(1, round(w0 * scale)), max(1, round(h0 * scale))
        wp, hp = -(-w1 // 32) * 32, -(-h1 // 32) * 32
        image = frame if (w1, h1) == (w0, h0) else cv2.resize(frame, (w1, h1), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((hp, wp, 3), np.uint8)
        canvas[:h1, :w1] = image[..., ::-1]  # RGB
        blob = np.ascontiguousarray(canvas.transpose(2, 0, 1)[None].astype(np.float32))
        heat, size, offset, _ = self._session.run(["537", "538", "539", "540"], {"input.1": blob})
        sx, sy = w1 / w0, h1 / h0
        ys, xs = np.where(heat[0, 0] > self.settings.threshold)
        boxes: list[Box] = []
        for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
            bh, bw = float(np.exp(size[0, 0, y, x])) * 4, float(np.exp(size[0, 1, y, x])) * 4
            cy, cx = (y + float(offset[0, 0, y, x]) + 0.5) * 4, (x + float(offset[0, 1, y, x]) + 0.5) * 4
            boxes.append(((cx - bw / 2) / sx, (cy - bh / 2) / sy, bw / sx, bh / sy, float(heat[0, 0, y, x])))
        return nms(boxes, 0.3)


@dataclass(frozen=True, slots=True)
class PlateSettings:
    scale: float = 0.75
    bands: int = 3
    band_overlap: int = 40
    binary_threshold: float = 0.25
    box_threshold: float = 0.4
    join: int = 3
    aspect: tuple[float, float] = (1.6, 9.0)
    grow: tuple[float, float] = (0.25, 0.5)


_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


class PlateDetector:
    name = "ppocr-v4-det-plates"

    def __init__(self, model: Path, settings: PlateSettings = PlateSettings()) -> None:
        self._session = _session(model)
        self._input = self._session.get_inputs()[0].name
        self.settings = settings

    def info(self) -> dict[str, Any]:
        s = self.settings
        return {"name": self.name, "scale": s.scale, "bands": s.bands, "box_threshold": s.box_threshold,
                "aspect": list(s.aspect), "grow": list(s.grow)}

    def __call__(self, frame: Image) -> list[Box]:
        found: list[Box] = []
        for y0, y1 in _bands(frame.shape[0], self.settings.bands, self.settings.band_overlap):
            found += [(x, y + y0, w, h, s) for x, y, w, h, s in self._run(frame[y0:y1])]
        return nms(found, 0.3)

    def _run(self, frame: Image) -> list[Box]:
        s = self.settings
        h0, w0 = frame.shape[:2]
        w1, h1 = max(1, round(w0 * s.scale)), max(1, round(h0 * s.scale))
        wp, hp = -(-w1 // 32) * 32, -(-h1 // 32) * 32
        image = cv2.resize(frame, (w1, h1), interpolation=cv2.INTER_AREA) if s.scale != 1 else frame
        canvas = np.zeros((hp, wp, 3), np.float32)
        canvas[:h1, :w1] = image[..., ::-1]
        blob = ((canvas - _MEAN) / _STD).transpose(2, 0, 1)[None].astype(np.float32)
        prob = self._session.run(None, {self._input: blob})[0][0, 0][:h1, :w1]
        mask = (prob > s.binary_threshold).astype(np.uint8)
        if s.join:  # the characters of one plate become one line
            mask = cv2.dilate(mask, np.ones((1, s.join), np.uint8))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        boxes: list[Box] = []
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if area < 6:
                continue
            score = float(prob[y:y + h, x:x + w][labels[y:y + h, x:x + w] == i].mean())
            if score < s.box_threshold:
                continue
            grow_by = 1.5 * area / (2 * (w + h))  # DB shrinks text regions: unclip
            fx, fy, fw, fh = x - grow_by, y - grow_by, w + 2 * grow_by, h + 2 * grow_by
            if not s.aspect[0] <= fw / max(fh, 1.0) <= s.aspect[1]:
                continue
            gx, gy = fw * s.grow[0], fh * s.grow[1]  # the plate is its text plus margin and frame
            fx, fy, fw, fh = fx - gx / 2, fy - gy / 2, fw + gx, fh + gy
            boxes.append((fx / s.scale, fy / s.scale, fw / s.scale, fh / s.scale, score))
        return boxes


@dataclass(frozen=True, slots=True)
class MotionSettings:
    width: int = 320  # background model resolution
    history: int = 150
    var_threshold: float = 25.0
    min_height: float = 0.06  # of the frame height
    aspect: tuple[float, float] = (1.1, 4.5)  # height / width of a standing person
    head: float = 0.3  # the part of the blob masked as the head region


class MotionFallback:
    """Fed every frame (small and grey); answers person-shaped moving blobs on request.

    The background model changes with every frame it is fed, so the same frames in the same
    order give the same answers: the pipeline feeds it from frame 0, also on a resumed job.
    """

    name = "motion-person-fallback"

    def __init__(self, settings: MotionSettings = MotionSettings()) -> None:
        self.settings = settings
        self._model = cv2.createBackgroundSubtractorMOG2(
            history=settings.history, varThreshold=settings.var_threshold, detectShadows=False)
        self._mask: Image | None = None
        self._scale = 1.0

    def info(self) -> dict[str, Any]:
        s = self.settings
        return {"name": self.name, "width": s.width, "history": s.history, "aspect": list(s.aspect),
                "head": s.head, "opencv": cv2.__version__}

    def feed(self, small_gray: Image, scale: float) -> None:
        self._mask = np.asarray(self._model.apply(small_gray, learningRate=-1), dtype=np.uint8)
        self._scale = scale

    def people(self) -> list[Box]:
        if self._mask is None:
            return []
        s = self.settings
        mask = cv2.morphologyEx(self._mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        mask = cv2.dilate(mask, np.ones((5, 3), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        height = mask.shape[0]
        boxes: list[Box] = []
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if h < s.min_height * height or not s.aspect[0] <= h / max(w, 1) <= s.aspect[1]:
                continue
            if area < 0.3 * w * h:
                continue
            k = 1 / self._scale
            boxes.append((x * k, y * k, w * k, h * s.head * k, 0.5))
        return boxes


@dataclass(frozen=True, slots=True)
class Zone:
    """A rectangle in fractions of the frame (0..1): where the camera draws an overlay."""

    x: float
    y: float
    w: float
    h: float

    def pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        return self.x * width, self.y * height, self.w * width, self.h * height


class Zones:
    def __init__(self, zones: Sequence[Zone], width: int, height: int) -> None:
        self._rects = [zone.pixels(width, height) for zone in zones]

    def outside(self, boxes: Sequence[Box]) -> tuple[list[Box], int]:
        """The boxes touching no zone, and how many were dropped."""
        kept = [box for box in boxes if not any(_touches(box, rect) for rect in self._rects)]
        return kept, len(boxes) - len(kept)


def _touches(box: Box, rect: tuple[float, float, float, float]) -> bool:
    x, y, w, h = box[:4]
    rx, ry, rw, rh = rect
    return x < rx + rw and rx < x + w and y < ry + rh and ry < y + h
