"""The detector finds the test face, mirrors profile detections correctly and refuses to run incomplete."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from broker.adapters.masking import (
    DEFAULT_CASCADES,
    CascadeSpec,
    Detector,
    MaskingError,
    Region,
    bundled_cascade_dir,
)
from tests.masking.scene import astronaut_frames, background

CASCADE_DIR = bundled_cascade_dir()


def overlap(region: Region, x: int, y: int, w: int, h: int) -> float:
    """Intersection over the smaller box."""
    ix = max(0, min(region.x + region.w, x + w) - max(region.x, x))
    iy = max(0, min(region.y + region.h, y + h) - max(region.y, y))
    return ix * iy / min(region.w * region.h, w * h)


def test_finds_the_pasted_face() -> None:
    frame, box = astronaut_frames(1)[0]
    faces = [r for r in Detector().detect(frame) if r.kind == "face"]
    assert any(overlap(r, box.x, box.y, box.w, box.h) > 0.8 for r in faces), faces


def test_plain_background_has_no_detections() -> None:
    assert Detector().detect(background()) == []


def test_mirrored_cascade_is_symmetric_under_horizontal_flip() -> None:
    frame, _ = astronaut_frames(1)[0]
    profile = next(s for s in DEFAULT_CASCADES if s.mirrored)
    detector = Detector(cascades=[profile])
    width = frame.shape[1]
    found = {(r.x, r.y, r.w, r.h) for r in detector.detect(frame)}
    flipped = {(width - r.x - r.w, r.y, r.w, r.h) for r in detector.detect(cv2.flip(frame, 1))}
    assert found
    assert found == flipped


def test_detector_info_names_every_cascade_with_its_digest() -> None:
    info = Detector().detector_info()
    assert info["opencv"] == cv2.__version__
    files = {c["file"]: c["sha256"] for c in info["cascades"]}
    for spec in DEFAULT_CASCADES:
        if spec.required:
            assert spec.filename in files
    for name, digest in files.items():
        assert digest == hashlib.sha256((CASCADE_DIR / name).read_bytes()).hexdigest()


def test_missing_required_cascade_raises(tmp_path: Path) -> None:
    detector = Detector(cascade_dir=tmp_path)  # construction does no I/O
    with pytest.raises(MaskingError, match=r"haarcascade_frontalface_default\.xml"):
        detector.detect(background())
    with pytest.raises(MaskingError):
        detector.detector_info()


def test_missing_optional_cascade_is_skipped_and_not_listed(tmp_path: Path) -> None:
    for spec in DEFAULT_CASCADES:
        if spec.required:
            shutil.copy(CASCADE_DIR / spec.filename, tmp_path)
    info = Detector(cascade_dir=tmp_path).detector_info()
    assert {c["file"] for c in info["cascades"]} == {s.filename for s in DEFAULT_CASCADES if s.required}


def test_corrupt_cascade_raises(tmp_path: Path) -> None:
    (tmp_path / "broken.xml").write_text("<opencv_storage></opencv_storage>")
    detector = Detector(cascade_dir=tmp_path, cascades=[CascadeSpec("broken.xml", "face")])
    with pytest.raises(MaskingError, match="not a valid"):
        detector.load()


@pytest.mark.parametrize(
    "frame",
    [np.zeros((0, 0, 3), np.uint8), np.zeros((10, 10, 3), np.float32), np.zeros((10, 10, 2), np.uint8)],
)
def test_bad_frames_raise(frame: np.ndarray) -> None:
    with pytest.raises(MaskingError):
        Detector().detect(frame)


def test_region_padding_is_clipped_to_the_frame() -> None:
    assert Region(0, 0, 100, 100, "face").padded(0.15, 640, 480) == (0, 0, 115, 115)
    assert Region(600, 450, 100, 100, "plate").padded(0.1, 640, 480) == (590, 440, 640, 480)
    assert Region(700, 10, 20, 20, "face").padded(0.15, 640, 480) is None
