"""Radius queries on the camera index vs a brute-force scan of the same table.

Builds N cameras (default 1,000,000) spread over South Korea into the read model of a fresh
embedded deployment (SQLite), then times radius queries through ``cameras_near`` (R*Tree probe
+ exact haversine) and, as the baseline, the same question answered by a full scan of the same
table (haversine over every row in SQL). Rows are bulk-inserted with the projector's own box
function: building a million aggregates through the event store would time the event store,
which is not what this benchmark is about.

    python bench/cameras.py [--cameras 1000000] [--queries 10000] [--radius 200]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from broker.adapters.vault.kek import init_keyfile
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.common.geo import haversine_m
from broker.config import Settings
from broker.readmodel.camera_view import _box_values, cameras_near
from broker.readmodel.tables import cameras

# South Korea's mainland, roughly; cities are denser than the countryside.
KOREA = (34.3, 38.3, 126.1, 129.4)
CITIES = [(37.5665, 126.978), (35.1796, 129.0756), (36.3504, 127.3845), (35.8714, 128.6014),
          (37.4563, 126.7052), (35.1595, 126.8526), (35.5384, 129.3114)]


def positions(rng: random.Random, n: int):
    for _ in range(n):
        if rng.random() < 0.7:
            lat0, lon0 = rng.choice(CITIES)
            yield lat0 + rng.gauss(0, 0.08), lon0 + rng.gauss(0, 0.1)
        else:
            yield rng.uniform(KOREA[0], KOREA[1]), rng.uniform(KOREA[2], KOREA[3])


def build_rows(broker, n: int, rng: random.Random) -> float:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    batch: list[dict] = []
    with broker.readmodel.writer.begin() as conn:
        for i, (lat, lon) in enumerate(positions(rng, n)):
            coverage = 2000.0 if i % 5000 == 0 else 50.0
            batch.append(dict(
                row_id=i + 1, id=f"{i:036d}", key=f"bench:{i}", name=f"cam {i}", agency="bench",
                purpose="생활방범", purpose_category="crime_prevention", address="",
                lat=lat, lon=lon, coverage_m=coverage, retention_days=30, installed=None,
                status="active", registered_at=now, updated_at=now,
                **_box_values(lat, lon, coverage)))
            if len(batch) == 20_000:
                flush(conn, batch)
                batch = []
        flush(conn, batch)
    return time.perf_counter() - started


def flush(conn, batch: list[dict]) -> None:
    if not batch:
        return
    conn.execute(insert(cameras), batch)
    conn.execute(
        text("INSERT INTO camera_rtree VALUES (:row_id, :min_lat, :max_lat, :min_lon, :max_lon)"),
        [{k: row[k] for k in ("row_id", "min_lat", "max_lat", "min_lon", "max_lon")}
         for row in batch],
    )


def brute_force(conn, lat: float, lon: float, radius: float) -> list[str]:
    rows = conn.execute(text("SELECT id, lat, lon, coverage_m FROM cameras WHERE status='active'"))
    hits = []
    for camera_id, clat, clon, coverage in rows:
        distance = haversine_m(lat, lon, clat, clon)
        if distance <= radius + coverage:
            hits.append((distance, camera_id))
    return [camera_id for _, camera_id in sorted(hits)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--baseline-queries", type=int, default=20,
                        help="full scans are slow; this many are timed for the baseline")
    parser.add_argument("--radius", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=4288)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="bench-cameras-") as tmp:
        init_keyfile(Path(tmp) / "keys")
        broker = build(Settings(data_dir=Path(tmp) / "var", keys_dir=Path(tmp) / "keys"),
                       FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
        try:
            seconds = build_rows(broker, args.cameras, rng)
            print(f"cameras: {args.cameras} count")
            print(f"build: {args.cameras / seconds:.0f} cameras/s")
            queries = list(positions(rng, args.queries))
            timings: list[float] = []
            found = 0
            with broker.readmodel.reader.connect() as conn:
                for lat, lon in queries:
                    started = time.perf_counter()
                    hits = cameras_near(conn, lat, lon, args.radius)
                    timings.append(time.perf_counter() - started)
                    found += len(hits)
                baseline: list[float] = []
                for lat, lon in queries[: args.baseline_queries]:
                    started = time.perf_counter()
                    expected = brute_force(conn, lat, lon, args.radius)
                    baseline.append(time.perf_counter() - started)
                    got = [hit.row["id"] for hit in cameras_near(conn, lat, lon, args.radius)]
                    if got != expected:
                        raise SystemExit(f"index and brute force disagree at {lat},{lon}")
        finally:
            broker.close()

    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    b50 = statistics.median(baseline)
    print(f"radius: {args.radius:g} m")
    print(f"mean hits per query: {found / len(queries):.2f} cameras")
    print(f"index p50: {p50 * 1000:.3f} ms")
    print(f"index p99: {p99 * 1000:.3f} ms")
    print(f"brute force p50: {b50 * 1000:.1f} ms")
    print(f"ratio brute force p50 / index p50: {b50 / p50:.0f}")
    print(f"peak rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"agreement with brute force: {len(baseline)} of {len(baseline)} queries")


if __name__ == "__main__":
    main()
