"""Find faces and licence plates with the Haar cascades that ship inside opencv-python (4.x).

Nothing is downloaded: the cascades come from `cv2.data.haarcascades`. They are loaded on first use,
once per `Detector`, and hashed so the delivery manifest names exactly which model did the masking.
A missing or unreadable required cascade raises `MaskingError`; the detector never runs with less.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from broker.adapters.masking.errors import MaskingError

if TYPE_CHECKING:
    from cv2.typing import MatLike

RegionKind = Literal["face", "plate"]
# A uint8 BGR image, checked at run time: cv2's stubs type every image as a generic numeric array.
Frame = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class Region:
    """A box to mask, in pixels of the frame it was found in."""

    x: int
    y: int
    w: int
    h: int
    kind: RegionKind

    def padded(self, padding: float, width: int, height: int) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) grown by `padding` of the size on every side, clipped; None if off-frame.

        Detectors box the inner face; hair, ears and the plate's frame identify people too.
        """
        dx, dy = round(self.w * padding), round(self.h * padding)
        x0, y0 = max(0, self.x - dx), max(0, self.y - dy)
        x1, y1 = min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1


class RegionDetector(Protocol):
    """What `mask_video` needs from a detector; tests substitute fakes."""

    def detect(self, frame_bgr: Frame) -> list[Region]: ...

    def detector_info(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class CascadeSpec:
    """One cascade file and how to run it; `mirrored` also runs it on the flipped frame."""

    filename: str
    kind: RegionKind
    required: bool = True
    mirrored: bool = False
    min_neighbors: int = 4
    min_size: tuple[int, int] = (24, 24)


# Recall matters more than precision here: a false positive only blurs a patch of wall, a miss
# discloses a person. Hence minNeighbors 4 (OpenCV's samples use 3-6) and the cascades' own window
# sizes as minimum sizes.
DEFAULT_CASCADES: tuple[CascadeSpec, ...] = (
    CascadeSpec("haarcascade_frontalface_default.xml", "face"),
    # Trained on faces turned one way only; the flipped frame catches the other way.
    CascadeSpec("haarcascade_profileface.xml", "face", mirrored=True, min_size=(20, 20)),
    CascadeSpec("haarcascade_russian_plate_number.xml", "plate", min_neighbors=3, min_size=(60, 20)),
    # Shipped by most opencv-python builds; used when present, listed in detector_info() when used.
    CascadeSpec(
        "haarcascade_license_plate_rus_16stages.xml",
        "plate",
        required=False,
        min_neighbors=3,
        min_size=(64, 16),
    ),
)


@dataclass(frozen=True, slots=True)
class _Loaded:
    spec: CascadeSpec
    classifier: cv2.CascadeClassifier
    sha256: str


class Detector:
    """Haar-cascade face and plate detector; load once, then call `detect` per frame.

    Not thread-safe while detecting (OpenCV does not promise that for one classifier); use one
    `Detector` per thread. Loading is guarded, so sharing one for `detector_info()` is fine.
    """

    def __init__(
        self,
        cascade_dir: str | Path | None = None,
        *,
        cascades: Sequence[CascadeSpec] = DEFAULT_CASCADES,
        scale_factor: float = 1.1,
    ) -> None:
        if scale_factor <= 1.0:
            raise MaskingError(f"scale_factor must be > 1, got {scale_factor}")
        if not any(spec.required for spec in cascades):
            raise MaskingError("a detector needs at least one required cascade")
        self._dir = Path(cascade_dir) if cascade_dir is not None else None
        self._specs = tuple(cascades)
        self._scale_factor = scale_factor
        self._loaded: tuple[_Loaded, ...] | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load every cascade now (idempotent), e.g. at startup to fail early."""
        self._cascades()

    def detect(self, frame_bgr: Frame) -> list[Region]:
        """Faces and plates in one BGR (or grayscale/BGRA) uint8 frame."""
        gray = _equalized_gray(frame_bgr)
        width = gray.shape[1]
        flipped: MatLike | None = None
        regions: list[Region] = []
        for cascade in self._cascades():
            spec = cascade.spec
            regions += [
                Region(int(x), int(y), int(w), int(h), spec.kind) for x, y, w, h in self._run(cascade, gray)
            ]
            if spec.mirrored:
                if flipped is None:
                    flipped = cv2.flip(gray, 1)
                regions += [
                    Region(int(width - x - w), int(y), int(w), int(h), spec.kind)
                    for x, y, w, h in self._run(cascade, flipped)
                ]
        return regions

    def detector_info(self) -> dict[str, Any]:
        """Name the exact detector (library version, cascade files and their SHA-256) for the manifest."""
        return {
            "name": "opencv-haar-cascade",
            "opencv": cv2.__version__,
            "scale_factor": self._scale_factor,
            "cascades": [
                {
                    "file": c.spec.filename,
                    "kind": c.spec.kind,
                    "sha256": c.sha256,
                    "mirrored": c.spec.mirrored,
                    "min_neighbors": c.spec.min_neighbors,
                    "min_size": list(c.spec.min_size),
                }
                for c in self._cascades()
            ],
        }

    def _run(self, cascade: _Loaded, gray: MatLike) -> Sequence[Sequence[int]]:
        try:
            return cascade.classifier.detectMultiScale(
                gray,
                scaleFactor=self._scale_factor,
                minNeighbors=cascade.spec.min_neighbors,
                minSize=cascade.spec.min_size,
            )
        except cv2.error as exc:
            raise MaskingError(f"detection with {cascade.spec.filename} failed: {exc}") from exc

    def _cascades(self) -> tuple[_Loaded, ...]:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._load_all()
                loaded = self._loaded
        return loaded

    def _load_all(self) -> tuple[_Loaded, ...]:
        directory = self._dir if self._dir is not None else bundled_cascade_dir()
        loaded = []
        for spec in self._specs:
            path = directory / spec.filename
            if not path.is_file():
                if spec.required:
                    raise MaskingError(f"cascade file missing: {path}")
                continue
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                raise MaskingError(f"cannot read cascade file {path}: {exc}") from exc
            classifier = cv2.CascadeClassifier()
            try:
                ok = classifier.load(str(path))
            except cv2.error as exc:
                raise MaskingError(f"cascade file is not a valid OpenCV cascade: {path}: {exc}") from exc
            if not ok or classifier.empty():
                raise MaskingError(f"cascade file is not a valid OpenCV cascade: {path}")
            loaded.append(_Loaded(spec, classifier, digest))
        return tuple(loaded)


def bundled_cascade_dir() -> Path:
    """Where opencv-python ships its cascades: nothing is ever downloaded."""
    return Path(cv2.data.haarcascades)  # type: ignore[attr-defined]  # cv2.data has no stubs


def _equalized_gray(frame: Frame) -> MatLike:
    """Grayscale with equalized histogram: Haar features compare intensities, so contrast matters."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.size == 0:
        raise MaskingError("frame must be a non-empty uint8 image")
    gray: MatLike
    if frame.ndim == 2:
        gray = frame
    elif frame.ndim == 3 and frame.shape[2] == 3:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    else:
        raise MaskingError(f"unsupported frame shape {frame.shape}")
    return cv2.equalizeHist(gray)
