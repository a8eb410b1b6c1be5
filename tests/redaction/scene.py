"""Labelled CCTV-like test material, built from pictures that registry packages ship.

Faces: scikit-image's ``data.lfw_subset()`` (100 faces, 25x25 grey tight crops, plus 100 non-face
tiles used as distractors), ``data.astronaut()`` (a frontal face with hair and shoulders) and
``data.camera()`` (the cameraman, a real profile). Each frame: a street-like background with
textured buildings (skimage's other pictures), cars with Korean-style white plates (digits by
``cv2.putText``, a stroke stand-in for the Hangul syllable), a time stamp top left and a camera
label bottom right (the camera's overlay zones), faces of one height band pasted with soft edges
(mirrored, rotated 15-30 degrees, squashed to 65 % width as a crude yaw proxy), then blur, sensor
noise and JPEG artefacts, and a quarter of the frames grey ("IR night").

``still_frames`` makes the still-frame set (the benchmark uses all of it, the tests a fixed
subset); ``moving_clip`` writes a clip with people walking and cars driving, and the truth of
every frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from skimage import data

from broker.adapters.video import H264Writer

W, H = 1280, 720
BANDS = (16, 24, 32, 48, 64, 96, 128)
FACES_PER_FRAME = {16: 10, 24: 10, 32: 10, 48: 8, 64: 8, 96: 5, 128: 4}
PLATE_WIDTHS = (56, 72, 96, 128, 160)
# The overlay zones as the camera is configured: time stamp top left, label bottom right.
ZONES_PX = ((0, 0, 560, 60), (W - 490, H - 52, 490, 52))
ZONES = tuple({"x": x / W, "y": y / H, "w": w / W, "h": h / H, "label": label}
              for (x, y, w, h), label in zip(ZONES_PX, ("time", "camera"), strict=True))

Image = np.ndarray
Rect = tuple[float, float, float, float]


@dataclass
class Truth:
    faces: list[dict[str, Any]] = field(default_factory=list)  # box, band, source, visible
    plates: list[dict[str, Any]] = field(default_factory=list)  # box, width, visible
    zones: list[Rect] = field(default_factory=list)


def face_sources() -> list[dict[str, Any]]:
    astronaut = np.ascontiguousarray(data.astronaut()[:, :, ::-1])
    camera = cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)
    lfw = (data.lfw_subset() * 255).round().astype(np.uint8)
    sources = [{"name": "astronaut", "img": astronaut, "box": (182, 58, 88, 120)},
               {"name": "camera-profile", "img": camera, "box": (202, 119, 55, 78), "profile": True}]
    sources += [{"name": f"lfw-{i}", "img": cv2.cvtColor(lfw[i], cv2.COLOR_GRAY2BGR), "box": (1, 1, 23, 23),
                 "tight": True} for i in range(100)]
    return sources


def non_faces() -> list[Image]:
    lfw = (data.lfw_subset() * 255).round().astype(np.uint8)
    return [cv2.cvtColor(lfw[i], cv2.COLOR_GRAY2BGR) for i in range(100, 200)]


def textures() -> list[Image]:
    def bgr(x: np.ndarray) -> Image:
        x = x.astype(np.float32) if x.dtype == bool else x
        if x.dtype != np.uint8:
            x = (255 * (x - x.min()) / (np.ptp(x) + 1e-9)).astype(np.uint8)
        if x.ndim == 2:
            return cv2.cvtColor(x, cv2.COLOR_GRAY2BGR)
        return np.ascontiguousarray(x[:, :, ::-1][..., :3])

    names = ("brick", "gravel", "grass", "rocket", "coffee", "chelsea", "page", "text", "horse", "cell")
    return [bgr(getattr(data, name)()) for name in names]


def face_patch(src: dict[str, Any], target_h: int, rng: np.random.Generator,
               augment: bool = True) -> tuple[Image, np.ndarray, Rect, str]:
    """A BGR patch, its alpha, the face box inside it, and the augmentation's name."""
    img, (fx, fy, fw, fh) = src["img"], src["box"]
    if src.get("tight"):
        crop, box = img, (fx, fy, fw, fh)
    else:
        x0, y0 = max(0, int(fx - 0.7 * fw)), max(0, int(fy - 0.5 * fh))
        x1, y1 = min(img.shape[1], int(fx + 1.7 * fw)), min(img.shape[0], int(fy + 1.9 * fh))
        crop, box = img[y0:y1, x0:x1], (fx - x0, fy - y0, fw, fh)
    s = target_h / box[3]
    tag = "profile" if src.get("profile") else "frontal"
    sx = s
    if augment and tag == "frontal" and rng.random() < 0.15:
        sx, tag = s * 0.65, "squash"
    nh, nw = max(2, round(crop.shape[0] * s)), max(2, round(crop.shape[1] * sx))
    patch = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
    bx, by, bw, bh = box[0] * sx, box[1] * s, box[2] * sx, box[3] * s
    if augment and rng.random() < 0.5:
        patch, bx = patch[:, ::-1].copy(), nw - bx - bw
        tag += "+flip"
    alpha = np.zeros(patch.shape[:2], np.float32)
    m = max(1, round(min(nh, nw) * 0.06))
    alpha[m:-m or None, m:-m or None] = 1
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.8, m / 1.5))
    if augment and rng.random() < 0.25:
        angle = float(rng.choice([-1, 1]) * rng.uniform(15, 30))
        matrix = cv2.getRotationMatrix2D((bx + bw / 2, by + bh / 2), angle, 1.0)
        patch = cv2.warpAffine(patch, matrix, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        alpha = cv2.warpAffine(alpha, matrix, (nw, nh))
        tag += "+rot"
    return patch, alpha, (bx, by, bw, bh), tag


def paste(frame: Image, patch: Image, alpha: np.ndarray, x: int, y: int) -> None:
    h, w = patch.shape[:2]
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(fw, x + w), min(fh, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    p, a = patch[y0 - y:y1 - y, x0 - x:x1 - x], alpha[y0 - y:y1 - y, x0 - x:x1 - x, None]
    frame[y0:y1, x0:x1] = (a * p + (1 - a) * frame[y0:y1, x0:x1]).astype(np.uint8)


def background(rng: np.random.Generator, tex: list[Image], width: int = W, height: int = H) -> Image:
    yy = np.linspace(0, 1, height)[:, None]
    sky = np.array([200, 185, 170]) * (1 - yy) + np.array([120, 120, 115]) * yy
    frame = np.broadcast_to(sky[:, None, :], (height, width, 3)).astype(np.float32).copy()
    horizon = int(height * rng.uniform(0.35, 0.5))
    frame[horizon:] = np.array([90, 92, 95]) + rng.normal(0, 4, (height - horizon, width, 1))
    for _ in range(int(rng.integers(4, 8))):
        t = tex[int(rng.integers(len(tex)))]
        bw, bh = int(rng.integers(width // 10, width // 3)), int(rng.integers(height // 9, horizon + 40))
        x = int(rng.integers(-50, width - 50))
        patch = cv2.resize(t, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32)
        x0, x1 = max(0, x), min(width, x + bw)
        y0 = max(0, horizon + 20 - bh)
        frame[y0:y0 + bh, x0:x1] = patch[:min(bh, height - y0), x0 - x:x1 - x] * 0.85
    return np.clip(frame, 0, 255).astype(np.uint8)


def plate_image(width: int, rng: np.random.Generator) -> Image:
    h = max(8, round(width / 4.7))  # 520 x 110 mm
    s = 8  # drawn big, then shrunk: anti-aliased as a camera sees it
    big = np.full((h * s, width * s, 3), 245, np.uint8)
    cv2.rectangle(big, (s, s), (width * s - s, h * s - s), (30, 30, 30), max(2, s))
    digits, tail = f"{int(rng.integers(10, 999)):d}", f"{int(rng.integers(0, 9999)):04d}"
    scale = h * s / 34.0
    thick = max(2, round(scale * 2.2))
    (tw, th), _ = cv2.getTextSize(digits + "  " + tail, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    x, y = max(s * 3, (width * s - tw) // 2), (h * s + th) // 2
    cv2.putText(big, digits, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (25, 25, 25), thick, cv2.LINE_AA)
    (dw, _), _ = cv2.getTextSize(digits, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    gx, g = x + dw + int(scale * 6), int(th * 0.9)  # a stand-in for the Hangul syllable
    cv2.line(big, (gx, y - g), (gx + g // 2, y - g), (25, 25, 25), thick)
    cv2.line(big, (gx + g // 2, y - g), (gx + g // 4, y), (25, 25, 25), thick)
    cv2.line(big, (gx + int(g * 0.75), y - g), (gx + int(g * 0.75), y), (25, 25, 25), thick)
    cv2.putText(big, tail, (gx + int(g * 1.3), y), cv2.FONT_HERSHEY_SIMPLEX, scale, (25, 25, 25), thick,
                cv2.LINE_AA)
    return cv2.resize(big, (width, h), interpolation=cv2.INTER_AREA)


def car_with_plate(frame: Image, x: int, y: int, plate_w: int, rng: np.random.Generator) -> tuple[Rect, Rect]:
    cw = int(plate_w * 3.5)
    ch = int(cw * 0.62)
    colour = tuple(int(c) for c in rng.choice([[40, 40, 40], [200, 200, 205], [30, 30, 140], [140, 90, 40]]))
    cv2.rectangle(frame, (x, y + ch // 3), (x + cw, y + ch), colour, -1)
    cv2.rectangle(frame, (x + cw // 8, y), (x + cw - cw // 8, y + ch // 3), colour, -1)
    cv2.rectangle(frame, (x + cw // 6, y + ch // 20), (x + cw - cw // 6, y + ch // 3 - 2), (60, 55, 50), -1)
    plate = plate_image(plate_w, rng)
    ph = plate.shape[0]
    px, py = x + (cw - plate_w) // 2, y + int(ch * 0.68)
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(0, px), max(0, py), min(fw, px + plate_w), min(fh, py + ph)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = plate[y0 - py:y1 - py, x0 - px:x1 - px]
    return (x, y, cw, ch), (px, py, plate_w, ph)


def overlays(frame: Image, index: int) -> list[Rect]:
    """The camera's own overlays: a time stamp (top left) and its label (bottom right)."""
    stamp = f"2026-11-20 08:{index // 60 % 60:02d}:{index % 60:02d}"
    drawn = []
    for text, (x, y), scale in ((stamp, (16, 40), 1.0), ("CAM-07 GANGNAM-DAERO 3", (W - 470, H - 20), 0.8)):
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        cv2.putText(frame, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 5, cv2.LINE_AA)
        cv2.putText(frame, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA)
        drawn.append((x - 6, y - th - 8, tw + 12, th + base + 14))
    return drawn


def degrade(frame: Image, rng: np.random.Generator) -> Image:
    if rng.random() < 0.25:
        grey = cv2.convertScaleAbs(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), alpha=1.2, beta=-20)
        frame = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    frame = cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(0.3, 1.2)))
    frame = np.clip(frame + rng.normal(0, float(rng.uniform(3, 9)), frame.shape), 0, 255).astype(np.uint8)
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 76))])
    assert ok
    return cv2.imdecode(buffer, cv2.IMREAD_COLOR)


def _overlaps(a: Rect, b: Rect, margin: float = 6) -> bool:
    return not (a[0] + a[2] + margin < b[0] or b[0] + b[2] + margin < a[0]
                or a[1] + a[3] + margin < b[1] or b[1] + b[3] + margin < a[1])


def still_frame(index: int, band: int | None, rng: np.random.Generator, faces: list[dict[str, Any]],
                distractors: list[Image], tex: list[Image]) -> tuple[Image, Truth]:
    frame = background(rng, tex)
    truth = Truth(zones=list(ZONES_PX))
    taken: list[Rect] = list(ZONES_PX)
    for _ in range(int(rng.integers(2, 4))):
        pw = int(rng.choice(PLATE_WIDTHS))
        for _attempt in range(30):
            cw, ch = int(pw * 3.5), int(pw * 3.5 * 0.62)
            top = H - 60 - int(0.68 * ch + pw / 4.7 + 12)
            x, y = int(rng.integers(0, W - cw)), int(rng.integers(min(int(H * 0.35), top - 1), top))
            if not any(_overlaps((x, y, cw, ch), t) for t in taken):
                car, plate = car_with_plate(frame, x, y, pw, rng)
                taken.append(car)
                truth.plates.append({"box": plate, "width": pw, "visible": True})
                break
    for _ in range(int(rng.integers(3, 7))):
        tile = distractors[int(rng.integers(len(distractors)))]
        s = int(rng.choice(BANDS))
        x, y = int(rng.integers(0, W - s)), int(rng.integers(60, H - s - 60))
        if not any(_overlaps((x, y, s, s), t) for t in taken):
            frame[y:y + s, x:x + s] = cv2.resize(tile, (s, s), interpolation=cv2.INTER_LINEAR)
    if band is not None:
        for _ in range(FACES_PER_FRAME[band]):
            src = faces[int(rng.integers(2))] if rng.random() < 0.5 else faces[2 + int(rng.integers(100))]
            patch, alpha, (bx, by, bw, bh), tag = face_patch(src, band, rng)
            for _attempt in range(60):
                x = int(rng.integers(0, W - patch.shape[1]))
                y = int(rng.integers(60, H - patch.shape[0] - 55))
                if not any(_overlaps((x, y, patch.shape[1], patch.shape[0]), t, 0) for t in taken):
                    paste(frame, patch, alpha, x, y)
                    taken.append((x, y, patch.shape[1], patch.shape[0]))
                    truth.faces.append({"box": (x + bx, y + by, bw, bh), "band": band, "source": src["name"],
                                        "aug": tag, "visible": True})
                    break
    overlays(frame, index)
    return degrade(frame, rng), truth


def still_frames(per_band: int = 12, face_free: int = 20, seed: int = 20261120,
                 bands: tuple[int, ...] = BANDS) -> Iterator[tuple[Image, Truth]]:
    """The still-frame set: ``per_band`` frames of each face height, then ``face_free`` frames."""
    rng = np.random.default_rng(seed)
    faces, distractors, tex = face_sources(), non_faces(), textures()
    plan: list[int | None] = [b for b in bands for _ in range(per_band)] + [None] * face_free
    for index, band in enumerate(plan):
        yield still_frame(index, band, rng, faces, distractors, tex)


def _hidden(box: Rect, covers: list[Rect]) -> float:
    area = box[2] * box[3]
    total = 0.0
    for c in covers:
        ix = max(0.0, min(box[0] + box[2], c[0] + c[2]) - max(box[0], c[0]))
        iy = max(0.0, min(box[1] + box[3], c[1] + c[3]) - max(box[1], c[1]))
        total += ix * iy
    return total / area if area else 1.0


def moving_clip(path: Path, seconds: float, *, fps: int = 15, seed: int = 7,
                cast: tuple[tuple[int, int], ...] = ((24, 0), (24, 5), (32, 1), (32, 30), (48, 0), (48, 60),
                                                      (64, 1), (64, 9), (96, 0), (128, 1)),
                plates: tuple[int, ...] = (72, 96, 128), keep_truth: bool = True) -> list[Truth]:
    """A 1280x720 H.264 clip of a fixed camera: people (face height, source index) walking,
    cars driving, a ticking time stamp; the truth of each frame (if ``keep_truth``)."""
    rng = np.random.default_rng(seed)
    faces = face_sources()
    still = background(rng, textures())
    people = []
    for k, (size, source) in enumerate(cast):
        patch, alpha, box, _ = face_patch(faces[source], size, np.random.default_rng(k + 3))
        people.append({"patch": patch, "alpha": alpha, "box": box,
                       "x": float(rng.uniform(0, W - patch.shape[1])),
                       "y": float(rng.integers(80, H - patch.shape[0] - 70)),
                       "vx": float(rng.choice([-1, 1]) * rng.uniform(1, 4)),
                       "vy": float(rng.uniform(-0.5, 0.5)),
                       "size": size, "source": faces[source]["name"]})
    cars = [{"pw": pw, "x": float(rng.uniform(0, 700)), "y": (215, 330, 395)[k % 3],
             "vx": float(rng.choice([-1, 1]) * rng.uniform(2, 6)), "seed": k} for k, pw in enumerate(plates)]
    truths: list[Truth] = []
    frames = round(seconds * fps)
    with H264Writer(path, W, H, Fraction(fps)) as writer:
        for i in range(frames):
            frame = still.copy()
            truth = Truth(zones=list(ZONES_PX))
            car_rects = []
            for car in cars:
                cw = int(car["pw"] * 3.5)
                car["x"] += car["vx"]
                if car["x"] < -cw * 0.5 or car["x"] > W - cw * 0.5:
                    car["vx"] = -car["vx"]
                body, plate = car_with_plate(frame, int(car["x"]), car["y"], car["pw"],
                                             np.random.default_rng(car["seed"]))
                car_rects.append(body)
                truth.plates.append({"box": plate, "width": car["pw"], "visible": True})
            rects = []
            for p in people:
                p["x"] += p["vx"]
                p["y"] += p["vy"]
                ph, pw = p["patch"].shape[:2]
                if p["x"] < 0 or p["x"] > W - pw:
                    p["vx"] = -p["vx"]
                if p["y"] < 70 or p["y"] > H - ph - 60:
                    p["vy"] = -p["vy"]
                x, y = int(p["x"]), int(p["y"])
                paste(frame, p["patch"], p["alpha"], x, y)
                bx, by, bw, bh = p["box"]
                truth.faces.append({"box": (x + bx, y + by, bw, bh), "band": p["size"],
                                    "source": p["source"]})
                rects.append((x, y, pw, ph))
            for n, face in enumerate(truth.faces):  # hidden behind someone pasted later?
                face["visible"] = _hidden(face["box"], rects[n + 1:]) < 0.3
            for n, plate in enumerate(truth.plates):
                inside = 1 - _hidden(plate["box"], [(-1e6, -1e6, 1e6, 3e6), (W, -1e6, 1e6, 3e6)])
                plate["visible"] = inside >= 0.9 and _hidden(plate["box"], car_rects[n + 1:] + rects) < 0.3
            overlays(frame, i // fps)
            frame = np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8)
            writer.write(frame)
            if keep_truth:
                truths.append(truth)
    return truths


# scoring -------------------------------------------------------------------------------------

def intersection(a: Rect, b: Rect) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


def covered(truth: Rect, masks: list[Rect], padding: float = 0.15, share: float = 0.7) -> bool:
    """Masked: one applied box (grown by the masking padding) covers ``share`` of it."""
    best = 0.0
    for m in masks:
        dx, dy = m[2] * padding, m[3] * padding
        best = max(best, intersection(truth, (m[0] - dx, m[1] - dy, m[2] + 2 * dx, m[3] + 2 * dy)))
    return best >= share * truth[2] * truth[3]


def found(truth: Rect, boxes: list[Rect]) -> bool:
    """Still frames: a detection with IoU >= 0.3, or covering >= 60 % of it at <= 4x its area."""
    area = truth[2] * truth[3]
    for b in boxes:
        inter = intersection(truth, b)
        union = area + b[2] * b[3] - inter
        if (union and inter / union >= 0.3) or (inter >= 0.6 * area and b[2] * b[3] <= 4 * area):
            return True
    return False


def mad(a: Image, b: Image) -> float:
    """Mean absolute difference, in grey levels."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def sharpness(image: Image) -> float:
    """Laplacian variance: edge energy, which a face has and a masked patch does not."""
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
