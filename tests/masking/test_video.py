"""mask_video end to end: every frame's face is obscured, the rest survives, and failures refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from broker.adapters.masking import (
    DEFAULT_CASCADES,
    Detector,
    MaskingError,
    MaskingReport,
    Region,
    manifest_entry,
    mask_video,
)
from broker.adapters.masking.detect import Frame
from tests.masking.scene import (
    BACKGROUND,
    astronaut_frames,
    background,
    mad,
    read_video,
    sharpness,
    write_video,
)

FRAMES = 24
# Measured with opencv-python-headless 4.14 (mp4v / MJPG): face MAD >= 33, sharpness ratio <= 0.02,
# background MAD <= 2.0 / 1.2 after the extra encode. The bounds leave a wide margin either way.
FACE_MAD_MIN = 15.0
SHARPNESS_RATIO_MAX = 0.1
BACKGROUND_MAD_MAX = 4.0


class ScriptedDetector:
    """Reports the given regions on the given frame numbers only, like a flickering detector."""

    def __init__(self, script: dict[int, list[Region]]) -> None:
        self.script = script
        self.calls = 0

    def detect(self, frame_bgr: Frame) -> list[Region]:
        found = self.script.get(self.calls, [])
        self.calls += 1
        return found

    def detector_info(self) -> dict[str, Any]:
        return {"name": "scripted"}


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if "partial" in p.name)


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_every_frame_has_its_face_masked_and_background_kept(tmp_path: Path, suffix: str) -> None:
    scene = astronaut_frames(FRAMES)
    src, dst = tmp_path / f"src{suffix}", tmp_path / f"masked{suffix}"
    write_video(src, (frame for frame, _ in scene))

    report = mask_video(src, dst)

    assert report.frames == FRAMES
    assert report.frames_masked == FRAMES
    assert report.frames_with_detections >= FRAMES // 2
    assert report.codec == {".mp4": "mp4v", ".avi": "MJPG"}[suffix]
    assert (report.width, report.height, report.fps) == (640, 480, 12.0)
    # Reference: the unmasked source after the same codec, so compression noise is not "masking".
    reference, masked = read_video(src), read_video(dst)
    assert len(reference) == len(masked) == FRAMES
    frontal = Detector(cascades=[s for s in DEFAULT_CASCADES if "frontalface" in s.filename])
    for i, ((_, box), ref, out) in enumerate(zip(scene, reference, masked, strict=True)):
        assert mad(box.of(out), box.of(ref)) > FACE_MAD_MIN, f"frame {i}: face not changed enough"
        assert sharpness(box.of(out)) < SHARPNESS_RATIO_MAX * sharpness(box.of(ref)), (
            f"frame {i}: still sharp"
        )
        assert mad(out[BACKGROUND], ref[BACKGROUND]) < BACKGROUND_MAD_MAX, f"frame {i}: background altered"
        assert frontal.detect(out) == [], f"frame {i}: a face is still detectable"
    assert leftovers(tmp_path) == []


def test_footage_without_faces_is_left_as_it_was(tmp_path: Path) -> None:
    src, dst = tmp_path / "empty.mp4", tmp_path / "masked.mp4"
    write_video(src, [background()] * 6)
    report = mask_video(src, dst)
    assert (report.frames, report.regions, report.frames_masked) == (6, 0, 0)
    for ref, out in zip(read_video(src), read_video(dst), strict=True):
        assert mad(out, ref) < BACKGROUND_MAD_MAX


@pytest.mark.parametrize(("carry", "expected"), [(3, set(range(5, 12))), (0, {8})])
def test_detections_are_carried_to_neighbouring_frames(
    tmp_path: Path, carry: int, expected: set[int]
) -> None:
    texture = np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    src, dst = tmp_path / "src.avi", tmp_path / "masked.avi"
    write_video(src, [texture] * 16)
    detector = ScriptedDetector({8: [Region(40, 30, 40, 40, "face")]})

    report = mask_video(src, dst, detector=detector, carry=carry)

    assert (report.frames, report.frames_with_detections, report.regions) == (16, 1, 1)
    assert report.frames_masked == len(expected)
    changed = {
        i
        for i, (ref, out) in enumerate(zip(read_video(src), read_video(dst), strict=True))
        if mad(out[30:70, 40:80], ref[30:70, 40:80]) > 20
    }
    assert changed == expected


def test_manifest_entry_states_what_was_done(tmp_path: Path) -> None:
    src, dst = tmp_path / "src.avi", tmp_path / "masked.avi"
    write_video(src, [background()] * 3)
    report = mask_video(src, dst, detector=ScriptedDetector({1: [Region(1, 2, 30, 30, "plate")]}))
    entry = manifest_entry(report)
    assert entry["masked"] is True
    assert entry["detector"] == {"name": "scripted"}
    assert (entry["frames"], entry["frames_with_detections"], entry["regions"]) == (3, 1, 1)
    assert entry["codec"] == "MJPG"


def test_unreadable_input_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    for src in (junk, tmp_path / "missing.mp4"):
        with pytest.raises(MaskingError):
            mask_video(src, tmp_path / "out.mp4", detector=ScriptedDetector({}))
    assert not (tmp_path / "out.mp4").exists()
    assert leftovers(tmp_path) == []


def test_video_without_frames_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "none.avi"
    write_video(src, [])
    with pytest.raises(MaskingError):
        mask_video(src, tmp_path / "out.avi", detector=ScriptedDetector({}))
    assert not (tmp_path / "out.avi").exists()


def test_missing_cascade_refuses_before_writing(tmp_path: Path) -> None:
    src = tmp_path / "src.avi"
    write_video(src, [background()] * 2)
    with pytest.raises(MaskingError, match="cascade file missing"):
        mask_video(src, tmp_path / "out.avi", detector=Detector(cascade_dir=tmp_path / "nowhere"))
    assert not (tmp_path / "out.avi").exists()


def test_writer_that_cannot_open_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src.avi"
    write_video(src, [background()] * 2)
    with pytest.raises(MaskingError, match="writer"):
        mask_video(src, tmp_path / "no-such-dir" / "out.avi", detector=ScriptedDetector({}))
    with pytest.raises(MaskingError, match="suffix"):
        mask_video(src, tmp_path / "out.webm", detector=ScriptedDetector({}))
    with pytest.raises(MaskingError, match="overwrite"):
        mask_video(src, src, detector=ScriptedDetector({}))


@pytest.fixture
def truncated(tmp_path: Path) -> Path:
    """An AVI cut in half: it still opens and declares 30 frames, but only about half decode."""
    src = tmp_path / "cut.avi"
    write_video(src, [np.random.default_rng(i).integers(0, 256, (120, 160, 3), np.uint8) for i in range(30)])
    content = src.read_bytes()
    src.write_bytes(content[: len(content) // 2])
    return src


def test_truncated_input_is_refused_by_default(tmp_path: Path, truncated: Path) -> None:
    with pytest.raises(MaskingError, match="of 30 declared frames"):
        mask_video(truncated, tmp_path / "out.avi", detector=ScriptedDetector({}))
    assert not (tmp_path / "out.avi").exists()
    assert leftovers(tmp_path) == []


def test_truncated_input_can_be_accepted_explicitly(tmp_path: Path, truncated: Path) -> None:
    report: MaskingReport = mask_video(
        truncated, tmp_path / "out.avi", detector=ScriptedDetector({}), fail_if_unreadable=False
    )
    assert 0 < report.frames < report.declared_frames == 30
    assert len(read_video(tmp_path / "out.avi")) == report.frames
