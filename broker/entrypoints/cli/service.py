"""Running the broker: init, serve, worker, demo, purge."""

from __future__ import annotations

import copy
import os
import shutil
import socket
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from broker.bootstrap import build
from broker.entrypoints.cli.common import aware, open_broker, out, settings, shell
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
    """Serve the HTTP API."""
    import uvicorn

    from broker.entrypoints.api.metrics import MULTIPROCESS_ENV
    from broker.entrypoints.api.protocol import event_loop, http_protocol

    config = settings()
    # Build once in the parent so that migrations and configuration errors surface here.
    build(config).close()
    if workers > 1:
        # One set of counters across workers: prometheus_client's multiprocess mode.
        metrics_dir = config.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(mode=0o700, parents=True)
        os.environ[MULTIPROCESS_ENV] = str(metrics_dir.resolve())
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
    if workers == 1:
        uvicorn.Server(server_config).run()
        return
    from uvicorn.supervisors import Multiprocess

    sock = server_config.bind_socket()
    # Workers accept from this shared socket; without TCP_NODELAY on it (asyncio only sets it
    # on sockets it creates itself) every small response waits ~40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(server_config, sockets=[sock]).run()


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the broker's own loggers (jobs, problems, the vault) beside it."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["broker"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def worker() -> None:
    """Run the scheduled jobs (purge, grant expiry, review deadlines, ...) in the foreground."""
    import logging.config

    from broker.entrypoints.jobs import build_scheduler

    logging.config.dictConfig(log_config())
    with open_broker() as broker:
        out.print("worker: purge every 10 min, grant expiry every minute, review deadlines hourly, "
                  "redaction every 6 s")
        build_scheduler(broker, blocking=True).start()


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
) -> None:
    """Purge footage past its retention that no active hold covers (or list it with --dry-run)."""
    moment = aware(as_of, "--as-of")
    with open_broker() as broker:
        report = broker.sweeps.purge(as_of=moment, dry_run=dry_run)
    if dry_run:
        table = Table("clip", "camera", "window end", "due", "verdict",
                      title=f"would purge as of {report.as_of.isoformat()}")
        for verdict in report.verdicts:
            clip = verdict.clip
            what = verdict.reason or f"kept: hold {', '.join(verdict.held_by)}"
            table.add_row(clip.clip_id, clip.camera_id, clip.end.isoformat(),
                          clip.due_at.isoformat(), what)
        out.print(table)
    out.print(f"as of {report.as_of.isoformat()}: {report.due} due, {report.kept_by_hold} kept by "
              f"holds" + ("" if dry_run else f", {report.purged} purged"))
