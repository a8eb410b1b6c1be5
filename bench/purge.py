"""One purge run over N expired clips vs deleting N plain files.

Ingests N small clips (default 100,000) with windows that ended 31 days ago into a fresh
embedded deployment (SQLite event store, read model and keystore; filesystem blobs), then times
one ``run_purge``: plan from the read model, shred keys, delete blobs, record ``Clip.Purged``,
project. Baseline in the same run: unlinking N plain files of the same size in a fan-out tree.

    python bench/purge.py [--clips 100000] [--size 1024]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broker.adapters.vault.kek import init_keyfile
from broker.application.actors import Actor
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.config import Settings
from broker.domain.camera import CameraSpec

SHELL = Actor.shell()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=1024, help="plaintext bytes per clip")
    args = parser.parse_args()
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    body = os.urandom(args.size)

    with tempfile.TemporaryDirectory(prefix="bench-purge-") as tmp:
        root = Path(tmp)
        init_keyfile(root / "keys")
        broker = build(Settings(data_dir=root / "var", keys_dir=root / "keys"), FixedClock(now))
        try:
            camera_id, _ = broker.cameras.upsert(SHELL, [CameraSpec(
                key="bench", name="bench", agency="bench", purpose="생활방범",
                purpose_category="crime_prevention", address="", lat=36.35, lon=127.38,
                coverage_m=50, retention_days=30)])[0]
            started = time.perf_counter()
            for i in range(args.clips):
                end = now - timedelta(days=31, seconds=i)
                broker.clips.ingest(SHELL, camera_id=camera_id, start=end - timedelta(seconds=1),
                                       end=end, chunks=[body])
            ingest_seconds = time.perf_counter() - started
            rss_before = rss_mib()
            started = time.perf_counter()
            report = broker.sweeps.purge()
            purge_seconds = time.perf_counter() - started
            rss_after = rss_mib()
            assert report.purged == args.clips, report.purged
            assert not any(True for _ in broker.vault.blobs.iter_ids())
        finally:
            broker.close()

        plain = root / "plain"
        paths = []
        for _ in range(args.clips):
            name = uuid4().hex
            directory = plain / name[:2] / name[2:4]
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / name
            path.write_bytes(body)
            paths.append(path)
        started = time.perf_counter()
        for path in paths:
            path.unlink()
        baseline_seconds = time.perf_counter() - started

    purge_rate = args.clips / purge_seconds
    baseline_rate = args.clips / baseline_seconds
    print(f"clips: {args.clips} count")
    print(f"ingest (setup): {args.clips / ingest_seconds:.0f} clips/s")
    print(f"purge: {purge_rate:.0f} clips/s")
    print(f"baseline plain file deletes: {baseline_rate:.0f} files/s")
    print(f"ratio purge / plain deletes: {purge_rate / baseline_rate:.3f}")
    print(f"peak rss before purge: {rss_before:.0f} MiB")
    print(f"peak rss after purge: {rss_after:.0f} MiB")


if __name__ == "__main__":
    main()
