"""``broker audit``: the audit trail, the ledger and tamper evidence from the shell."""

from __future__ import annotations

import json
import sys
from operator import itemgetter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from broker.adapters.checkpoint_sources import load_notes
from broker.entrypoints.cli.common import (
    Format,
    aware,
    emit,
    err,
    load_public_key,
    open_broker,
    out,
    parse_key,
    progress_bar,
    shell,
    table_console,
)
from broker.readmodel import audit_query, ledger_view
from broker.readmodel.audit_query import AuditFilter

app = typer.Typer(no_args_is_help=True, help="The audit trail, ledger and tamper evidence.")


@app.command("query")
def query(
    camera: Annotated[str | None, typer.Option(help="camera: its key, id or 관리번호")] = None,
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
    if fmt not in ("table", "json", "csv"):
        raise typer.BadParameter("--format is table, json or csv")
    flt = AuditFilter(camera_id=camera, agency=agency, client_id=client, request_id=request,
                      event_type=event_type, legal_basis=legal_basis,
                      start=aware(start, "--from"), end=aware(end, "--to"))
    with open_broker() as broker:
        items = broker.oversight.audit_events(shell(), flt, limit=limit, output=fmt)["items"]
    if fmt == "json":
        print(json.dumps(items, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        sys.stdout.buffer.write(audit_query.to_csv(items))
    else:
        table = Table("pos", "at", "event", "actor", "agency", "basis", "cameras", "outcome")
        for item in items:
            table.add_row(str(item["position"]), item["at"], item["event_type"],
                          item["actor"]["client_id"] or "", item["actor"]["agency"] or "",
                          item["legal_basis"] or "", " ".join(item["camera_ids"]),
                          item["outcome"] or "")
        table_console().print(table)


@app.command("ledger")
def ledger(
    start: Annotated[str | None, typer.Option("--from", help="RFC 3339, inclusive")] = None,
    end: Annotated[str | None, typer.Option("--to", help="RFC 3339, exclusive")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, json or table")] = "csv",
) -> None:
    """The provision ledger (PIPA Art. 18(4)-(5), Enforcement Decree Art. 15)."""
    if fmt not in ("csv", "json", "table"):
        raise typer.BadParameter("--format is csv, json or table")
    with open_broker() as broker:
        rows = broker.oversight.ledger(shell(), aware(start, "--from"), aware(end, "--to"),
                                       output="json" if fmt == "table" else fmt)["items"]
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "table":
        names = list(rows[0]) if rows else ["provided_at"]
        emit(rows, [(name, itemgetter(name)) for name in names], Format.table)
    else:
        sys.stdout.buffer.write(ledger_view.to_csv(rows))


@app.command("verify")
def verify(
    checkpoints: Annotated[list[str] | None, typer.Option(
        "--checkpoints", help="checkpoints held elsewhere: a file (checkpoint log or export) or "
                              "a broker's URL; repeatable")] = None,
    log_key: Annotated[str | None, typer.Option(
        help="the log's verifier key (vkey) as you recorded it; default: this broker's key")] = None,
    public_key: Annotated[Path | None, typer.Option(help="or the log's key as a PEM file")] = None,
    witness_key: Annotated[str | None, typer.Option(
        help="require a cosignature of this witness (its vkey) on an anchoring checkpoint")] = None,
) -> None:
    """Recompute the Merkle tree from the event store and hold it to every checkpoint: those
    the broker keeps and those given with --checkpoints. Exit 1 unless a checkpoint anchors
    the log and none disagrees; the first divergent event is named where it can be."""
    key = parse_key(log_key, "--log-key") if log_key else (
        load_public_key(public_key) if public_key else None)
    witness = parse_key(witness_key, "--witness-key") if witness_key else None
    independent = [note for source in checkpoints or () for note in load_notes(source)]
    with open_broker() as broker, progress_bar("verify") as progress:
        report = broker.oversight.verify_report(shell(), key, independent, witness,
                                                progress=progress)
    if report.ok:
        out.print(f"OK: {report.events_checked} events verified, tree size {report.tree_size}, "
                  f"{report.checkpoints_verified} signed checkpoints match"
                  f"{' (cosigned by ' + witness.name + ')' if witness else ''}; "
                  f"{report.events_not_yet_in_tree} newer events not yet in the tree")
        return
    err.print(f"FAIL: {report.reason}", markup=False)
    if report.first_bad_event:
        err.print(f"first divergent stored event: {report.first_bad_event}", markup=False)
    raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign the current tree head now (the scheduler does this every 10 minutes)."""
    with open_broker() as broker:
        note = broker.oversight.checkpoint(shell())
    print(note or "the log is empty: nothing to sign")


@app.command("export-checkpoints")
def export_checkpoints(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="where to write the JSON")],
) -> None:
    """Signed checkpoints and the public key, for an outside party to verify offline."""
    with open_broker() as broker:
        listing = broker.oversight.checkpoints(limit=10**9)
    payload = {"origin": listing["origin"], "log_key": listing["log_key"],
               "key_name": listing["key_name"],
               "public_key_raw_base64": listing["public_key_raw_base64"],
               "checkpoints": listing["items"]}
    file.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    out.print(f"{len(payload['checkpoints'])} checkpoints written to {file}")
