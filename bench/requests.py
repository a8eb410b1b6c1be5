"""Decisions per second through real HTTP: auto-granted footage requests against uvicorn.

One run: a fresh embedded deployment (SQLite) with 1,000 cameras around Daejeon, `broker serve`
on loopback, and the load from another process (keep-alive HTTP/1.1 clients in threads). The
baseline, in the same run, saves the same number of bare eventsourcing aggregates with one
event each into a fresh SQLite event store.

    python bench/requests.py [--requests 20000] [--concurrency 4] [--workers 1]
"""

from __future__ import annotations

import argparse
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from broker.application.actors import Actor

SHELL = Actor.shell()

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

def run_load(url: str, key: str, total: int, concurrency: int) -> None:
    import httpx

    now = datetime.now(UTC)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))

    def body(i: int) -> dict:
        rng = random.Random(i)
        lat = CENTRE[0] + rng.uniform(-0.01, 0.01)
        lon = CENTRE[1] + rng.uniform(-0.01, 0.01)
        end = now - timedelta(minutes=rng.randint(10, 600))
        return {"legal_basis": "crime_investigation",
                "incident": {"reference": f"112-{i}", "kind": "theft",
                             "location": {"lat": lat, "lon": lon},
                             "occurred_at": (end - timedelta(minutes=30)).isoformat()},
                "radius_m": 300, "purpose": "identify the suspect",
                "window": {"start": (end - timedelta(hours=1)).isoformat(), "end": end.isoformat()}}

    def worker() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as client:
            for i in counter:
                payload = body(i)
                started = time.perf_counter()
                response = client.post("/v1/requests", json=payload)
                elapsed = time.perf_counter() - started
                outcome = response.json().get("status", str(response.status_code))
                with lock:
                    latencies.append(elapsed)
                    statuses[outcome] = statuses.get(outcome, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(json.dumps({"latencies": latencies, "wall": wall, "statuses": statuses}))


# the orchestrator ---------------------------------------------------------------------------

def prepare(data: Path, cameras: int) -> str:
    from broker.adapters.vault.kek import init_keyfile
    from broker.bootstrap import build
    from broker.config import Settings
    from broker.domain.camera import CameraSpec

    init_keyfile(data / "keys")
    broker = build(Settings(data_dir=data / "var", keys_dir=data / "keys"))
    rng = random.Random(1000)
    broker.cameras.upsert(SHELL, [
        CameraSpec(key=f"bench-{i}", name=f"cam {i}", agency="대전광역시", purpose="생활방범",
                   purpose_category="crime_prevention", address="",
                   lat=CENTRE[0] + rng.uniform(-0.012, 0.012),
                   lon=CENTRE[1] + rng.uniform(-0.012, 0.012), coverage_m=50, retention_days=30)
        for i in range(cameras)])
    _, key = broker.clients.register(SHELL, name="bench 112", role="police", agency="대전경찰청")
    broker.close()
    return key


def baseline(data: Path, total: int) -> float:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate

    class Bare(Aggregate):
        def __init__(self, reference: str) -> None:
            self.reference = reference

    app: Application = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                        "SQLITE_DBNAME": str(data / "baseline.db")})
    started = time.perf_counter()
    for i in range(total):
        app.save(Bare(reference=f"112-{i}"))
    return total / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--cameras", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes (SQLite has one writer; see the README)")
    parser.add_argument("--load", nargs=2, metavar=("URL", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        run_load(args.load[0], args.load[1], args.requests, args.concurrency)
        return

    with tempfile.TemporaryDirectory(prefix="bench-requests-") as tmp:
        data = Path(tmp)
        key = prepare(data, args.cameras)
        port = free_port()
        env = {**os.environ, "BROKER_SCHEDULER_ENABLED": "false",
               "BROKER_DATA_DIR": str(data / "var"), "BROKER_KEYS_DIR": str(data / "keys")}
        log = (data / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "broker.entrypoints.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", str(args.workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url)
            load = subprocess.run(
                [sys.executable, __file__, "--requests", str(args.requests), "--concurrency",
                 str(args.concurrency), "--load", url, key],
                capture_output=True, text=True, check=True, cwd=ROOT)
        finally:
            server.terminate()
            server.wait(timeout=30)
        result = json.loads(load.stdout)
        bare_rate = baseline(data, args.requests)

    latencies = result["latencies"]
    rate = len(latencies) / result["wall"]
    print(f"requests: {len(latencies)} count")
    print(f"server workers: {args.workers} count")
    print(f"outcomes: {json.dumps(result['statuses'], sort_keys=True)}")
    print(f"decisions through http: {rate:.0f} requests/s")
    print(f"p50: {statistics.median(latencies) * 1000:.2f} ms")
    print(f"p99: {percentile(latencies, 0.99) * 1000:.2f} ms")
    print(f"baseline bare aggregate saves: {bare_rate:.0f} aggregates/s")
    print(f"ratio http decisions / bare saves: {rate / bare_rate:.2f}")


def wait_ready(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


if __name__ == "__main__":
    main()
