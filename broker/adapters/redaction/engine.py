"""The two passes over a clip: detection (writes the draft) and rendering (after approval).

Detection decodes every frame (PyAV, threaded), converts only keyframes to BGR and hands them to
one worker thread per model (faces every 5th frame, plates every 10th, and the last frame), and
feeds the motion fallback a small grey copy of every frame. It keeps the keyframe detections,
not per-frame boxes: the draft is those detections, and the per-frame boxes are a pure function
of them (``tracking``). Every ``checkpoint_frames`` frames it hands its state to a callback; a
resumed run decodes up to the checkpoint feeding only the motion model, then goes on, so the
draft is byte for byte the one an uninterrupted run writes.

Rendering decodes again, masks each frame with the tracked boxes (less those a reviewer kept,
plus the reviewer's manual boxes), puts the camera's overlay zones back as they were (a box
carried across a zone's edge never blurs the time stamp) and encodes H.264 MP4 (yuv420p,
faststart) for browsers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from broker.adapters.redaction.detectors import (
    Box,
    FaceDetector,
    Image,
    MotionFallback,
    PlateDetector,
    Zone,
    Zones,
)
from broker.adapters.redaction.masks import Region, obscure
from broker.adapters.redaction.models import ModelFiles
from broker.adapters.redaction.tracking import TrackBox, Tracks, merge, track
from broker.adapters.video import DEFAULT_LIMITS, H264Writer, Limits, VideoReader, VideoWriteError
from broker.adapters.video.container import AV_ERRORS, open_video, reason
from broker.adapters.video.errors import VideoError

DRAFT_FORMAT = "footage-broker-redaction-draft/1"
KINDS = ("face", "plate", "person")
MASKED_KINDS = ("face", "plate", "person", "manual")


class RedactionError(Exception):
    """A pass failed; ``stage`` says which step (decode, detect, render, encode)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


@dataclass(frozen=True, slots=True)
class Cadence:
    face: int = 5
    plate: int = 10
    person: int = 5
    max_miss: int = 2


@dataclass
class Checkpoint:
    """Where a detection pass stands: every frame before ``next_frame`` is done."""

    next_frame: int
    keyframes: dict[str, list[list[Any]]]
    zone_drops: int = 0

    def to_json(self) -> str:
        return json.dumps({"next_frame": self.next_frame, "keyframes": self.keyframes,
                           "zone_drops": self.zone_drops}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        data = json.loads(text)
        return cls(next_frame=int(data["next_frame"]), keyframes=data["keyframes"],
                   zone_drops=int(data.get("zone_drops", 0)))


@dataclass
class Draft:
    """The detections of one clip; stored encrypted in the vault, named by its SHA-256."""

    clip_id: str
    source_sha256: str
    width: int
    height: int
    fps: Fraction
    frames: int
    cadence: Cadence
    detector: dict[str, Any]
    zones: list[dict[str, float]]
    keyframes: dict[str, list[list[Any]]]
    zone_drops: int = 0
    _tracks: Tracks | None = field(default=None, repr=False, compare=False)

    def document(self) -> dict[str, Any]:
        return {"format": DRAFT_FORMAT, "clip_id": self.clip_id, "source_sha256": self.source_sha256,
                "width": self.width, "height": self.height, "fps": str(self.fps), "frames": self.frames,
                "cadence": {"face": self.cadence.face, "plate": self.cadence.plate,
                            "person": self.cadence.person, "max_miss": self.cadence.max_miss},
                "detector": self.detector, "zones": self.zones, "keyframes": self.keyframes,
                "zone_drops": self.zone_drops}

    def to_bytes(self) -> bytes:
        text = json.dumps(self.document(), sort_keys=True, separators=(",", ":")).encode()
        return gzip.compress(text, mtime=0)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_bytes(cls, data: bytes) -> Draft:
        doc = json.loads(gzip.decompress(data))
        if doc.get("format") != DRAFT_FORMAT:
            raise ValueError("not a redaction draft")
        c = doc["cadence"]
        return cls(clip_id=doc["clip_id"], source_sha256=doc["source_sha256"], width=doc["width"],
                   height=doc["height"], fps=Fraction(doc["fps"]), frames=doc["frames"],
                   cadence=Cadence(c["face"], c["plate"], c["person"], c["max_miss"]),
                   detector=doc["detector"], zones=doc["zones"], keyframes=doc["keyframes"],
                   zone_drops=doc.get("zone_drops", 0))

    def tracks(self) -> Tracks:
        """Per-frame boxes; a box carried (by tracking) into an overlay zone is dropped there."""
        if self._tracks is None:
            parts = [track(kind, [(int(f), [b[:4] for b in boxes])
                                  for f, boxes in self.keyframes.get(kind, [])],
                           self.frames, self.cadence.max_miss) for kind in KINDS]
            merged = merge(parts, self.frames)
            zones = [Zone(z["x"], z["y"], z["w"], z["h"]).pixels(self.width, self.height) for z in self.zones]
            if zones:
                merged.boxes = [[b for b in found if not _centre_in(b, zones)] for found in merged.boxes]
            self._tracks = merged
        return self._tracks

    def counts(self) -> dict[str, int]:
        """How many tracks of each kind the draft holds."""
        spans = self.tracks().spans
        return {kind: sum(1 for _, _, k in spans.values() if k == kind) for kind in KINDS}


@dataclass(frozen=True, slots=True)
class ManualBox:
    id: str
    x: float
    y: float
    w: float
    h: float
    from_frame: int
    to_frame: int


@dataclass(frozen=True)
class Corrections:
    """What a reviewer changed for one clip: tracks kept visible, boxes added."""

    keep: frozenset[str] = frozenset()
    manual: tuple[ManualBox, ...] = ()


def regions_for(draft: Draft, corrections: Corrections, index: int) -> list[Region]:
    regions = [Region(round(b.x), round(b.y), max(1, round(b.w)), max(1, round(b.h)),
                      "plate" if b.kind == "plate" else "face")
               for b in draft.tracks().at(index) if b.track not in corrections.keep]
    regions += [Region(round(m.x), round(m.y), max(1, round(m.w)), max(1, round(m.h)), "face")
                for m in corrections.manual if m.from_frame <= index <= m.to_frame]
    return regions


@dataclass(frozen=True)
class RenderReport:
    path: Path
    size: int
    sha256: str
    frames: int
    frames_masked: int
    boxes: int


class RedactionEngine:
    """Loads the models once; detect/render/preview may run in one thread at a time."""

    def __init__(self, models: ModelFiles, *, cadence: Cadence = Cadence(),
                 checkpoint_frames: int = 150, limits: Limits = DEFAULT_LIMITS) -> None:
        self.models = models
        self.cadence = cadence
        self.checkpoint_frames = max(1, checkpoint_frames)
        self.limits = limits
        self.face = FaceDetector(models.face)
        self.plate = PlateDetector(models.plate)

    def info(self) -> dict[str, Any]:
        return {"pipeline": "footage-broker-redaction/1", "onnxruntime": _ort_version(),
                "pyav": av.__version__, "models": self.models.describe()["models"],
                "face": self.face.info(), "plate": self.plate.info(),
                "person": MotionFallback().info(),
                "cadence": {"face": self.cadence.face, "plate": self.cadence.plate,
                            "person": self.cadence.person, "max_miss": self.cadence.max_miss}}

    # detection ---------------------------------------------------------------------------------

    def detect(self, source: Path, *, clip_id: str, source_sha256: str, zones: Sequence[Zone],
               total_frames: int, resume: Checkpoint | None = None,
               on_checkpoint: Callable[[Checkpoint], None] | None = None) -> Draft:
        """The draft of ``source``, which must decode to exactly ``total_frames`` frames (its
        probe at ingest): the last frame is always a keyframe, it closes every track."""
        state = resume or Checkpoint(next_frame=0, keyframes={kind: [] for kind in KINDS})
        for kind in KINDS:
            state.keyframes.setdefault(kind, [])
        motion = MotionFallback()
        c = self.cadence
        last = total_frames - 1
        results: queue.Queue[tuple[str, int, list[Box] | BaseException]] = queue.Queue()
        workers = {kind: _Worker(kind, detector, results)
                   for kind, detector in (("face", self.face), ("plate", self.plate))}
        pending: dict[int, dict[str, list[Box]]] = {}  # keyframe -> what has come back for it
        outstanding = 0
        size: tuple[int, int] | None = None
        fps: Fraction | None = None
        frames = 0
        zone_filter = Zones(zones, 1, 1)
        scale = 1.0

        def settle(block: bool) -> None:
            """Take the detectors' answers: those there are, or (block) all still to come."""
            nonlocal outstanding
            while outstanding:
                try:
                    kind, index, found = results.get(block=block, timeout=600 if block else None)
                except queue.Empty:
                    if block:
                        raise RedactionError("detect", "a detector stopped answering") from None
                    return
                outstanding -= 1
                if isinstance(found, BaseException):
                    raise RedactionError("detect", f"{kind} detection failed at frame {index}: {found}")
                kept, dropped = zone_filter.outside(found)
                state.zone_drops += dropped
                pending.setdefault(index, {})[kind] = kept

        def commit(upto: int) -> None:
            """Move the keyframes below ``upto`` (every detector has answered) into the state."""
            for index in sorted(i for i in pending if i < upto):
                entry = pending.pop(index)
                for kind in KINDS:
                    if kind in entry:
                        state.keyframes[kind].append([index, [_rounded(b) for b in entry[kind]]])

        try:
            for index, frame, stream_fps in self._decode(source):
                if index > last:
                    raise RedactionError("decode", f"clip {clip_id} has more frames than its probe "
                                                   f"({total_frames})")
                if size is None:
                    size, fps = (frame.width, frame.height), stream_fps
                    zone_filter = Zones(zones, frame.width, frame.height)
                    scale = min(1.0, motion.settings.width / frame.width)
                small = frame.reformat(width=max(2, round(frame.width * scale)),
                                       height=max(2, round(frame.height * scale)), format="gray")
                motion.feed(np.asarray(small.to_ndarray(), dtype=np.uint8), scale)
                frames = index + 1
                if index < state.next_frame:
                    continue  # resumed: this frame is in the checkpoint already
                wants = [kind for kind, every in (("face", c.face), ("plate", c.plate))
                         if index % every == 0 or index == last]
                if wants:
                    image: Image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
                    for kind in wants:
                        workers[kind].put(index, image)
                        outstanding += 1
                if index % c.person == 0 or index == last:
                    kept, dropped = zone_filter.outside(motion.people())
                    state.zone_drops += dropped
                    pending.setdefault(index, {})["person"] = kept
                settle(block=False)  # the workers' inboxes hold two frames each: that is the back-pressure
                if (index + 1) % self.checkpoint_frames == 0 and index < last:
                    settle(block=True)
                    commit(index + 1)
                    state.next_frame = index + 1
                    if on_checkpoint is not None:
                        on_checkpoint(state)
            settle(block=True)
            commit(frames + 1)
        finally:
            for worker in workers.values():
                worker.stop()
        if size is None or fps is None:
            raise RedactionError("decode", f"no frame of clip {clip_id} decodes")
        if frames != total_frames:
            raise RedactionError("decode", f"clip {clip_id} decoded to {frames} frames, its probe "
                                           f"said {total_frames}")
        state.next_frame = frames
        return Draft(clip_id=clip_id, source_sha256=source_sha256, width=size[0], height=size[1],
                     fps=fps, frames=frames, cadence=self.cadence, detector=self.info(),
                     zones=[{"x": z.x, "y": z.y, "w": z.w, "h": z.h} for z in zones],
                     keyframes=state.keyframes, zone_drops=state.zone_drops)

    def _decode(self, source: Path) -> Iterator[tuple[int, av.VideoFrame, Fraction]]:
        index = 0
        try:
            with open_video(source, self.limits) as (container, stream):
                stream.thread_type = "AUTO"
                rate = stream.average_rate or stream.guessed_rate or stream.base_rate
                if rate is None or rate <= 0:
                    raise RedactionError("decode", f"{source.name} has no usable frame rate")
                fps = Fraction(rate)
                for packet in container.demux(stream):
                    if not packet.size:
                        continue
                    for frame in stream.decode(packet):
                        yield index, frame, fps
                        index += 1
                for frame in stream.decode(None):
                    yield index, frame, fps
                    index += 1
        except VideoError as exc:
            raise RedactionError("decode", exc.detail) from exc
        except AV_ERRORS as exc:
            raise RedactionError("decode", f"decoding stopped after {index} frames: {reason(exc)}") from exc

    def _frame_at(self, source: Path, wanted: int) -> Image:
        try:
            with VideoReader(source, limits=self.limits) as reader:
                for decoded in reader.frames():
                    if decoded.index == wanted:
                        return decoded.image
        except VideoError as exc:
            raise RedactionError("decode", exc.detail) from exc
        raise RedactionError("decode", f"frame {wanted} is not in the clip")

    # rendering ---------------------------------------------------------------------------------

    def render(self, source: Path, draft: Draft, corrections: Corrections, destination: Path) -> RenderReport:
        masked = boxes = frames = 0
        zones = [tuple(round(v) for v in
                       Zone(z["x"], z["y"], z["w"], z["h"]).pixels(draft.width, draft.height))
                 for z in draft.zones]
        try:
            with VideoReader(source, limits=self.limits) as reader, \
                    H264Writer(destination, draft.width, draft.height, draft.fps) as writer:
                for decoded in reader.frames():
                    if decoded.index >= draft.frames:
                        raise RedactionError("render",
                                             f"clip has more frames than its draft ({draft.frames})")
                    regions = regions_for(draft, corrections, decoded.index)
                    masked += bool(regions)
                    boxes += len(regions)
                    out = obscure(decoded.image, regions) if regions else decoded.image
                    for x, y, w, h in zones:  # the camera's overlays are never masked
                        out[y:y + h, x:x + w] = decoded.image[y:y + h, x:x + w]
                    writer.write(out)
                    frames += 1
                if frames != draft.frames:
                    raise RedactionError("render",
                                         f"clip decoded to {frames} frames, its draft has {draft.frames}")
                written = writer.close()
        except VideoError as exc:
            raise RedactionError("decode", exc.detail) from exc
        except VideoWriteError as exc:
            raise RedactionError("encode", exc.detail) from exc
        digest = hashlib.sha256()
        with destination.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return RenderReport(path=destination, size=written.size_bytes, sha256=digest.hexdigest(),
                            frames=frames, frames_masked=masked, boxes=boxes)

    # review -----------------------------------------------------------------------------------

    def preview(self, source: Path, draft: Draft, corrections: Corrections, index: int,
                max_width: int = 640) -> bytes:
        """One frame, scaled down, with every box drawn and labelled (kept ones in green)."""
        image = self._frame_at(source, index)
        scale = min(1.0, max_width / image.shape[1])
        if scale < 1:
            image = np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
        colours = {"face": (0, 0, 255), "plate": (0, 165, 255), "person": (255, 0, 255),
                   "manual": (255, 128, 0)}
        drawn = [(b.track, b.kind, b.x, b.y, b.w, b.h) for b in draft.tracks().at(index)]
        drawn += [(m.id, "manual", m.x, m.y, m.w, m.h) for m in corrections.manual
                  if m.from_frame <= index <= m.to_frame]
        for name, kind, x, y, w, h in drawn:
            colour = (0, 200, 0) if name in corrections.keep else colours[kind]
            p0 = (round(x * scale), round(y * scale))
            p1 = (round((x + w) * scale), round((y + h) * scale))
            cv2.rectangle(image, p0, p1, colour, 2)
            cv2.putText(image, name, (p0[0], max(10, p0[1] - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1,
                        cv2.LINE_AA)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            raise RedactionError("preview", "JPEG encoding failed")
        return bytes(encoded.tobytes())


class _Worker:
    """One model on its own thread (onnxruntime releases the GIL): frames in, boxes out."""

    def __init__(self, kind: str, detector: Callable[[Image], list[Box]],
                 results: queue.Queue[tuple[str, int, list[Box] | BaseException]]) -> None:
        self._inbox: queue.Queue[tuple[int, Image] | None] = queue.Queue(maxsize=2)
        self._kind, self._detector, self._results = kind, detector, results
        self._thread = threading.Thread(target=self._loop, name=f"redaction-{kind}", daemon=True)
        self._thread.start()

    def put(self, index: int, image: Image) -> None:
        self._inbox.put((index, image))

    def stop(self) -> None:
        self._inbox.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while (item := self._inbox.get()) is not None:
            index, image = item
            try:
                self._results.put((self._kind, index, self._detector(image)))
            except Exception as exc:  # reported to the pass, which fails with it
                self._results.put((self._kind, index, exc))


def _centre_in(box: TrackBox, zones: Sequence[tuple[float, float, float, float]]) -> bool:
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    return any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in zones)


def _rounded(box: Box) -> list[float]:
    return [round(float(v), 2) for v in box[:5]]


def _ort_version() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)

