"""``broker``: the operator's command line (serve, demo, clients, cameras, ...)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from broker.bootstrap import Broker, build
from broker.config import Settings, load_settings
from broker.domain.roles import Role
from broker.errors import BrokerError, ConfigurationError

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
clients_cli = typer.Typer(no_args_is_help=True, help="API clients and their keys.")
cameras_cli = typer.Typer(no_args_is_help=True, help="The camera registry.")
cli.add_typer(clients_cli, name="clients")
cli.add_typer(cameras_cli, name="cameras")
policy_cli = typer.Typer(no_args_is_help=True, help="Legal-basis policy packs.")
cli.add_typer(policy_cli, name="policy")
keys_cli = typer.Typer(no_args_is_help=True, help="Key-encryption and signing keys in keys/.")
cli.add_typer(keys_cli, name="keys")

out = Console()
err = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    return load_settings()


@contextmanager
def open_broker() -> Iterator[Broker]:
    broker = build(settings())
    try:
        yield broker
    finally:
        broker.close()


@cli.command()
def init() -> None:
    """Create keys (if absent), the data directory and the read-model schema (idempotent)."""
    config = settings()
    _ensure_keys(config)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    with open_broker():
        pass
    out.print(f"ready: data in {config.data_dir}, keys in {config.keys_dir}")


def _ensure_keys(config: Settings) -> bool:
    from broker.adapters.vault import kek

    created = False
    if not kek.kek_path(config.keys_dir).exists():
        kek.init_keyfile(config.keys_dir)
        created = True
    kek.load_keyring(config.keys_dir)
    kek.load_or_create_signing_key(config.keys_dir)
    return created


@cli.command()
def worker() -> None:
    """Run the scheduled jobs (purge, grant expiry, review deadlines) in the foreground."""
    from broker.entrypoints.jobs import build_scheduler

    with open_broker() as broker:
        out.print("worker: purge every 10 min, grant expiry every minute, review deadlines hourly")
        build_scheduler(broker, blocking=True).start()


@cli.command()
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would go; change nothing")] = False,
    as_of: Annotated[str | None, typer.Option(help="judge at this time (RFC 3339); dry runs only")] = None,
) -> None:
    """Purge footage past its retention that no active hold covers (or list it with --dry-run)."""
    from broker.application.sweeps import run_purge
    from broker.errors import InvalidInput

    moment = _aware(as_of, "--as-of")
    with open_broker() as broker:
        try:
            report = run_purge(broker, as_of=moment, dry_run=dry_run)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
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


@keys_cli.command("init")
def keys_init() -> None:
    """Create the key-encryption-key file and the signing key (mode 0600); never overwrites."""
    config = settings()
    created = _ensure_keys(config)
    out.print(f"keys {'created' if created else 'already present'} in {config.keys_dir}")


@keys_cli.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option(min=1, help="data keys re-wrapped per transaction")] = 500,
    remove_unused: Annotated[bool, typer.Option(help="drop retired KEK versions nothing uses")] = False,
) -> None:
    """Add a KEK version and re-wrap every data key (resumable after a crash)."""
    from broker.adapters.vault.rotation import rotate
    from broker.bootstrap import open_keystore

    config = settings()
    keystore = open_keystore(config)
    try:
        report = rotate(keystore, config.keys_dir, batch_size, remove_unused=remove_unused)
    finally:
        keystore.close()
    out.print(f"active KEK version {report.active} ({'resumed' if report.resumed else 'new'}): "
              f"{report.rewrapped} data keys re-wrapped, retired {list(report.retired)}, "
              f"removed {list(report.removed)}, {sum(report.remaining.values())} left on old versions")


@keys_cli.command("public")
def keys_public() -> None:
    """Print the broker's Ed25519 public key (PEM) and its key id, for offline verification."""
    from broker.adapters.vault import kek

    info = kek.export_public_key(kek.load_or_create_signing_key(settings().keys_dir))
    out.print(f"key id: {info.key_id}")
    print(info.pem, end="")


@cli.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    camera: Annotated[str, typer.Option(help="camera id")],
    start: Annotated[str, typer.Option(help="window start, RFC 3339 with zone")],
    end: Annotated[str, typer.Option(help="window end (exclusive), RFC 3339 with zone")],
    idempotency_key: Annotated[str | None, typer.Option(help="makes retries safe")] = None,
) -> None:
    """Encrypt a clip file into the vault (streamed; constant memory)."""
    from uuid import UUID

    from broker.errors import InvalidInput

    try:
        camera_id = UUID(camera)
    except ValueError:
        raise InvalidInput(f"--camera {camera!r} is not a camera id") from None
    window = (_aware(start, "--start"), _aware(end, "--end"))

    def chunks() -> Iterator[bytes]:
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    with open_broker() as broker:
        clip, replayed = broker.app.ingest_clip(
            camera_id=camera_id, start=window[0], end=window[1], chunks=chunks(),
            ingested_by="cli", idempotency_key=idempotency_key)
        broker.projector.catch_up()
    out.print(f"clip {clip.id}: {clip.size} bytes, sha256 {clip.sha256}"
              f"{' (already ingested)' if replayed else ''}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (BROKER_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (BROKER_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    config = settings()
    # Build once in the parent so that migrations and configuration errors surface here.
    build(config).close()
    server_config = uvicorn.Config(
        "broker.entrypoints.api.main:app_from_environment",
        factory=True,
        host=host or config.host,
        port=port or config.port,
        workers=workers,
        proxy_headers=False,
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


@cli.command()
def demo(
    clients_file: Annotated[Path | None, typer.Option(help="where demo API keys go")] = None,
) -> None:
    """Load the Daejeon-like demo cameras and one client per role (idempotent)."""
    from broker.application.demo import load_demo
    from broker.readmodel.client_view import list_clients

    config = settings()
    target = clients_file or config.data_dir / "demo-clients.json"
    with open_broker() as broker:
        with broker.readmodel.reader.connect() as conn:
            known = {row["id"] for row in list_clients(conn)}
        summary = load_demo(broker.app, target, known)
        broker.projector.catch_up()
    out.print(
        f"demo: {summary['cameras']} cameras ({summary['cameras_created']} new), "
        f"{summary['clients_created']} clients created; keys in {target} (mode 0600)"
    )


@clients_cli.command("add")
def clients_add(
    role: Annotated[Role, typer.Option(help="the client's role")],
    agency: Annotated[str, typer.Option(help="the agency the client acts for")],
    name: Annotated[str | None, typer.Option(help="a label for the client")] = None,
) -> None:
    """Create a client and print its API key once (only its hash is stored)."""
    with open_broker() as broker:
        client_id, api_key = broker.app.register_client(
            name=name or f"{agency} ({role.value})", role=role.value, agency=agency
        )
        broker.projector.catch_up()
    out.print(f"client id: {client_id}")
    out.print("api key (shown once, store it now):")
    print(api_key)


@clients_cli.command("list")
def clients_list() -> None:
    """List clients (never their keys)."""
    from broker.readmodel.client_view import list_clients

    with open_broker() as broker, broker.readmodel.reader.connect() as conn:
        rows = list_clients(conn)
    table = Table("name", "role", "agency", "status")
    table.add_column("id", no_wrap=True, min_width=36)
    for row in rows:
        table.add_row(row["name"], row["role"], row["agency"], row["status"], row["id"])
    out.print(table)


@clients_cli.command("revoke")
def clients_revoke(
    client_id: str,
    reason: Annotated[str, typer.Option(help="why the key is revoked")] = "revoked by operator",
) -> None:
    """Revoke a client's key; it is refused from the next request on."""
    from broker.domain.client import client_uuid

    with open_broker() as broker:
        broker.app.revoke_client(client_uuid(client_id), reason)
        broker.projector.catch_up()
    out.print(f"revoked {client_id}")


@cameras_cli.command("import")
def cameras_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import Korea's public CCTV standard data CSV (UTF-8, UTF-8 BOM or CP949) or English CSV."""
    from broker.adapters.importers.camera_csv import CsvFormatError
    from broker.application.camera_import import import_cameras

    with open_broker() as broker:
        try:
            report = import_cameras(broker.app, file.read_bytes())
        except CsvFormatError as exc:
            raise BrokerError(str(exc)) from None
        broker.projector.catch_up()
    out.print(
        f"{file.name} ({report.encoding}): {report.rows} rows; cameras created {report.created}, "
        f"updated {report.updated}, unchanged {report.unchanged}; {len(report.errors)} bad rows"
    )
    for line, reason in report.errors:
        err.print(f"  line {line}: {reason}", markup=False)


audit_cli = typer.Typer(no_args_is_help=True, help="The audit trail, ledger and tamper evidence.")
cli.add_typer(audit_cli, name="audit")


def _cli_actor() -> dict[str, str]:
    import getpass

    return {"client_id": f"cli:{getpass.getuser()}", "role": "cli", "agency": "local shell"}


def _aware(value: str | None, option: str) -> Any:
    from datetime import datetime

    from broker.errors import InvalidInput

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{option} needs a timezone, e.g. 2026-11-01T00:00:00+09:00")
    return moment


@audit_cli.command("query")
def audit_query_command(
    camera: Annotated[str | None, typer.Option(help="camera id")] = None,
    agency: Annotated[str | None, typer.Option(help="actor agency")] = None,
    client: Annotated[str | None, typer.Option(help="actor client id")] = None,
    request: Annotated[str | None, typer.Option(help="footage request id")] = None,
    event_type: Annotated[str | None, typer.Option(help="e.g. FootageRequest.Viewed")] = None,
    legal_basis: Annotated[str | None, typer.Option(help="legal basis id")] = None,
    start: Annotated[str | None, typer.Option("--from", help="RFC 3339, inclusive")] = None,
    end: Annotated[str | None, typer.Option("--to", help="RFC 3339, exclusive")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """Who did what, when, on which basis: the same filters as GET /v1/audit/events."""
    import json as jsonlib

    from broker.readmodel import audit_query

    flt = audit_query.AuditFilter(camera_id=camera, agency=agency, client_id=client,
                                  request_id=request, event_type=event_type,
                                  legal_basis=legal_basis, start=_aware(start, "--from"),
                                  end=_aware(end, "--to"))
    with open_broker() as broker:
        broker.app.record_audit_access(**_cli_actor(), what="audit.events",
                                       filters=flt.as_record())
        broker.projector.catch_up()
        with broker.readmodel.reader.connect() as conn:
            items, _ = audit_query.query_events(conn, flt, limit=limit)
    if fmt == "json":
        print(jsonlib.dumps(items, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        sys.stdout.buffer.write(audit_query.to_csv(items))
    else:
        table = Table("pos", "at", "event", "actor", "agency", "basis", "cameras", "outcome")
        for item in items:
            table.add_row(str(item["position"]), item["at"], item["event_type"],
                          item["actor"]["client_id"] or "", item["actor"]["agency"] or "",
                          item["legal_basis"] or "", " ".join(c[:8] for c in item["camera_ids"]),
                          item["outcome"] or "")
        out.print(table)


@audit_cli.command("ledger")
def audit_ledger(
    start: Annotated[str | None, typer.Option("--from", help="RFC 3339, inclusive")] = None,
    end: Annotated[str | None, typer.Option("--to", help="RFC 3339, exclusive")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
) -> None:
    """The provision ledger (PIPA Art. 18(4)-(5), Enforcement Decree Art. 15)."""
    import json as jsonlib

    from broker.readmodel import ledger_view

    window = (_aware(start, "--from"), _aware(end, "--to"))
    with open_broker() as broker:
        broker.app.record_audit_access(**_cli_actor(), what="audit.ledger",
                                       filters={k: v for k, v in (("from", start), ("to", end)) if v})
        broker.projector.catch_up()
        with broker.readmodel.reader.connect() as conn:
            rows = ledger_view.ledger_rows(conn, *window)
    if fmt == "json":
        print(jsonlib.dumps(rows, ensure_ascii=False, indent=2))
    else:
        sys.stdout.buffer.write(ledger_view.to_csv(rows))


@audit_cli.command("verify")
def audit_verify(
    public_key: Annotated[Path | None, typer.Option(help="verify checkpoints with this PEM key")] = None,
) -> None:
    """Recompute the Merkle tree from the event store; exit 1 at the first divergence."""
    from broker.application import oversight as audit

    key = _load_public_key(public_key) if public_key else None
    with open_broker() as broker:
        report = audit.verify_chain(broker, key)
    if report.ok:
        out.print(f"OK: {report.events_checked} events verified, tree size {report.tree_size}, "
                  f"{report.checkpoints_verified} signed checkpoints match; "
                  f"{report.events_not_yet_in_tree} newer events not yet in the tree")
        return
    err.print(f"FAIL: {report.reason}", markup=False)
    if report.first_bad_event:
        err.print(f"first divergent stored event: {report.first_bad_event}", markup=False)
    raise typer.Exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the current tree head now (the scheduler does this every 10 minutes)."""
    from broker.application import oversight as audit

    with open_broker() as broker:
        note = audit.checkpoint(broker)
    print(note or "the log is empty: nothing to sign")


@audit_cli.command("export-checkpoints")
def audit_export_checkpoints(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="where to write the JSON")],
) -> None:
    """Signed checkpoints and the public key, for an outside party to verify offline."""
    import json as jsonlib

    from broker.application import oversight as audit

    with open_broker() as broker:
        payload = {"key_name": audit.KEY_NAME, "public_key_raw_base64": audit.public_key_b64(broker),
                   "checkpoints": audit.signed_checkpoints(broker)}
    file.write_text(jsonlib.dumps(payload, indent=2), encoding="utf-8")
    out.print(f"{len(payload['checkpoints'])} checkpoints written to {file}")


def _load_public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise BrokerError(f"{path} is not an Ed25519 public key")
    return key


export_cli = typer.Typer(no_args_is_help=True, help="Signed evidence packages.")
cli.add_typer(export_cli, name="export")


@export_cli.command("verify")
def export_verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    public_key: Annotated[Path | None, typer.Option(
        help="the broker's public key (PEM, from GET /v1/keys/public); default: this broker's")] = None,
) -> None:
    """Check an export offline: manifest signature, then every clip's SHA-256 and size."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from broker.adapters.evidence import verify_package
    from broker.adapters.vault import kek

    if public_key is not None:
        key = load_pem_public_key(public_key.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise BrokerError(f"{public_key} is not an Ed25519 public key")
    else:
        keys_dir = settings().keys_dir
        if not (keys_dir / kek.SIGNING_FILE).exists():
            raise BrokerError(f"no signing key in {keys_dir}; pass --public-key with the broker's "
                              "public key (GET /v1/keys/public)")
        key = kek.load_or_create_signing_key(keys_dir).public_key()
    check = verify_package(file, key)
    if not check.ok:
        for problem in check.problems:
            err.print(f"FAIL {problem}", markup=False)
        raise typer.Exit(1)
    manifest = check.manifest or {}
    out.print(f"OK {file.name}: {len(manifest.get('clips', []))} clips, signed by key "
              f"{manifest.get('signing_key_id')}, legal basis {manifest.get('legal_basis', {}).get('id')}, "
              f"recipient {manifest.get('recipient', {}).get('agency')}", markup=False)


@policy_cli.command("check")
def policy_check(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="a policy pack (TOML)")],
) -> None:
    """Validate a pack and print its digest and bases (exit 1 with the offending field if invalid)."""
    from broker.policy import describe, load_pack

    print(describe(load_pack(file)))


def main() -> None:
    try:
        cli()
    except ConfigurationError as exc:
        err.print(f"configuration error: {exc.detail}", markup=False)
        sys.exit(2)
    except BrokerError as exc:
        err.print(f"error: {exc.detail}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
