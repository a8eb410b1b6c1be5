"""``broker analytics``: what the city learns from its requests, in aggregates."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from broker.common.grid import BASE_CELL_M
from broker.entrypoints.cli.common import aware, open_broker, out, shell
from broker.readmodel import coverage

app = typer.Typer(no_args_is_help=True, help="Coverage analytics (aggregates only).")


@app.command("coverage")
def coverage_command(
    start: Annotated[str | None, typer.Option(
        "--from", help="RFC 3339, inclusive (default: a year before --to)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="RFC 3339, exclusive (default: now)")] = None,
    cell_m: Annotated[int, typer.Option(
        "--cell-m", help="cell size: 250, 500, 1000, ... 16000 m")] = BASE_CELL_M,
    min_count: Annotated[int, typer.Option("--min-count", help="k: smaller cells are suppressed (>= 5)")] = (
        coverage.MIN_COUNT),
    legal_basis: Annotated[str | None, typer.Option("--legal-basis")] = None,
    agency_kind: Annotated[str | None, typer.Option("--agency-kind", help="police, fire, ...")] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="blind spots to name")] = 10,
    fmt: Annotated[str, typer.Option("--format", help="table, json, geojson or csv")] = "table",
) -> None:
    """Where should the next cameras go? Requests per grid cell, blind spots (requested cells no
    fixed camera reaches) with the nearest camera's address, cameras no request named within
    their retention, drone-station reach."""
    with open_broker() as broker:
        report = broker.analytics.coverage(
            shell(), aware(start, "--from"), aware(end, "--to"), cell_m=cell_m,
            min_count=min_count, legal_basis=legal_basis, agency_kind=agency_kind, top=top)
    if fmt == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif fmt == "geojson":
        print(json.dumps(coverage.to_geojson(report), ensure_ascii=False))
    elif fmt == "csv":
        sys.stdout.buffer.write(coverage.to_csv(report))
    else:
        summary(report)


def summary(report: dict[str, Any]) -> None:
    requests, blind = report["requests"], report["blind_spots"]
    period = report["period"]
    out.print(f"{period['from']} to {period['to']}, {report['cell_m']} m cells, "
              f"k = {report['min_count']}", markup=False)
    out.print(f"requests: {requests['total']} ({requests['in_listed_cells']} in "
              f"{len(report['cells'])} listed cells, {requests['in_suppressed_cells']} in "
              f"{report['suppressed_cells']} suppressed cells, {requests['without_cell']} "
              "without a cell)", markup=False)
    out.print(f"blind spots: {blind['count']} cells with {blind['requests']} requests",
              markup=False)
    if blind["top"]:
        table = Table("cell", "requests", "nearest camera", "address", "drone reach")
        for spot in blind["top"]:
            camera = spot["nearest_camera"]
            table.add_row(spot["cell"], str(spot["requests"]),
                          f"{camera['distance_m']} m" if camera else "none",
                          camera["address"] if camera else "",
                          "yes" if spot["drone_reach"] else "no")
        out.print(table)
    idle = report["idle_cameras"]
    out.print(f"cameras never requested within their retention: {idle['count']} of "
              f"{report['cameras']['active']} active", markup=False)
    for drone in report["drone_stations"]:
        out.print(f"drone station {drone['name']} ({drone['reach_m']:g} m): "
                  f"{drone['cells_in_reach']} cells, {drone['requests_in_reach']} requests, "
                  f"{drone['blind_spots_in_reach']} blind spots in reach", markup=False)
