"""Audit queries and full-chain verification over N events, vs an unindexed scan.

Generates N events through the application (default 1,000,000): footage requests from several
agencies over a city of cameras, each granted and then viewed many times (views saved in
batches, one transaction per request). Then times 1,000 filtered audit queries (camera, agency,
event type, legal basis, time range; first page of 100) and one full verification of the Merkle
chain from the event store. Baseline in the same run: the same filters with plain ``sqlite3``
over a copy of the same tables without any index.

    python bench/audit.py [--events 1000000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broker.adapters.vault.kek import init_keyfile
from broker.application import audit_chain as audit
from broker.application.actors import Actor
from broker.application.requests import judged_request
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.config import Settings
from broker.domain.camera import CameraSpec
from broker.policy import EvaluationRequest, GeoPoint, Requester, TimeWindow
from broker.readmodel.audit_query import AuditFilter, query_events

SHELL = Actor.shell()

CENTRE = (36.3504, 127.3845)
AGENCIES = ["대전경찰청", "대전둔산경찰서", "대전중부경찰서", "대전동부경찰서", "대전서부경찰서",
            "대전유성경찰서", "대전대덕경찰서"]
VIEWS_PER_REQUEST = 97


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def generate(broker, clock: FixedClock, events: int, rng: random.Random) -> tuple[list[str], list[dict]]:
    cameras = []
    specs = [CameraSpec(key=f"bench-{i}", name=f"cam {i}", agency="대전광역시", purpose="생활방범",
                        purpose_category="crime_prevention", address="",
                        lat=CENTRE[0] + rng.uniform(-0.03, 0.03), lon=CENTRE[1] + rng.uniform(-0.03, 0.03),
                        coverage_m=50, retention_days=30) for i in range(2000)]
    cameras = [str(camera_id) for camera_id, _ in broker.cameras.upsert(SHELL, specs)]
    clients = []
    for agency in AGENCIES:
        client_id, _ = broker.clients.register(SHELL, name=f"{agency} 112", role="police", agency=agency)
        clients.append({"client_id": str(client_id), "agency": agency})
    produced = broker.app.recorder.max_notification_id() or 0
    while produced < events:
        clock.advance(timedelta(minutes=7))
        client = rng.choice(clients)
        spec = rng.choice(specs)
        now = clock.now()
        request = EvaluationRequest(
            requester=Requester(role="police", client_id=client["client_id"], agency=client["agency"]),
            legal_basis="crime_investigation", mode="recorded", radius_m=200,
            window=TimeWindow(start=now - timedelta(hours=3), end=now - timedelta(hours=1)),
            incident_reference=f"112-{produced}", incident_kind="theft",
            incident_location=GeoPoint(lat=spec.lat, lon=spec.lon),
            occurred_at=now - timedelta(hours=2), purpose="identify the suspect")
        footage_request, key = judged_request(broker.ctx, request, {})
        grant = footage_request.grant
        if grant is not None:
            views = min(VIEWS_PER_REQUEST, events - produced - 3)
            for _ in range(max(0, views)):
                footage_request.record_view(rng.choice(cameras), None, client["client_id"], at=now)
        broker.app.record(footage_request, keys=[key])
        produced = broker.app.recorder.max_notification_id() or 0
        if produced % 50_000 < VIEWS_PER_REQUEST + 3:
            broker.projector.catch_up()
    broker.projector.catch_up()
    return cameras, clients


def random_filter(rng: random.Random, cameras: list[str], clients: list[dict],
                  first: datetime, last: datetime) -> AuditFilter:
    span = (last - first).total_seconds()
    start = first + timedelta(seconds=rng.uniform(0, span))
    kind = rng.randrange(5)
    week = timedelta(days=7)
    if kind == 0:
        return AuditFilter(camera_id=rng.choice(cameras), event_type="FootageRequest.Viewed",
                           start=start, end=start + week)
    if kind == 1:
        return AuditFilter(agency=rng.choice(clients)["agency"], start=start, end=start + week)
    if kind == 2:
        return AuditFilter(event_type=rng.choice(["FootageRequest.Granted", "FootageRequest.Submitted",
                                                  "Camera.Registered"]))
    if kind == 3:
        return AuditFilter(legal_basis="crime_investigation", start=start, end=start + timedelta(days=1))
    return AuditFilter(client_id=rng.choice(clients)["client_id"], camera_id=rng.choice(cameras))


def baseline_sql(flt: AuditFilter) -> tuple[str, list]:
    where, params = [], []
    join = ""
    if flt.camera_id:
        join = " JOIN audit_event_cameras c ON c.position = e.position"
        where.append("c.camera_id = ?")
        params.append(flt.camera_id)
    for column, value in (("actor_agency", flt.agency), ("actor_client_id", flt.client_id),
                          ("event_type", flt.event_type), ("legal_basis", flt.legal_basis)):
        if value is not None:
            where.append(f"e.{column} = ?")
            params.append(value)
    if flt.start:
        where.append("e.at >= ?")
        params.append(flt.start.strftime("%Y-%m-%d %H:%M:%S.%f"))
    if flt.end:
        where.append("e.at < ?")
        params.append(flt.end.strftime("%Y-%m-%d %H:%M:%S.%f"))
    sql = f"SELECT e.* FROM audit_events e{join}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY e.position LIMIT 101", params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--baseline-queries", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(4288)
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        root = Path(tmp)
        init_keyfile(root / "keys")
        broker = build(Settings(data_dir=root / "var", keys_dir=root / "keys",
                                scheduler_enabled=False), clock)
        try:
            started = time.perf_counter()
            cameras, clients = generate(broker, clock, args.events, rng)
            generate_seconds = time.perf_counter() - started
            total = broker.app.recorder.max_notification_id() or 0
            first, last = datetime(2026, 1, 1, tzinfo=UTC), clock.now()
            filters = [random_filter(rng, cameras, clients, first, last) for _ in range(args.queries)]
            timings, hits = [], 0
            with broker.readmodel.reader.connect() as conn:
                for flt in filters:
                    began = time.perf_counter()
                    items, _ = query_events(conn, flt, limit=100)
                    timings.append(time.perf_counter() - began)
                    hits += len(items)
            audit.checkpoint(broker.ctx)
            began = time.perf_counter()
            report = audit.verify_chain(broker.ctx)
            verify_seconds = time.perf_counter() - began
            if not report.ok:
                raise SystemExit(f"verification failed: {report.reason}")
        finally:
            broker.close()

        source = root / "var" / "readmodel.db"
        plain = root / "plain.db"
        with sqlite3.connect(plain) as conn:
            conn.execute("ATTACH DATABASE ? AS src", (str(source),))
            conn.execute("CREATE TABLE audit_events AS SELECT * FROM src.audit_events")
            conn.execute("CREATE TABLE audit_event_cameras AS SELECT * FROM src.audit_event_cameras")
            conn.commit()
        baseline = []
        with sqlite3.connect(plain) as conn:
            for flt in filters[: args.baseline_queries]:
                sql, params = baseline_sql(flt)
                began = time.perf_counter()
                conn.execute(sql, params).fetchall()
                baseline.append(time.perf_counter() - began)

    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    b50 = statistics.median(baseline)
    print(f"events: {total} count")
    print(f"generate through the app (incl. projection): {total / generate_seconds:.0f} events/s")
    print(f"queries: {len(timings)} count, {hits / len(timings):.1f} rows/query")
    print(f"query p50: {p50 * 1000:.2f} ms")
    print(f"query p99: {p99 * 1000:.2f} ms")
    print(f"baseline unindexed sqlite3 p50: {b50 * 1000:.1f} ms")
    print(f"ratio baseline p50 / query p50: {b50 / p50:.0f}")
    print(f"chain verification: {report.events_checked / verify_seconds:.0f} events/s "
          f"({report.events_checked} events, {verify_seconds:.1f} s)")
    print(f"peak rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
