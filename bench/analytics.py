"""Coverage analytics over a city's history vs a plain count of the same rows.

Builds a fresh embedded deployment (SQLite), then writes N requests (default 1,000,000) into
``analytics_requests`` and M cameras (default 20,000, a few of them drone stations) into
``cameras``, as the projection would leave them: a city of ~30 km across where most requests
fall near cameras and some in districts no camera reaches. Recording a million requests
through the event store would time the event store, sealing and the projection, which is not
what this benchmark is about (bench/requests.py times those). Then times the whole coverage
report (the grouped count, suppression, coverage, blind spots with their nearest camera, idle
cameras, drone reach) for a year at 250 m and at 1 km, its GeoJSON rendering, and the
transparency report's public coverage (blind-spot count, requests by district); the baseline
is ``SELECT count(*)`` over the same year of the same table.

    python bench/analytics.py [--requests 1000000] [--cameras 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from broker.adapters.vault.kek import init_keyfile
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.common.grid import fine_cell
from broker.config import Settings
from broker.readmodel.camera_view import _box_values
from broker.readmodel.coverage import CoverageQuery, coverage_report, to_geojson
from broker.readmodel.public_coverage import public_coverage
from broker.readmodel.tables import analytics_camera_use, analytics_requests, cameras

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CENTRE = (36.35, 127.39)
SPREAD = (0.13, 0.16)  # degrees: about 29 km by 29 km
BASES = (("crime_investigation", "police", 0.7), ("imminent_danger", "fire", 0.15),
         ("imminent_danger", "disaster", 0.05), ("court_proceedings", "privacy_officer", 0.03),
         ("data_subject_access", "citizen_portal", 0.07))


def write_cameras(conn, rng: random.Random, count: int) -> list[tuple[float, float]]:
    sites, rows = [], []
    for i in range(count):
        lat = CENTRE[0] + rng.gauss(0, SPREAD[0] / 3)
        lon = CENTRE[1] + rng.gauss(0, SPREAD[1] / 3)
        drone = i % 4000 == 0
        coverage = 2000.0 if drone else 50.0
        sites.append((lat, lon))
        rows.append(dict(
            row_id=i + 1, id=f"{i:036d}", key=f"bench:{i}", name=f"cam {i}",
            agency="대전광역시 서구청", purpose="드론" if drone else "생활방범",
            purpose_category="drone" if drone else "crime_prevention",
            address=f"대전광역시 서구 둔산동 {i}", lat=lat, lon=lon, coverage_m=coverage,
            retention_days=30, installed=None, status="active", registered_at=NOW,
            updated_at=NOW, **_box_values(lat, lon, coverage)))
    conn.execute(insert(cameras), rows)
    conn.execute(text("INSERT INTO camera_rtree VALUES (:row_id, :min_lat, :max_lat, :min_lon, "
                      ":max_lon)"),
                 [{k: row[k] for k in ("row_id", "min_lat", "max_lat", "min_lon", "max_lon")}
                  for row in rows])
    used = [{"camera_id": row["id"], "requests": 3, "last_requested_at": NOW - timedelta(days=2)}
            for row in rows[::3]]
    conn.execute(insert(analytics_camera_use), used)
    return sites


def write_requests(conn, rng: random.Random, count: int, sites: list[tuple[float, float]]) -> None:
    # a few districts that no camera serves: the blind spots the report should find
    hollows = [(CENTRE[0] + rng.uniform(-0.1, 0.1), CENTRE[1] + rng.uniform(-0.12, 0.12))
               for _ in range(40)]
    weights = [w for _, _, w in BASES]
    batch = []
    for i in range(count):
        if rng.random() < 0.85:
            lat, lon = rng.choice(sites)
            lat, lon = lat + rng.gauss(0, 0.002), lon + rng.gauss(0, 0.002)
        else:
            lat, lon = rng.choice(hollows)
            lat, lon = lat + rng.gauss(0, 0.004), lon + rng.gauss(0, 0.004)
        basis, kind, _ = rng.choices(BASES, weights)[0]
        row, column = fine_cell(lat, lon) if rng.random() > 0.03 else (None, None)  # erased
        batch.append({"request_id": f"{i:036d}", "position": i + 1,
                      "submitted_at": NOW - timedelta(seconds=rng.uniform(0, 360 * 86400)),
                      "legal_basis": basis, "agency_kind": kind,
                      "outcome": rng.choice(("granted", "granted", "denied", "pending_review")),
                      "no_camera": int(rng.random() < 0.1), "superseded": int(rng.random() < 0.01),
                      "cell_row": row, "cell_column": column})
        if len(batch) == 50_000:
            conn.execute(insert(analytics_requests), batch)
            batch = []
    if batch:
        conn.execute(insert(analytics_requests), batch)


def timed(function, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--cameras", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    year = CoverageQuery(start=NOW - timedelta(days=365), end=NOW)

    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        init_keyfile(Path(tmp) / "keys")
        broker = build(Settings(data_dir=Path(tmp) / "var", keys_dir=Path(tmp) / "keys"),
                       FixedClock(NOW))
        try:
            started = time.perf_counter()
            with broker.readmodel.writer.begin() as conn:
                sites = write_cameras(conn, rng, args.cameras)
                write_requests(conn, rng, args.requests, sites)
            with broker.readmodel.writer.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
            print(f"requests: {args.requests} count")
            print(f"cameras: {args.cameras} count")
            print(f"build: {time.perf_counter() - started:.1f} s")
            with broker.readmodel.reader.connect() as conn:
                r = analytics_requests.c
                plain = select(func.count()).select_from(analytics_requests).where(
                    r.submitted_at >= year.start, r.submitted_at < year.end)
                baseline, total = timed(lambda: conn.execute(plain).scalar_one(), args.repeat)
                fine, report = timed(lambda: coverage_report(conn, year, NOW), args.repeat)
                coarse_query = CoverageQuery(start=year.start, end=year.end, cell_m=1000)
                coarse, coarse_report = timed(lambda: coverage_report(conn, coarse_query, NOW),
                                              args.repeat)
                rendering, geojson = timed(lambda: json.dumps(to_geojson(report)), args.repeat)
                public, published = timed(lambda: public_coverage(conn, year.start, year.end),
                                          args.repeat)
        finally:
            broker.close()

    assert isinstance(report, dict) and isinstance(coarse_report, dict)
    assert isinstance(geojson, str) and isinstance(published, dict)
    print(f"requests in the year: {total} count")
    print(f"listed cells at 250 m: {len(report['cells'])} count")
    print(f"suppressed cells at 250 m: {report['suppressed_cells']} count")
    print(f"blind spots at 250 m: {report['blind_spots']['count']} count")
    print(f"blind spots at 1 km: {coarse_report['blind_spots']['count']} count")
    print(f"idle cameras: {report['idle_cameras']['count']} count")
    print(f"coverage analytics: {fine:.2f} s")
    print(f"coverage analytics at 1 km: {coarse:.2f} s")
    print(f"public coverage (transparency report): {public:.2f} s, "
          f"{len(published['requests_by_district'])} districts listed")
    print(f"geojson rendering: {rendering:.2f} s ({len(geojson) / 2**20:.1f} MiB)")
    print(f"baseline plain count over the same year: {baseline:.2f} s")
    print(f"ratio coverage analytics / plain count: {fine / baseline:.1f}")
    print(f"peak rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
