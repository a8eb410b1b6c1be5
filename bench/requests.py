"""Decisions per second through real HTTP: auto-granted footage requests against `broker serve`.

One run: a fresh deployment (SQLite files, or a fresh database on a PostgreSQL server) with
1,000 cameras around Daejeon, `broker serve` on loopback, and the load from another process
(keep-alive HTTP/1.1 clients in threads, stdlib ``http.client``). The baseline, in the same
run and under the same client: a bare FastAPI POST endpoint that validates the same request
body and answers 201, served by uvicorn with the same HTTP parser and event loop. The ratio
is what the broker's own work (authentication, evaluation, sealing, group commit, durable
storage) costs against HTTP itself.

    python bench/requests.py [--requests 5000] [--concurrency 1 4 8 16]
                             [--store sqlite|postgres] [--workers 1]

PostgreSQL: the server named by --pg-host/--pg-port/--pg-user (defaults from
BROKER_TEST_PG_HOST/PORT/USER); a fresh database is created and dropped. Its fsync setting is
printed: a figure from a server with fsync off says nothing about durability.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CENTRE = (36.3504, 127.3845)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


# the load generator (runs in its own process) -----------------------------------------------

def request_body(i: int, now: datetime) -> bytes:
    rng = random.Random(i)
    lat = CENTRE[0] + rng.uniform(-0.01, 0.01)
    lon = CENTRE[1] + rng.uniform(-0.01, 0.01)
    end = now - timedelta(minutes=rng.randint(10, 600))
    return json.dumps({
        "legal_basis": "crime_investigation",
        "incident": {"reference": f"112-{i}", "kind": "theft", "location": {"lat": lat, "lon": lon},
                     "occurred_at": (end - timedelta(minutes=30)).isoformat()},
        "radius_m": 300, "purpose": "identify the suspect",
        "window": {"start": (end - timedelta(hours=1)).isoformat(), "end": end.isoformat()},
    }).encode()


def run_load(port: int, key: str, total: int, concurrency: int, offset: int) -> None:
    now = datetime.now(UTC)
    bodies = [request_body(offset + i, now) for i in range(total)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in counter:
            started = time.perf_counter()
            connection.request("POST", "/v1/requests", body=bodies[i], headers=headers)
            response = connection.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            outcome = (json.loads(payload).get("status") if response.status == 201
                       else str(response.status))
            with lock:
                latencies.append(elapsed)
                statuses[outcome] = statuses.get(outcome, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(json.dumps({"latencies": latencies, "wall": wall, "statuses": statuses}))


def load(port: int, key: str, total: int, concurrency: int, offset: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--load", str(port), key, "--requests", str(total),
         "--concurrency", str(concurrency), "--offset", str(offset)],
        capture_output=True, text=True, check=True, cwd=ROOT)
    return dict(json.loads(result.stdout))


# the bare baseline (runs in its own process) ------------------------------------------------

def serve_bare(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI, status

    from broker.entrypoints.api.protocol import event_loop, http_protocol
    from broker.entrypoints.api.schemas.requests import FootageRequestCreate

    app = FastAPI()

    @app.post("/v1/requests", status_code=status.HTTP_201_CREATED)
    def submit(body: FootageRequestCreate) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "status": "granted", "legal_basis": body.legal_basis}

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    uvicorn.run(app, host="127.0.0.1", port=port, http=http_protocol(), loop=event_loop(),
                log_level="warning", access_log=False)


# the orchestrator ---------------------------------------------------------------------------

def prepare(settings: Any, cameras: int) -> str:
    from broker.application.actors import Actor
    from broker.bootstrap import build
    from broker.domain.camera import CameraSpec

    shell = Actor.shell()
    broker = build(settings)
    rng = random.Random(1000)
    broker.cameras.upsert(shell, [
        CameraSpec(key=f"bench-{i}", name=f"cam {i}", agency="대전광역시", purpose="생활방범",
                   purpose_category="crime_prevention", address="",
                   lat=CENTRE[0] + rng.uniform(-0.012, 0.012),
                   lon=CENTRE[1] + rng.uniform(-0.012, 0.012), coverage_m=50, retention_days=30)
        for i in range(cameras)])
    _, key = broker.clients.register(shell, name="bench 112", role="police", agency="대전경찰청")
    broker.close()
    return key


@contextmanager
def deployment(store: str, data: Path, args: argparse.Namespace) -> Any:
    """Settings and serve environment for a fresh deployment; a PostgreSQL database is dropped
    afterwards."""
    from broker.adapters.vault.kek import init_keyfile
    from broker.config import Settings

    init_keyfile(data / "keys")
    env = {"BROKER_DATA_DIR": str(data / "var"), "BROKER_KEYS_DIR": str(data / "keys"),
           "BROKER_SCHEDULER_ENABLED": "false"}
    if store == "sqlite":
        yield Settings(data_dir=data / "var", keys_dir=data / "keys"), env, None
        return
    import psycopg

    dbname = f"bench_requests_{uuid.uuid4().hex[:12]}"
    admin = f"host={args.pg_host} port={args.pg_port} user={args.pg_user} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
        fsync = conn.execute("SHOW fsync").fetchone()
        synchronous = conn.execute("SHOW synchronous_commit").fetchone()
    env.update(BROKER_EVENT_STORE="postgres", BROKER_POSTGRES_HOST=args.pg_host,
               BROKER_POSTGRES_PORT=str(args.pg_port), BROKER_POSTGRES_USER=args.pg_user,
               BROKER_POSTGRES_DBNAME=dbname)
    try:
        yield (Settings(data_dir=data / "var", keys_dir=data / "keys", event_store="postgres",
                        postgres_host=args.pg_host, postgres_port=args.pg_port,
                        postgres_user=args.pg_user, postgres_dbname=dbname),
               env, f"fsync={fsync[0] if fsync else '?'} "
                    f"synchronous_commit={synchronous[0] if synchronous else '?'}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@contextmanager
def server(command: list[str], env: dict[str, str], log: Path) -> Any:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen([*command, str(port)], env={**os.environ, **env}, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait_ready(port, process)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=60)


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited; see its log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


def report(label: str, result: dict[str, Any], bare: dict[str, Any]) -> None:
    latencies, bare_latencies = result["latencies"], bare["latencies"]
    rate = len(latencies) / result["wall"]
    bare_rate = len(bare_latencies) / bare["wall"]
    print(f"outcomes{label}: {json.dumps(result['statuses'], sort_keys=True)}")
    print(f"decisions through http{label}: {rate:.0f} requests/s")
    print(f"p50{label}: {statistics.median(latencies) * 1000:.2f} ms")
    print(f"p99{label}: {percentile(latencies, 0.99) * 1000:.2f} ms")
    print(f"bare fastapi{label}: {bare_rate:.0f} requests/s")
    print(f"bare fastapi p99{label}: {percentile(bare_latencies, 0.99) * 1000:.2f} ms")
    print(f"ratio decisions / bare fastapi{label}: {rate / bare_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5_000, help="per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--cameras", type=int, default=1_000)
    parser.add_argument("--pg-host", default=os.environ.get("BROKER_TEST_PG_HOST", "127.0.0.1"))
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BROKER_TEST_PG_PORT", "5432")))
    parser.add_argument("--pg-user", default=os.environ.get("BROKER_TEST_PG_USER", "postgres"))
    parser.add_argument("--load", nargs=2, metavar=("PORT", "KEY"), help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.load:
        run_load(int(args.load[0]), args.load[1], args.requests, args.concurrency[0], args.offset)
        return

    print(f"store: {args.store}")
    print(f"server workers: {args.workers} count")
    print(f"requests per level: {args.requests} count")
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as tmp:
        data = Path(tmp)
        with deployment(args.store, data, args) as (settings, env, durability):
            if durability:
                print(f"postgres durability: {durability}")
            key = prepare(settings, args.cameras)
            results = {}
            serve = [sys.executable, "-m", "broker.entrypoints.cli", "serve", "--host",
                     "127.0.0.1", "--workers", str(args.workers), "--port"]
            with server(serve, env, data / "broker.log") as port:
                for level, concurrency in enumerate(args.concurrency):
                    results[concurrency] = load(port, key, args.requests, concurrency,
                                                offset=level * args.requests)
        bare = {}
        with server([sys.executable, __file__, "--serve-bare"], {}, data / "bare.log") as port:
            for concurrency in args.concurrency:
                bare[concurrency] = load(port, "bare", args.requests, concurrency, offset=0)
    single = len(args.concurrency) == 1
    for concurrency in args.concurrency:
        if not single:
            print(f"concurrency: {concurrency} clients")
        report("" if single else f" [c={concurrency}]", results[concurrency], bare[concurrency])


if __name__ == "__main__":
    main()
