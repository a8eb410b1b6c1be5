"""Running the broker: init, serve, worker, demo, purge."""

from __future__ import annotations

import copy
import os
import shutil
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from broker.bootstrap import build
from broker.entrypoints.cli.common import (
    Format,
    aware,
    emit,
    open_broker,
    out,
    progress_bar,
    settings,
    shell,
)
from broker.entrypoints.cli.keys import ensure_keys


def register(cli: typer.Typer) -> None:
    cli.command()(init)
    cli.command()(serve)
    cli.command()(worker)
    cli.command()(demo)
    cli.command()(purge)


def init() -> None:
    """Create keys (if absent), the data directory and the read-model schema (idempotent)."""
    config = settings()
    ensure_keys(config)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    with open_broker():
        pass
    out.print(f"ready: data in {config.data_dir}, keys in {config.keys_dir}")


def serve(
    host: Annotated[str | None, typer.Option(help="bind address (BROKER_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (BROKER_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the HTTP API, with one background worker (projection and scheduled jobs) beside it."""
    import uvicorn

    from broker.entrypoints.api.metrics import MULTIPROCESS_ENV
    from broker.entrypoints.api.protocol import event_loop, http_protocol
    from broker.entrypoints.background import supervised

    config = settings()
    # Build once in the parent so that migrations and configuration errors surface here.
    build(config).close()
    if workers > 1:
        # One set of counters across workers: prometheus_client's multiprocess mode.
        metrics_dir = config.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(mode=0o700, parents=True)
        os.environ[MULTIPROCESS_ENV] = str(metrics_dir.resolve())
    worker_env = dict(os.environ)
    os.environ["BROKER_SCHEDULER_ENABLED"] = "false"  # the jobs run once, in the worker
    server_config = uvicorn.Config(
        "broker.entrypoints.api.main:app_from_environment",
        factory=True,
        host=host or config.host,
        port=port or config.port,
        workers=workers,
        proxy_headers=False,
        http=http_protocol(),
        loop=event_loop(),
        log_config=log_config(),
        log_level="info",
        access_log=False,  # request lines carry query strings (incident locations): not logged
    )
    with supervised(jobs=config.scheduler_enabled, env=worker_env):
        if workers == 1:
            uvicorn.Server(server_config).run()
            return
        from uvicorn.supervisors import Multiprocess

        sock = server_config.bind_socket()
        # Workers accept from this shared socket; without TCP_NODELAY on it (asyncio only sets
        # it on sockets it creates itself) every small response waits ~40 ms for a delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Multiprocess(server_config, sockets=[sock]).run()


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the broker's own loggers (jobs, problems, the vault) beside it."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["broker"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def worker(
    jobs: Annotated[bool, typer.Option("--jobs/--no-jobs", help="run the scheduled jobs too")] = True,
    parent: Annotated[int | None, typer.Option(hidden=True, help="stop when this process is gone")] = None,
) -> None:
    """Keep the read model behind the event log and run the scheduled jobs (purge, grant
    expiry, review deadlines, ...) in the foreground; one per deployment."""
    import logging.config
    import signal
    import threading

    from broker.entrypoints.background import run

    logging.config.dictConfig(log_config())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with open_broker() as broker:
        if parent is None:
            out.print("worker: projecting the event log"
                      + ("; purge every 10 min, grant expiry every minute, review deadlines "
                         "hourly, redaction every 6 s" if jobs else ""))
        run(broker, jobs=jobs, stop=stop, parent_pid=parent)


def demo(
    clients_file: Annotated[Path | None, typer.Option(help="where demo API keys go")] = None,
) -> None:
    """Load the Daejeon-like demo cameras, clips and one client per role (idempotent)."""
    target = clients_file or settings().data_dir / "demo-clients.json"
    with open_broker() as broker:
        summary = broker.demo.load(shell(), target)
    out.print(
        f"demo: {summary['cameras']} cameras ({summary['cameras_created']} new), "
        f"{summary['clients_created']} clients created; keys in {target} (mode 0600)"
    )


def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would go; change nothing")] = False,
    as_of: Annotated[str | None, typer.Option(help="judge at this time (RFC 3339); dry runs only")] = None,
    fmt: Annotated[Format, typer.Option(
        "--format", help="the --dry-run list: table, json or csv (json and csv: the list alone)")]
    = Format.table,
) -> None:
    """Purge footage past its retention that no active hold covers (or list it with --dry-run)."""
    moment = aware(as_of, "--as-of")
    with open_broker() as broker, progress_bar("purge") as progress:
        report = broker.sweeps.purge(as_of=moment, dry_run=dry_run, progress=progress)
    if dry_run:
        items = [{"clip_id": v.clip.clip_id, "camera_id": v.clip.camera_id,
                  "window_end": v.clip.end.isoformat(), "due_at": v.clip.due_at.isoformat(),
                  "verdict": v.reason or "kept", "held_by": list(v.held_by)}
                 for v in report.verdicts]
        emit(items, [("clip", lambda i: i["clip_id"]), ("camera", lambda i: i["camera_id"]),
                     ("window end", lambda i: i["window_end"]), ("due", lambda i: i["due_at"]),
                     ("verdict", lambda i: i["verdict"] if i["verdict"] != "kept"
                      else f"kept: hold {', '.join(i['held_by'])}")],
             fmt, title=f"would purge as of {report.as_of.isoformat()}")
        if fmt is not Format.table:
            return
    out.print(f"as of {report.as_of.isoformat()}: {report.due} due, {report.kept_by_hold} kept by "
              f"holds" + ("" if dry_run else f", {report.purged} purged"))
