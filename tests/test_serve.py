"""``broker serve`` as operators run it: real processes, real sockets."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
