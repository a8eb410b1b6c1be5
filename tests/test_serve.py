"""``broker serve`` as operators run it: real processes, real sockets."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from broker.adapters.vault.kek import init_keyfile


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


def test_metrics_are_one_set_of_counters_across_workers(tmp_path: Path) -> None:
    init_keyfile(tmp_path / "keys")
    port = free_port()
    env = {**os.environ, "BROKER_DATA_DIR": str(tmp_path / "var"),
           "BROKER_KEYS_DIR": str(tmp_path / "keys"), "BROKER_SCHEDULER_ENABLED": "false"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "broker.entrypoints.cli", "serve", "--port", str(port),
         "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/readyz", server)
        with httpx.Client(base_url=base) as client:
            before = health_count(client.get("/metrics").text)
            for _ in range(40):
                # A new connection each time, so the kernel spreads them over both workers.
                assert httpx.get(f"{base}/healthz").status_code == 200
            counts = {health_count(httpx.get(f"{base}/metrics").text) for _ in range(10)}
        assert counts == {before + 40}, counts
    finally:
        server.terminate()
        server.wait(timeout=30)


def health_count(text: str) -> int:
    found = re.search(r'^broker_http_requests_total\{method="GET",route="/healthz",status="200"\} '
                      r'([0-9.e+]+)$', text, flags=re.M)
    return int(float(found.group(1))) if found else 0


def served_broker(tmp_path: Path, **env_overrides: str):
    """A data dir with a camera and one client per role, and the env to serve it."""
    from broker.bootstrap import build
    from broker.config import Settings
    from broker.domain.camera import CameraSpec
    from broker.domain.roles import Role
    from tests.conftest import SHELL

    init_keyfile(tmp_path / "keys")
    settings = Settings(data_dir=tmp_path / "var", keys_dir=tmp_path / "keys")
    broker = build(settings)
    try:
        [(camera_id, _)] = broker.cameras.upsert(SHELL, [CameraSpec(
            key="cam", name="cam", agency="서구청", purpose="생활방범",
            purpose_category="crime_prevention", address="", lat=36.35, lon=127.38,
            coverage_m=50, retention_days=30)])
        keys = {role: broker.clients.register(SHELL, name=role.value, role=role,
                                              agency="대전")[1] for role in Role}
    finally:
        broker.close()
    env = {**os.environ, "BROKER_DATA_DIR": str(settings.data_dir),
           "BROKER_KEYS_DIR": str(settings.keys_dir), "BROKER_SCHEDULER_ENABLED": "false",
           **env_overrides}
    return settings, camera_id, keys, env


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "broker.entrypoints.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_stalled_uploads_starve_nothing_and_leave_nothing_behind(tmp_path: Path) -> None:
    from broker.adapters.vault.blobs import FilesystemBlobStore
    from broker.domain.roles import Role

    slots = 2
    settings, camera_id, keys, env = served_broker(
        tmp_path, BROKER_MAX_CONCURRENT_UPLOADS=str(slots), BROKER_UPLOAD_READ_TIMEOUT_S="3")
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    stalled: list[socket.socket] = []
    try:
        wait_until_up(f"{base}/readyz", server)
        query = f"camera_id={camera_id}&start=2026-11-20T08:00:00Z&end=2026-11-20T08:01:00Z"
        for _ in range(slots + 10):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(f"POST /v1/clips?{query} HTTP/1.1\r\nHost: x\r\n"
                         f"Authorization: Bearer {keys[Role.OPERATOR]}\r\n"
                         "Content-Length: 1000000\r\n\r\n".encode() + b"\x00" * 1000)
            stalled.append(sock)
        time.sleep(0.5)  # let them all reach the broker and stall there
        # The rest of the API still answers at once (a client timeout, not a benchmark).
        assert httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        search = httpx.get(f"{base}/v1/cameras", timeout=1, params={
            "lat": 36.35, "lon": 127.38, "radius_m": 100},
            headers={"Authorization": f"Bearer {keys[Role.POLICE]}"})
        assert search.status_code == 200 and search.json()["items"]
        answers = []
        for sock in stalled:
            sock.settimeout(60)
            answers.append(sock.recv(4096).split(b"\r\n", 1)[0])
        assert set(answers) == {b"HTTP/1.1 408 Request Timeout"}, answers
    finally:
        for sock in stalled:
            sock.close()
        server.terminate()
        server.wait(timeout=30)
    blobs = FilesystemBlobStore(settings.blobs_dir)
    assert list(blobs.iter_ids()) == []
    assert not any(settings.blobs_dir.rglob("*.tmp*"))
    from broker.bootstrap import open_keystore

    keystore = open_keystore(settings)
    try:
        assert sum(keystore.count_by_kek_version().values()) == 0
    finally:
        keystore.close()


def test_malformed_http_and_aborted_uploads_are_no_server_errors(tmp_path: Path) -> None:
    from broker.domain.roles import Role

    _, camera_id, keys, env = served_broker(tmp_path)
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/readyz", server)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GARBAGE \x01\x02 NOT HTTP\r\n\r\n")
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400")
        assert b"content-type: application/problem+json" in head.lower()
        assert json.loads(body)["status"] == 400
        query = f"camera_id={camera_id}&start=2026-11-20T08:00:00Z&end=2026-11-20T08:01:00Z"
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(f"POST /v1/clips?{query} HTTP/1.1\r\nHost: x\r\n"
                         f"Authorization: Bearer {keys[Role.OPERATOR]}\r\n"
                         "Content-Length: 5000000\r\n\r\n".encode() + b"\x00" * 100_000)
            time.sleep(0.5)
        time.sleep(1)
        metrics = httpx.get(f"{base}/metrics").text
        assert 'status="500"' not in metrics
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    log = stderr.decode()
    assert "client disconnected during POST /v1/clips" in log
    assert "Traceback" not in log


def cli(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = subprocess.run([sys.executable, "-m", "broker.entrypoints.cli", *args], env=env,
                            capture_output=True, text=True)
    assert result.returncode == code, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_a_witness_cosigns_a_growing_log_and_refuses_a_rewritten_one(tmp_path: Path) -> None:
    import sqlite3

    settings, _, _, env = served_broker(tmp_path)
    cli(env, "audit", "checkpoint")
    vkey_line = cli(env, "witness", "init", "--key", str(tmp_path / "w.pem"), "--name", "w.example")
    witness_vkey = vkey_line.strip().splitlines()[-1]
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    state = tmp_path / "witness.log"
    try:
        wait_until_up(f"{base}/readyz", server)
        log_key = httpx.get(f"{base}/v1/audit/checkpoints").json()["log_key"]
        cosign = ["witness", "cosign", "--log", base, "--log-key", log_key, "--key",
                  str(tmp_path / "w.pem"), "--name", "w.example", "--state", str(state)]
        assert "consistent with 0" in cli(env, *cosign)
        cli(env, "clients", "add", "--role", "police", "--agency", "세종경찰청")
        cli(env, "audit", "checkpoint")
        assert "consistent with" in cli(env, *cosign)
        ok = cli(env, "audit", "verify", "--checkpoints", base, "--checkpoints", str(state),
                 "--log-key", log_key, "--witness-key", witness_vkey)
        assert ok.startswith("OK:")
    finally:
        server.terminate()
        server.wait(timeout=30)
    # The insider rewrites an old event, rebuilds the read model, signs the forged history.
    with sqlite3.connect(settings.events_db_path) as conn:
        (state_bytes,) = conn.execute("SELECT state FROM stored_events WHERE rowid = 1").fetchone()
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 1",
                     (bytes(state_bytes).replace(b"cam", b"cax", 1),))
    for name in ("readmodel.db", "readmodel.db-wal", "readmodel.db-shm", "checkpoints.log",
                 "audit-leaves.bin"):
        (settings.data_dir / name).unlink(missing_ok=True)
    cli(env, "init")
    cli(env, "clients", "add", "--role", "fire", "--agency", "세종소방")
    cli(env, "audit", "checkpoint")
    server = start_server(env, port)
    try:
        wait_until_up(f"{base}/readyz", server)
        refused = cli(env, *cosign, code=1)
        assert "not cosigned" in refused and "consistency" in refused
        caught = cli(env, "audit", "verify", "--checkpoints", str(state), "--log-key", log_key,
                     "--witness-key", witness_vkey, code=1)
        assert "differs from the trusted checkpoint" in caught
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("protocol", ["ProblemH11Protocol", "ProblemHttpToolsProtocol"])
def test_both_parsers_answer_garbage_with_a_problem(protocol: str) -> None:
    """httptools serves by default and h11 where it is missing: both speak RFC 9457."""
    import threading

    import uvicorn

    from broker.entrypoints.api import protocol as protocols

    async def app(scope, receive, send):  # never reached: the bytes are not HTTP
        raise AssertionError("garbage reached the application")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           http=getattr(protocols, protocol), lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GARBAGE \x01\x02 NOT HTTP\r\n\r\n")
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/problem+json" in head.lower()
    assert json.loads(body)["status"] == 400
