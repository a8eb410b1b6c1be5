"""Scoring the detectors on the labelled scenes: still frames (one detection, no help from video)
and clips (the per-frame boxes the redaction actually applies, after tracking)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from broker.adapters.redaction.detectors import FaceDetector, PlateDetector, Zone, Zones
from broker.adapters.redaction.engine import Corrections, Draft, RedactionEngine, regions_for
from tests.redaction import scene

ZONES = [Zone(z["x"], z["y"], z["w"], z["h"]) for z in scene.ZONES]


@dataclass
class Tally:
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    false_positives: int = 0
    face_free_frames: int = 0
    zone_hits: int = 0  # raw detections touching a zone (dropped by the zone rule)
    zone_boxes: int = 0  # boxes left inside a zone after the rule: must be 0

    def add(self, band: str, hit: bool) -> None:
        self.totals[band] += 1
        self.hits[band] += int(hit)

    def recall(self, *bands: str) -> float:
        total = sum(self.totals[b] for b in bands)
        return sum(self.hits[b] for b in bands) / total if total else float("nan")


def still_frames(face: FaceDetector, plate: PlateDetector, frames: list[tuple[object, scene.Truth]]
                 ) -> tuple[Tally, Tally]:
    faces, plates = Tally(), Tally()
    zones = Zones(ZONES, scene.W, scene.H)
    for image, truth in frames:
        raw_faces, raw_plates = face(image), plate(image)  # type: ignore[arg-type]
        kept_faces, dropped_faces = zones.outside(raw_faces)
        kept_plates, dropped_plates = zones.outside(raw_plates)
        faces.zone_hits += dropped_faces
        plates.zone_hits += dropped_plates
        boxes = [b[:4] for b in kept_faces]
        for item in truth.faces:
            faces.add(str(item["band"]), scene.found(item["box"], boxes))
        if not truth.faces:
            faces.face_free_frames += 1
            faces.false_positives += len(boxes)
        plate_boxes = [b[:4] for b in kept_plates]
        for item in truth.plates:
            plates.add(str(item["width"]), scene.found(item["box"], plate_boxes))
        plates.false_positives += sum(
            1 for b in plate_boxes if not any(scene.intersection(b, p["box"]) > 0.3 * b[2] * b[3]
                                              for p in truth.plates))
        faces.zone_boxes += sum(1 for b in boxes if _in_zone(b))
        plates.zone_boxes += sum(1 for b in plate_boxes if _in_zone(b))
    return faces, plates


def clip(engine: RedactionEngine, path: Path, truths: list[scene.Truth], clip_id: str = "clip") -> tuple[
        Draft, Tally, Tally]:
    """Detect over the clip as the job does, then score the boxes applied to each frame."""
    draft = engine.detect(path, clip_id=clip_id, source_sha256="", zones=ZONES, total_frames=len(truths))
    return (draft, *score_draft(draft, truths))


def score_draft(draft: Draft, truths: list[scene.Truth]) -> tuple[Tally, Tally]:
    faces, plates = Tally(), Tally()
    for index, truth in enumerate(truths):
        regions = regions_for(draft, Corrections(), index)
        masks = [(r.x, r.y, r.w, r.h) for r in regions]
        for item in truth.faces:
            if item["visible"]:
                faces.add(str(item["band"]), scene.covered(item["box"], masks))
        for item in truth.plates:
            if item["visible"]:
                plates.add(str(item["width"]), scene.covered(item["box"], masks))
        for kind, tally in (("face", faces), ("plate", plates)):
            tally.zone_boxes += sum(1 for b in draft.tracks().at(index)
                                    if (b.kind == kind or (kind == "face" and b.kind == "person"))
                                    and _in_zone((b.x, b.y, b.w, b.h)))
    faces.zone_hits = plates.zone_hits = draft.zone_drops
    return faces, plates


def _in_zone(box: tuple[float, float, float, float]) -> bool:
    """Wholly inside a zone: what the zone rule must never leave (a box touching one is dropped
    at detection; tracking may carry a box across a zone's edge, the render restores the zone)."""
    x, y, w, h = box
    return any(zx <= x and zy <= y and x + w <= zx + zw and y + h <= zy + zh
               for zx, zy, zw, zh in scene.ZONES_PX)
