"""Masking throughput end to end, and the detectors' quality on the whole labelled set.

Makes a 1280x720, 15 fps H.264 clip of a fixed street camera (default 60 s: people walking with
faces of 24-128 px, cars with plates, a ticking time stamp; tests/redaction/scene.py), then, each
in a fresh process so peak RSS is that run's own:

- baseline: the same decode (PyAV) and H.264 encode (the broker's H264Writer), no detection;
- masking: what the redaction job and the render do for this clip, the product's own code:
  the detection pass (decode, CenterFace + PP-OCR on keyframes in two worker threads, motion
  fallback, tracking) and then the render pass (decode, blur, encode).

Prints ``masking: N frames/s`` (frames / the two passes' wall time), the ratio to the
baseline measured in the same run, peak RSS for the clip and for a clip a third as long (flat in
clip length?), then recall and false positives per size band: still frames (one detection, no
help from video) and every frame of the clip (the boxes the render applies, after tracking).
The 2 cores are shared: the load average at start and end is printed with the figures.

    python bench/masking.py [--seconds 60] [--stills 12]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = Path(os.environ.get("BROKER_MODELS_DIR", ROOT / ".models"))


def child(mode: str, clip: Path) -> None:
    """One measured run in this process; prints one JSON line."""
    from broker.adapters.redaction.engine import Corrections, RedactionEngine
    from broker.adapters.redaction.models import locate
    from broker.adapters.video import H264Writer, VideoReader, probe
    from tests.redaction import quality

    info = probe(clip)
    out = clip.with_name(f"{mode}-{clip.stem}.mp4")
    result: dict[str, object] = {"frames": info.frames}
    if mode == "baseline":
        started = time.perf_counter()
        with VideoReader(clip) as reader, H264Writer(out, info.width, info.height, info.fps) as writer:
            for frame in reader.frames():
                writer.write(frame.image)
        result["seconds"] = time.perf_counter() - started
    else:
        engine = RedactionEngine(locate(MODELS))
        started = time.perf_counter()
        draft = engine.detect(clip, clip_id="bench", source_sha256="", zones=quality.ZONES,
                              total_frames=info.frames)
        detected = time.perf_counter()
        engine.render(clip, draft, Corrections(), out)
        done = time.perf_counter()
        result.update(seconds=done - started, detect_seconds=detected - started,
                      render_seconds=done - detected, draft=draft.to_bytes().hex())
    times = os.times()
    result["cpu_seconds"] = times.user + times.system
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(mode: str, clip: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(clip)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--stills", type=int, default=12, help="still frames per face size band")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "CLIP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    from broker.adapters.redaction.engine import Draft, RedactionEngine
    from broker.adapters.redaction.models import locate
    from tests.redaction import quality, scene

    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-masking-") as tmp:
        long_clip, short_clip = Path(tmp) / "long.mp4", Path(tmp) / "short.mp4"
        truths = scene.moving_clip(long_clip, args.seconds)
        scene.moving_clip(short_clip, args.seconds / 3, keep_truth=False)
        baseline = measure("baseline", long_clip)
        masking = measure("masking", long_clip)
        short = measure("masking", short_clip)
        load_end = os.getloadavg()[0]
        frames = masking["frames"]
        fps, base_fps = frames / masking["seconds"], frames / baseline["seconds"]
        print(f"clip: {frames} frames 1280x720 at 15 fps ({args.seconds:g} s)")
        print(f"load average at start: {load_start:.2f}")
        print(f"decode+encode only: {base_fps:.1f} frames/s")
        print(f"masking: {fps:.1f} frames/s")
        print(f"ratio masking / decode+encode only: {fps / base_fps:.2f}")
        print(f"masking detection pass: {frames / masking['detect_seconds']:.1f} frames/s")
        print(f"masking render pass: {frames / masking['render_seconds']:.1f} frames/s")
        print(f"masking cpu: {1000 * masking['cpu_seconds'] / frames:.1f} ms/frame")
        print(f"decode+encode cpu: {1000 * baseline['cpu_seconds'] / frames:.1f} ms/frame")
        print(f"masking peak rss: {masking['peak_rss_mib']:.0f} MiB")
        print(f"masking peak rss, clip of {args.seconds / 3:g} s: {short['peak_rss_mib']:.0f} MiB")
        print(f"decode+encode peak rss: {baseline['peak_rss_mib']:.0f} MiB")
        print(f"load average at end: {load_end:.2f}")

        draft = Draft.from_bytes(bytes.fromhex(masking["draft"]))
        faces, plates = quality.score_draft(draft, truths)
        bands = [str(b) for b in (24, 32, 48, 64, 96, 128)]
        for band in bands:
            print(f"clip face recall {band} px: {faces.recall(band):.3f} ({faces.totals[band]} face-frames)")
        print(f"clip face recall >= 24 px: {faces.recall(*bands):.3f} ({sum(faces.totals[b] for b in bands)} "
              "face-frames)")
        widths = sorted(plates.totals, key=int)
        print(f"clip plate recall: {plates.recall(*widths):.3f} ({sum(plates.totals.values())} plate-frames)")
        print(f"clip boxes inside overlay zones: {faces.zone_boxes + plates.zone_boxes} boxes")
        print(f"clip detections dropped at overlay zones: {draft.zone_drops} boxes")

    engine = RedactionEngine(locate(MODELS))
    frames_set = list(scene.still_frames(per_band=args.stills, face_free=max(4, args.stills)))
    faces, plates = quality.still_frames(engine.face, engine.plate, frames_set)
    for band in scene.BANDS:
        print(f"still face recall {band} px: {faces.recall(str(band)):.3f} ({faces.totals[str(band)]} faces)")
    at24 = [str(b) for b in scene.BANDS if b >= 24]
    print(f"still face recall >= 24 px: {faces.recall(*at24):.3f}")
    print(f"still face false positives: {faces.false_positives / max(1, faces.face_free_frames):.2f} "
          f"boxes per face-free frame ({faces.face_free_frames} frames)")
    for width in scene.PLATE_WIDTHS:
        print(f"still plate recall {width} px wide: {plates.recall(str(width)):.3f} "
              f"({plates.totals[str(width)]} plates)")
    print(f"still plate recall: {plates.recall(*[str(w) for w in scene.PLATE_WIDTHS]):.3f}")
    print(f"still plate false positives: {plates.false_positives / len(frames_set):.2f} boxes per frame")
    print(f"still detections touching overlay zones (dropped): {faces.zone_hits + plates.zone_hits} boxes")
    print(f"still boxes inside overlay zones: {faces.zone_boxes + plates.zone_boxes} boxes")


if __name__ == "__main__":
    main()
