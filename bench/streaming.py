"""A clip over HTTP against the same bytes as a plain file: streams, viewers, ranges, exports.

One run: a fresh embedded deployment (SQLite; blobs on the file system, or on SeaweedFS with
``--store s3``) holding one camera, a clip of random bytes (default 1 GiB) and a granted police
request. One uvicorn process serves the broker's app and, beside it, a bare Starlette route
``/plain`` answering the clip's plaintext from a file with ``FileResponse``: the baseline, from
the same server. The load comes from other processes: bulk downloads on raw sockets read into
one reused buffer (a cheap client), latencies with httpx (keep-alive HTTP/1.1):

- ``clip stream``: ``GET .../content`` of the whole clip, against ``GET /plain``; interleaved,
  best of ``--rounds``;
- ``viewers``: ``--viewers`` whole-clip streams at once, a process each (aggregate MB/s),
  while a process of its own asks ``GET /healthz`` and an agency's ``GET /v1/grants/{id}/clips``
  in turn every 20 ms (p50, p99); the same with ``/plain``;
- ``range``: ``--ranges`` random 1 MiB ``Range`` requests one after another (p50, p99), the
  content route and ``/plain``;
- ``export``: a signed export of ``--export-mib`` of clips (the clip ingested again as often as
  needed), saved by the client with fsync and verified (untimed), against ``ClipVault.read`` of
  the same clips in this process into a file with fsync (``vault decrypt`` as bench/vault.py
  times it), and with the bytes dropped (``vault read``);
- ``server peak rss``: VmHWM of the server, reset before each phase (``/proc/PID/clear_refs``),
  after streaming a 64 MiB clip, the big one, the viewers and the export.

MB is 10^6 bytes. The two cores of a shared machine swing from one second to the next: run it
when ``uptime`` is low, more than once.

    python bench/streaming.py [--size-mib 1024] [--export-mib 2048] [--viewers 8]
                              [--ranges 1000] [--rounds 2] [--store filesystem|s3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CENTRE = {"lat": 36.3504, "lon": 127.3845}
SMALL_MIB = 64
READ_SIZE = 1 << 20
PROBE_EVERY_S = 0.02


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# the server (a process of its own) ----------------------------------------------------------

def serve(port: int, plain: Path) -> None:
    """The broker's app from BROKER_* plus ``/plain``, as ``broker serve`` runs it."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import FileResponse

    from broker.entrypoints.api.main import app_from_environment
    from broker.entrypoints.api.protocol import event_loop, http_protocol

    app = app_from_environment()

    async def plain_file(request: Request) -> FileResponse:
        return FileResponse(plain, media_type="application/octet-stream")

    app.add_route("/plain", plain_file, methods=["GET", "HEAD"])
    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=http_protocol(),
                                  loop=event_loop(), log_level="warning", access_log=False)).run()


# the load (other processes) -----------------------------------------------------------------

def fetch(base: str, method: str, url: str, key: str | None, body: bytes = b"",
          sink: Any = None) -> tuple[int, float]:
    """One request on a socket of its own, the answer read with ``recv_into`` into one reused
    buffer (and written to ``sink`` if given): the body's size and when its first byte came.

    The bulk downloads use this instead of httpx: a Python HTTP client in the same process
    as seven others would measure its own GIL, not the server.
    """
    host, port = base.removeprefix("http://").split(":")
    headers = [f"{method} {url} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
               f"Content-Length: {len(body)}", "Content-Type: application/json"]
    if key:
        headers.append(f"Authorization: Bearer {key}")
    buffer = bytearray(READ_SIZE)
    view = memoryview(buffer)
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode() + body)
        head = b""
        while b"\r\n\r\n" not in head:
            received = sock.recv_into(buffer)
            if not received:
                raise SystemExit(f"{method} {url}: connection closed in the headers")
            head += bytes(view[:received])
        first = time.perf_counter()
        head, _, rest = head.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status not in (200, 206):
            raise SystemExit(f"{method} {url}: {status} {rest[:300]!r}")
        if b"transfer-encoding: chunked" in head.lower():  # an export: its length is not told
            return _chunked(sock, rest, view, sink), first
        total = len(rest)
        if sink is not None:
            sink.write(rest)
        while received := sock.recv_into(buffer):
            total += received
            if sink is not None:
                sink.write(view[:received])
    return total, first


def _chunked(sock: socket.socket, rest: bytes, view: memoryview, sink: Any) -> int:
    """Decode ``Transfer-Encoding: chunked``, reading each chunk into ``view``'s buffer."""
    reader = io.BufferedReader(_Prefixed(sock, rest), READ_SIZE)  # type: ignore[arg-type]
    total = 0
    while size := int(reader.readline().split(b";")[0], 16):
        while size:
            received = reader.readinto(view[: min(size, len(view))])
            if not received:
                raise SystemExit("export: connection closed inside a chunk")
            if sink is not None:
                sink.write(view[:received])
            total += received
            size -= received
        reader.readline()  # the CRLF after the chunk
    return total


class _Prefixed(io.RawIOBase):
    """A socket read as a raw file, after the bytes already received with the headers."""

    def __init__(self, sock: socket.socket, prefix: bytes) -> None:
        self.sock, self.prefix = sock, prefix

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.prefix:
            count = min(len(buffer), len(self.prefix))
            buffer[:count], self.prefix = self.prefix[:count], self.prefix[count:]
            return count
        return self.sock.recv_into(buffer)


def drain(client: Any, method: str, url: str, **kwargs: Any) -> int:
    with client.stream(method, url, **kwargs) as response:
        if response.status_code not in (200, 206):
            raise SystemExit(f"{method} {url}: {response.status_code} {response.read()[:300]!r}")
        return sum(len(piece) for piece in response.iter_raw(READ_SIZE))


def client_for(base: str, key: str | None = None) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=base, headers=headers, timeout=120)


def load_streams(job: dict[str, Any]) -> dict[str, Any]:
    """``job["count"]`` concurrent whole-body GETs of ``job["url"]``, a process each: bytes and
    wall seconds."""
    count = job["count"]
    if count > 1:
        children = [subprocess.Popen([sys.executable, __file__, "--load",
                                      json.dumps({**job, "count": 1, "flowing": None, "go": go})],
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)
                    for go in [str(Path(job["ready"]).with_suffix(f".{i}")) for i in range(count)]]
        deadline = time.monotonic() + 60
        while not all(Path(job["ready"]).with_suffix(f".{i}.ready").exists() for i in range(count)):
            if time.monotonic() > deadline:
                raise SystemExit("viewers did not start")
            time.sleep(0.01)
        started = time.perf_counter()
        Path(job["ready"]).touch()  # go
        if job.get("flowing"):
            Path(job["flowing"]).touch()  # the probe counts from here
        results = [json.loads(child.communicate()[0]) for child in children]
        return {"bytes": sum(r["bytes"] for r in results), "seconds": time.perf_counter() - started}
    if job.get("go"):  # one of several: say ready, wait for the word
        Path(job["go"] + ".ready").touch()
        while not Path(job["ready"]).exists():
            time.sleep(0.001)
    started = time.perf_counter()
    received, _ = fetch(job["base"], "GET", job["url"], job["key"])
    return {"bytes": received, "seconds": time.perf_counter() - started}


def load_probe(job: dict[str, Any]) -> dict[str, Any]:
    """``/healthz`` and an agency request in turn every 20 ms; counted from when the streams
    flow (``job["flowing"]`` exists) until ``job["stop"]`` exists."""
    flowing, stop = Path(job["flowing"]), Path(job["stop"])
    latencies: dict[str, list[float]] = {"healthz": [], "agency": []}
    with client_for(job["base"]) as anonymous, client_for(job["base"], job["key"]) as agency:
        while not stop.exists():
            counted = flowing.exists()
            for name, client, url in (("healthz", anonymous, "/healthz"),
                                      ("agency", agency, job["agency_url"])):
                started = time.perf_counter()
                response = client.get(url)
                if counted:
                    latencies[name].append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code}")
                time.sleep(PROBE_EVERY_S / 2)
    return latencies


def load_ranges(job: dict[str, Any]) -> dict[str, Any]:
    """``job["count"]`` random ``job["length"]``-byte ranges one after another: seconds each."""
    rng = random.Random(job["seed"])
    size, length = job["size"], job["length"]
    seconds = []
    with client_for(job["base"], job["key"]) as client:
        for _ in range(job["count"]):
            start = rng.randrange(0, size - length)
            header = {"Range": f"bytes={start}-{start + length - 1}"}
            began = time.perf_counter()
            received = drain(client, "GET", job["url"], headers=header)
            seconds.append(time.perf_counter() - began)
            if received != length:
                raise SystemExit(f"range answered {received} bytes, not {length}")
    return {"seconds": seconds}


def load_export(job: dict[str, Any]) -> dict[str, Any]:
    """The export saved to ``job["target"]`` (fsync), as a recipient keeps it; time to the end."""
    with open(job["target"], "wb") as file:
        started = time.perf_counter()
        received, first = fetch(job["base"], "POST", job["url"], job["key"],
                                json.dumps({"clip_ids": job["clip_ids"]}).encode(), sink=file)
        file.flush()
        os.fsync(file.fileno())
        return {"bytes": received, "seconds": time.perf_counter() - started,
                "first_byte_seconds": first - started}


LOADS = {"streams": load_streams, "probe": load_probe, "ranges": load_ranges, "export": load_export}


def run_load(job: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--load", json.dumps(job)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"load {job['kind']} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@contextlib.contextmanager
def probing(job: dict[str, Any], flowing: Path, stop: Path) -> Iterator[dict[str, Any]]:
    """The probe process runs for the block; its latencies land in the dict yielded."""
    flowing.unlink(missing_ok=True)
    stop.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, __file__, "--load", json.dumps({**job, "flowing": str(flowing), "stop": str(stop)})],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    result: dict[str, Any] = {}
    try:
        yield result
    finally:
        stop.touch()
        out, err = process.communicate(timeout=60)
        if process.returncode != 0:
            raise SystemExit(f"probe failed:\n{err[-3000:]}")
        result.update(json.loads(out))


# the orchestrator ---------------------------------------------------------------------------

def write_random(path: Path, mib: int) -> None:
    with open(path, "wb") as file:
        for _ in range(mib):
            file.write(os.urandom(1 << 20))


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb", buffering=0) as file:
        while chunk := file.read(READ_SIZE):
            yield chunk


def prepare(data: Path, env: dict[str, str], plain: Path, small: Path, export_copies: int) -> dict[str, Any]:
    """Camera, police client, clips (the small one, the big one, its copies); nothing granted yet."""
    from broker.adapters.vault.kek import init_keyfile
    from broker.application.actors import Actor
    from broker.bootstrap import build
    from broker.config import load_settings
    from broker.domain.camera import CameraSpec

    shell = Actor.shell()
    init_keyfile(data / "keys")
    with patched_environ(env):
        broker = build(load_settings())
    try:
        [(camera_id, _)] = broker.cameras.upsert(shell, [CameraSpec(
            key="bench-stream-1", name="둔산동 시청앞 교차로 1", agency="대전광역시 서구청",
            purpose="생활방범", purpose_category="crime_prevention", address="대전 서구 둔산동",
            lat=CENTRE["lat"], lon=CENTRE["lon"], coverage_m=50, retention_days=30)])
        _, key = broker.clients.register(shell, name="bench 112", role="police", agency="대전경찰청")
        now = datetime.now(UTC).replace(microsecond=0)

        def ingest(path: Path, minutes_ago: int) -> str:
            start = now - timedelta(minutes=minutes_ago)
            clip, _ = broker.clips.ingest(shell, camera_id=UUID(str(camera_id)), start=start,
                                          end=start + timedelta(minutes=1), chunks=file_chunks(path))
            return str(clip["id"])

        small_id = ingest(small, 100)
        big_id = ingest(plain, 98)
        copies = [ingest(plain, 96 - 2 * i) for i in range(export_copies)]
    finally:
        broker.close()
    return {"key": key, "camera": str(camera_id), "small": small_id, "big": big_id,
            "export": [big_id, *copies], "now": now}


def grant(base: str, key: str, now: datetime) -> str:
    with client_for(base, key) as client:
        response = client.post("/v1/requests", json={
            "legal_basis": "crime_investigation", "radius_m": 150, "mode": "recorded",
            "purpose": "trace the escape route (bench)",
            "incident": {"reference": "112-bench-1", "kind": "robbery", "location": CENTRE,
                         "occurred_at": (now - timedelta(minutes=95)).isoformat()},
            "window": {"start": (now - timedelta(hours=2)).isoformat(),
                       "end": (now - timedelta(minutes=30)).isoformat()}})
        body = response.json()
        if body.get("status") != "granted":
            raise SystemExit(f"the bench request was not granted: {body}")
        return str(body["grant"]["id"])


@contextlib.contextmanager
def patched_environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def reset_peak_rss(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def vault_decrypt_rates(env: dict[str, str], clip_ids: list[str], target: Path) -> tuple[float, float]:
    """MB/s of ``ClipVault.read`` over the export's clips in this process: into a file with
    fsync (bench/vault.py's ``vault decrypt``), and with the bytes dropped."""
    from broker.bootstrap import build
    from broker.config import load_settings
    from broker.readmodel import clip_view

    with patched_environ(env):
        broker = build(load_settings())
    try:
        with broker.readmodel.reader.connect() as conn:
            rows = [clip_view.get_clip_row(conn, clip_id) for clip_id in clip_ids]

        def chunks() -> Iterator[bytes]:
            for row in rows:
                assert row is not None
                yield from broker.vault.read(row["id"], row["key_id"], row["blob_id"], row["size"])

        os.sync()
        started = time.perf_counter()
        with open(target, "wb") as file:
            for chunk in chunks():
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
            total = file.tell()
        to_file = total / (time.perf_counter() - started) / 1e6
        target.unlink()
        started = time.perf_counter()
        dropped = sum(len(chunk) for chunk in chunks())
        return to_file, dropped / (time.perf_counter() - started) / 1e6
    finally:
        broker.close()


def check_export(path: Path, env: dict[str, str], clips: int) -> None:
    """Untimed: the package verifies (signature, every file's SHA-256) with the broker's key."""
    from broker.adapters.evidence import verify_package
    from broker.adapters.vault.kek import load_or_create_signing_key

    check = verify_package(path, load_or_create_signing_key(Path(env["BROKER_KEYS_DIR"])).public_key())
    if not check.ok or len((check.manifest or {}).get("clips", [])) != clips:
        raise SystemExit(f"export does not verify: {check.problems}")


@contextlib.contextmanager
def blob_store(kind: str, data: Path) -> Iterator[dict[str, str]]:
    """The BROKER_* settings of the store; SeaweedFS started (and stopped) for ``s3``."""
    if kind == "filesystem":
        yield {}
        return
    from tests.support import seaweed

    with seaweed.start() as server:
        if isinstance(server, str):
            raise SystemExit(server)
        seaweed.create_bucket(server, "bench-footage")
        yield {"BROKER_BLOB_STORE": "s3", "BROKER_S3_ENDPOINT_URL": server.endpoint_url,
               "BROKER_S3_BUCKET": "bench-footage", "BROKER_S3_ACCESS_KEY": server.access_key,
               "BROKER_S3_SECRET_KEY": server.secret_key, "BROKER_S3_REGION": server.region}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="the clip (default 1024)")
    parser.add_argument("--export-mib", type=int, default=2048, help="the export (default 2048)")
    parser.add_argument("--viewers", type=int, default=8)
    parser.add_argument("--ranges", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="best of N (default 2)")
    parser.add_argument("--store", choices=("filesystem", "s3"), default="filesystem")
    parser.add_argument("--dir", type=Path, default=None, help="where the temp dir goes")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "PLAIN"), help=argparse.SUPPRESS)
    parser.add_argument("--load", metavar="JOB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]))
        return
    if args.load:
        job = json.loads(args.load)
        print(json.dumps(LOADS[job["kind"]](job)))
        return

    size = args.size_mib << 20
    copies = max(1, -(-args.export_mib // args.size_mib)) - 1
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="broker-bench-streaming-", dir=args.dir) as work:
        data = Path(work)
        plain, small = data / "plain.bin", data / "small.bin"
        write_random(plain, args.size_mib)
        write_random(small, SMALL_MIB)
        with blob_store(args.store, data) as store_env:
            env = {"BROKER_DATA_DIR": str(data / "var"), "BROKER_KEYS_DIR": str(data / "keys"),
                   "BROKER_SCHEDULER_ENABLED": "false", **store_env}
            scene = prepare(data, env, plain, small, copies)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            log = (data / "server.log").open("w")
            server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(plain)],
                                      env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                      cwd=ROOT)
            try:
                wait_ready(base, server)
                figures = measure(args, base, scene, server.pid, size, env, data)
            finally:
                server.terminate()
                server.wait(timeout=30)
                log.close()
    report(args, figures)


def measure(args: argparse.Namespace, base: str, scene: dict[str, Any], pid: int, size: int,
            env: dict[str, str], data: Path) -> dict[str, float]:
    key = scene["key"]
    grant_id = grant(base, key, scene["now"])
    content = f"/v1/grants/{grant_id}/clips/{scene['big']}/content"
    common = {"base": base, "key": key}
    figures: dict[str, float] = {}

    def best(name: str, value: float) -> None:
        figures[name] = max(figures.get(name, 0.0), value)

    def stream(url: str, count: int = 1, flowing: Path | None = None) -> float:
        ready = data / "viewers.go"
        for stale in data.glob("viewers.*"):
            stale.unlink()
        result = run_load({**common, "kind": "streams", "url": url, "count": count,
                           "flowing": str(flowing) if flowing else None, "ready": str(ready)})
        if result["bytes"] != count * (SMALL_MIB << 20 if scene["small"] in url else size):
            raise SystemExit(f"{url}: {result['bytes']} bytes")
        return float(result["bytes"] / result["seconds"] / 1e6)

    reset_peak_rss(pid)
    stream(f"/v1/grants/{grant_id}/clips/{scene['small']}/content")
    figures["server peak rss, 64 MiB clip"] = peak_rss_mib(pid)
    reset_peak_rss(pid)
    for _ in range(args.rounds):
        best("baseline plain file", stream("/plain"))
        best("clip stream", stream(content))
    figures["server peak rss, clip"] = peak_rss_mib(pid)

    probe = {**common, "kind": "probe", "agency_url": f"/v1/grants/{grant_id}/clips"}
    for name, url in (("viewers", content), ("baseline viewers plain file", "/plain")):
        reset_peak_rss(pid)
        flowing = data / "streams.flowing"
        with probing(probe, flowing, data / "probe.stop") as latencies:
            figures[f"{name} aggregate"] = stream(url, args.viewers, flowing)
        if name == "viewers":
            figures["server peak rss, viewers"] = peak_rss_mib(pid)
        for probed in ("healthz", "agency"):
            figures[f"{name} {probed} p50"] = statistics.median(latencies[probed]) * 1000
            figures[f"{name} {probed} p99"] = percentile(latencies[probed], 0.99) * 1000
            figures[f"{name} {probed} probes"] = len(latencies[probed])

    for name, url in (("range", content), ("baseline range plain file", "/plain")):
        seconds = run_load({**common, "kind": "ranges", "url": url, "count": args.ranges,
                            "size": size, "length": 1 << 20, "seed": 17})["seconds"]
        figures[f"{name} p50"] = statistics.median(seconds) * 1000
        figures[f"{name} p99"] = percentile(seconds, 0.99) * 1000

    target = data / "export.zip"
    for round_ in range(args.rounds):
        reset_peak_rss(pid)
        os.sync()
        result = run_load({**common, "kind": "export", "url": f"/v1/grants/{grant_id}/exports",
                           "clip_ids": scene["export"], "target": str(target)})
        best("server peak rss, export", peak_rss_mib(pid))
        best("export", result["bytes"] / result["seconds"] / 1e6)
        figures["export first byte"] = min(figures.get("export first byte", math.inf),
                                           result["first_byte_seconds"] * 1000)
        if round_ == 0:
            check_export(target, env, len(scene["export"]))
        target.unlink()
        to_file, dropped = vault_decrypt_rates(env, scene["export"], data / "decrypted.bin")
        best("vault decrypt", to_file)
        best("vault read", dropped)
    figures["export clips"] = len(scene["export"])
    return figures


def report(args: argparse.Namespace, f: dict[str, float]) -> None:
    print(f"store: {args.store}")
    print(f"size: {args.size_mib} MiB")
    print(f"clip stream: {f['clip stream']:.1f} MB/s")
    print(f"baseline plain file: {f['baseline plain file']:.1f} MB/s")
    print(f"ratio clip stream / plain file: {f['clip stream'] / f['baseline plain file']:.2f}")
    for name in ("viewers", "baseline viewers plain file"):
        print(f"{name} ({args.viewers}) aggregate: {f[f'{name} aggregate']:.1f} MB/s")
        for probed in ("healthz", "agency"):
            print(f"{name} {probed} p50: {f[f'{name} {probed} p50']:.2f} ms")
            print(f"{name} {probed} p99: {f[f'{name} {probed} p99']:.2f} ms "
                  f"({f[f'{name} {probed} probes']:.0f} probes)")
    print(f"ratio viewers / plain file viewers: "
          f"{f['viewers aggregate'] / f['baseline viewers plain file aggregate']:.2f}")
    for name in ("range", "baseline range plain file"):
        print(f"{name} ({args.ranges} x 1 MiB) p50: {f[f'{name} p50']:.2f} ms")
        print(f"{name} ({args.ranges} x 1 MiB) p99: {f[f'{name} p99']:.2f} ms")
    print(f"export ({f['export clips']:.0f} clips, {f['export clips'] * args.size_mib:.0f} MiB, "
          f"saved with fsync): {f['export']:.1f} MB/s")
    print(f"export first byte: {f['export first byte']:.0f} ms")
    print("export verified: yes")
    print(f"baseline vault decrypt (into a file, fsync): {f['vault decrypt']:.1f} MB/s")
    print(f"baseline vault read (bytes dropped): {f['vault read']:.1f} MB/s")
    print(f"ratio export / vault decrypt: {f['export'] / f['vault decrypt']:.2f}")
    print(f"ratio export / vault read: {f['export'] / f['vault read']:.2f}")
    for phase in ("64 MiB clip", "clip", "viewers", "export"):
        print(f"server peak rss, {phase}: {f[f'server peak rss, {phase}']:.0f} MiB")


if __name__ == "__main__":
    main()
