"""``broker cameras``: the camera registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from broker.entrypoints.cli.common import (
    Format,
    emit,
    err,
    open_broker,
    out,
    parse_position,
    progress_bar,
    read_file,
    shell,
)

app = typer.Typer(no_args_is_help=True, help="The camera registry.")

COLUMNS: list[tuple[str, Any]] = [
    ("key", lambda c: c["key"]),
    ("id", lambda c: c["id"]),
    ("name", lambda c: c["name"]),
    ("agency", lambda c: c["agency"]),
    ("address", lambda c: c["address"]),
    ("lat", lambda c: c["location"]["lat"]),
    ("lon", lambda c: c["location"]["lon"]),
    ("retention_days", lambda c: c["retention_days"]),
    ("status", lambda c: c["status"]),
]
NEAR_COLUMNS = [("distance_m", lambda c: c.get("distance_m")), *COLUMNS]


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="the register (CSV)")],
    fmt: Annotated[str, typer.Option("--format", help="text (a summary) or json (the whole report)")]
    = "text",
    show: Annotated[int, typer.Option(min=0, help="rejected rows and warnings printed, each")] = 20,
) -> None:
    """Import a camera register: Korea's CCTV standard data (with 번호, or the newer layout with
    개방자치단체코드/관리번호) or an English CSV; UTF-8, UTF-8 with BOM or CP949.

    Rows with a usable position are imported; a blank 보관일수 (or 0) is a warning (the default
    applies), a number outside its range or no position rejects the row, each by line. Importing the next
    release of the same register updates the same cameras and lists which moved."""
    if fmt not in ("text", "json"):
        raise typer.BadParameter("--format is text or json")
    data = read_file(file, "register")
    with open_broker() as broker, progress_bar("import") as progress:
        report = broker.cameras.import_csv(shell(), data, progress=progress)
    if fmt == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    out.print(
        f"{file.name} ({report.encoding}, {report.layout}): {report.rows} rows: "
        f"{report.rows_imported} imported, {report.rows_with_warnings} with warnings, "
        f"{len(report.errors)} rejected", markup=False)
    out.print(
        f"cameras: created {report.created}, updated {report.updated} ({len(report.moved)} moved), "
        f"unchanged {report.unchanged}", markup=False)
    if report.not_in_file:
        out.print(f"{len(report.not_in_file)} active cameras of these agencies are not in this "
                  "file (kept; `--format json` lists them)", markup=False)
    for move in report.moved[:show]:
        out.print(f"  moved {move.distance_m:.1f} m: {move.key} (line {move.line})", markup=False)
    _lines(report.errors, "rejected", show)
    _lines(report.warnings, "warning", show)


def _lines(items: list[tuple[int, str]], what: str, show: int) -> None:
    for line, reason in items[:show]:
        err.print(f"  line {line}: {what}: {reason}", markup=False)
    if len(items) > show:
        err.print(f"  ... {len(items) - show} more {what} lines (--show N, or --format json)",
                  markup=False)


@app.command("list")
def list_(
    near: Annotated[str | None, typer.Option(help="LAT,LON: cameras around this point, nearest first")]
    = None,
    radius: Annotated[float, typer.Option(help="metres around --near")] = 200.0,
    agency: Annotated[str | None, typer.Option(help="only this agency's cameras (as registered)")]
    = None,
    all_: Annotated[bool, typer.Option("--all", help="decommissioned cameras too")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1_000_000)] = 1000,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.table,
) -> None:
    """List cameras by key (or nearest first with --near), with their full ids."""
    position = parse_position(near) if near else None
    with open_broker() as broker:
        cameras = broker.cameras.find(shell(), agency=agency, near=position, radius_m=radius,
                                      status=None if all_ else "active", limit=limit)
    emit(cameras, NEAR_COLUMNS if position else COLUMNS, fmt)


@app.command("find")
def find(
    text: Annotated[str | None, typer.Argument(
        help="part of a key, name, address or 관리번호")] = None,
    near: Annotated[str | None, typer.Option(help="LAT,LON: only around this point, nearest first")]
    = None,
    radius: Annotated[float, typer.Option(help="metres around --near")] = 200.0,
    limit: Annotated[int, typer.Option(min=1, max=1_000_000)] = 100,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.table,
) -> None:
    """Find a camera's key and id: by text, around a point, or both."""
    if text is None and near is None:
        raise typer.BadParameter("give a TEXT to look for, --near LAT,LON, or both")
    position = parse_position(near) if near else None
    with open_broker() as broker:
        cameras = broker.cameras.find(shell(), text=text, near=position, radius_m=radius,
                                      limit=limit, status=None)
    if not cameras and fmt is Format.table:
        err.print("no camera matches", markup=False)
        raise typer.Exit(1)
    emit(cameras, NEAR_COLUMNS if position else COLUMNS, fmt)


@app.command("show")
def show(
    camera: Annotated[str, typer.Argument(help="the camera's key, id or 관리번호")],
) -> None:
    """Everything the registry holds about one camera (JSON)."""
    with open_broker() as broker:
        details = broker.cameras.describe(shell(), camera)
    print(json.dumps(details, ensure_ascii=False, indent=2))


@app.command("decommission")
def decommission(
    camera: Annotated[str, typer.Argument(help="the camera's key, id or 관리번호")],
    reason: Annotated[str, typer.Option(help="why it is taken out of service")],
) -> None:
    """Take a camera out of service: it leaves searches; its footage and history stay."""
    with open_broker() as broker:
        details = broker.cameras.decommission(shell(), camera, reason)
    out.print(f"decommissioned {details['key']} ({details['id']})", markup=False)
