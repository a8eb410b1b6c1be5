"""The detectors' quality on a small fixed subset of the labelled scenes (bench/masking.py
prints the same figures on the whole set): faces and plates in still frames, and the boxes the
redaction applies to every frame of a clip after tracking."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.adapters.redaction.engine import RedactionEngine
from broker.adapters.redaction.models import locate
from tests.redaction import quality, scene


@pytest.fixture(scope="module")
def engine(models: Path) -> RedactionEngine:
    return RedactionEngine(locate(models))


def test_still_frames_faces_from_48_px_and_plates_from_72_px(engine):
    frames = list(scene.still_frames(per_band=2, face_free=2, bands=(48, 64, 96, 128), seed=5))
    faces, plates = quality.still_frames(engine.face, engine.plate, frames)
    assert faces.recall("48", "64", "96", "128") >= 0.9, dict(faces.hits)
    assert plates.recall("72", "96", "128", "160") >= 0.9, dict(plates.hits)
    assert faces.zone_boxes == plates.zone_boxes == 0
    assert faces.false_positives <= 2 * faces.face_free_frames


def test_every_frame_of_a_clip_masks_faces_from_24_px_and_plates(engine, tmp_path):
    path = tmp_path / "street.mp4"
    truths = scene.moving_clip(path, 4)
    _draft, faces, plates = quality.clip(engine, path, truths)
    bands = [str(b) for b in (24, 32, 48, 64, 96, 128)]
    assert sum(faces.totals[b] for b in bands) > 300
    assert faces.recall(*bands) >= 0.95, {b: faces.recall(b) for b in bands}
    assert plates.recall(*[str(w) for w in (72, 96, 128)]) >= 0.9
    assert faces.zone_boxes == plates.zone_boxes == 0
