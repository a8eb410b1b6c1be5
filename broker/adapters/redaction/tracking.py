"""From detections on keyframes to a box in every frame: tracks carried between detections.

Detectors run every few frames. At each keyframe the detections are matched to the tracks'
predicted boxes (centre distance and size ratio); a matched track is interpolated linearly over
the frames since the previous keyframe; a track missed at a keyframe is extrapolated at its
velocity, grown 10 % per miss, for up to ``max_miss`` keyframes (detections of small faces
flicker); a new detection is shown from the frame after the previous keyframe on, so a face is
covered before its first detection. This is a pure function of the keyframe detections: the
same draft always gives the same tracks, with the same ids, which is what a reviewer's "keep"
marks refer to.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Rect = tuple[float, float, float, float]


@dataclass(slots=True)
class _Track:
    id: str
    box: Rect
    velocity: tuple[float, float] = (0.0, 0.0)
    misses: int = 0


@dataclass(frozen=True, slots=True)
class TrackBox:
    track: str
    kind: str
    x: float
    y: float
    w: float
    h: float


@dataclass
class Tracks:
    """Per-frame boxes of one clip, and each track's first and last frame."""

    frames: int
    boxes: list[list[TrackBox]]
    spans: dict[str, tuple[int, int, str]] = field(default_factory=dict)

    def at(self, index: int) -> list[TrackBox]:
        return self.boxes[index] if 0 <= index < len(self.boxes) else []


def _centre(box: Rect) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _match(tracks: Sequence[Rect],
           found: Sequence[Rect]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    candidates = []
    for i, p in enumerate(tracks):
        for j, q in enumerate(found):
            (px, py), (qx, qy) = _centre(p), _centre(q)
            distance = math.hypot(px - qx, py - qy)
            ratio = (q[2] * q[3]) / (p[2] * p[3] + 1e-9)
            if distance < 1.5 * max(p[2], p[3], q[2], q[3]) and 0.5 < ratio < 2:
                candidates.append((distance, i, j))
    pairs, used_t, used_f = [], set(), set()
    for _, i, j in sorted(candidates):
        if i not in used_t and j not in used_f:
            pairs.append((i, j))
            used_t.add(i)
            used_f.add(j)
    return (pairs, [i for i in range(len(tracks)) if i not in used_t],
            [j for j in range(len(found)) if j not in used_f])


def track(kind: str, keyframes: Sequence[tuple[int, Sequence[Rect]]], frames: int,
          max_miss: int = 2) -> Tracks:
    """Boxes of one kind in every one of ``frames`` frames, from detections at ``keyframes``
    (ascending frame indices; the first should be frame 0 and the last the last frame)."""
    out: list[list[TrackBox]] = [[] for _ in range(frames)]
    spans: dict[str, tuple[int, int, str]] = {}
    live: list[_Track] = []
    previous: int | None = None
    counter = 0

    def put(index: int, t: _Track, box: Rect) -> None:
        if 0 <= index < frames:
            out[index].append(TrackBox(t.id, kind, *box))
            first, last, _ = spans.get(t.id, (index, index, kind))
            spans[t.id] = (min(first, index), max(last, index), kind)

    def new(box: Rect) -> _Track:
        nonlocal counter
        counter += 1
        return _Track(id=f"{kind}-{counter}", box=box)

    for index, found in keyframes:
        found = [tuple(float(v) for v in b[:4]) for b in found]  # type: ignore[misc]
        if previous is None:
            live = [new(box) for box in found]
            for t in live:
                for f in range(0, index + 1):
                    put(f, t, t.box)
            previous = index
            continue
        dt = index - previous
        if dt <= 0:
            continue
        predicted = [(t.box[0] + t.velocity[0] * dt, t.box[1] + t.velocity[1] * dt, t.box[2], t.box[3])
                     for t in live]
        pairs, missed, fresh = _match(predicted, found)
        survivors = []
        for i, j in pairs:
            t, b = live[i], found[j]
            for f in range(previous + 1, index + 1):
                u = (f - previous) / dt
                put(f, t, tuple((1 - u) * a + u * c for a, c in zip(t.box, b, strict=True)))  # type: ignore[arg-type]
            (ax, ay), (bx, by) = _centre(t.box), _centre(b)
            t.velocity = ((bx - ax) / dt, (by - ay) / dt)
            t.box, t.misses = b, 0
            survivors.append(t)
        for i in missed:
            t = live[i]
            t.misses += 1
            grow = 1 + 0.1 * t.misses
            for f in range(previous + 1, index + 1):
                x, y = t.box[0] + t.velocity[0] * (f - previous), t.box[1] + t.velocity[1] * (f - previous)
                w, h = t.box[2], t.box[3]
                put(f, t, (x - w * (grow - 1) / 2, y - h * (grow - 1) / 2, w * grow, h * grow))
            t.box = (t.box[0] + t.velocity[0] * dt, t.box[1] + t.velocity[1] * dt, t.box[2], t.box[3])
            if t.misses <= max_miss:
                survivors.append(t)
        for j in fresh:
            t = new(found[j])
            for f in range(previous + 1, index + 1):
                put(f, t, t.box)
            survivors.append(t)
        live, previous = survivors, index
    return Tracks(frames=frames, boxes=out, spans=spans)


def merge(parts: Sequence[Tracks], frames: int) -> Tracks:
    boxes: list[list[TrackBox]] = [[] for _ in range(frames)]
    spans: dict[str, tuple[int, int, str]] = {}
    for part in parts:
        for index, found in enumerate(part.boxes[:frames]):
            boxes[index].extend(found)
        spans.update(part.spans)
    return Tracks(frames=frames, boxes=boxes, spans=spans)
