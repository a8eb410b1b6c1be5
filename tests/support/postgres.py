"""Find or start a throwaway PostgreSQL server for the test suite.

Order: ``BROKER_TEST_PG_HOST``/``BROKER_TEST_PG_PORT`` (what ``.ci/run`` exports), else a
private cluster started with the Debian binaries in a temp dir (as the ``postgres`` user when
running as root). ``BROKER_TEST_REQUIRE_POSTGRES=1`` turns "not available" into a failure.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"


def required() -> bool:
    return os.environ.get("BROKER_TEST_REQUIRE_POSTGRES") == "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bindir() -> str | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return os.path.dirname(candidates[0])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


@contextlib.contextmanager
def start_or_find() -> Iterator[PostgresServer | str]:
    """Yield a server, or a string saying why none is available."""
    host = os.environ.get("BROKER_TEST_PG_HOST")
    if host:
        yield PostgresServer(
            host=host,
            port=int(os.environ.get("BROKER_TEST_PG_PORT", "5432")),
            user=os.environ.get("BROKER_TEST_PG_USER", "postgres"),
        )
        return
    bindir = _bindir()
    if bindir is None:
        yield "PostgreSQL binaries (initdb) not found; set BROKER_TEST_PG_HOST to use a server"
        return
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        yield "running as root without runuser: cannot start a private PostgreSQL cluster"
        return
    workdir = tempfile.mkdtemp(prefix="broker-pg-")
    if as_root:
        shutil.chown(workdir, user="postgres", group="postgres")
    datadir = os.path.join(workdir, "data")
    port = _free_port()
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    user = "postgres" if as_root else os.environ.get("USER", "postgres")
    try:
        subprocess.run(
            [*prefix, f"{bindir}/initdb", "-D", datadir, "--auth=trust", "-U", user, "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*prefix, f"{bindir}/pg_ctl", "-D", datadir, "-l", f"{workdir}/server.log",
             "-o", options, "-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        yield f"could not start a private PostgreSQL cluster: {exc}"
        return
    try:
        yield PostgresServer(host="127.0.0.1", port=port, user=user)
    finally:
        subprocess.run(
            [*prefix, f"{bindir}/pg_ctl", "-D", datadir, "-m", "immediate", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """Create a uniquely named database, yield its name, drop it afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
