"""``broker cameras``: the camera registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from broker.entrypoints.cli.common import err, open_broker, out, shell

app = typer.Typer(no_args_is_help=True, help="The camera registry.")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import Korea's public CCTV standard data CSV (UTF-8, UTF-8 BOM or CP949) or English CSV."""
    with open_broker() as broker:
        report = broker.cameras.import_csv(shell(), file.read_bytes())
    out.print(
        f"{file.name} ({report.encoding}): {report.rows} rows; cameras created {report.created}, "
        f"updated {report.updated}, unchanged {report.unchanged}; {len(report.errors)} bad rows"
    )
    for line, reason in report.errors:
        err.print(f"  line {line}: {reason}", markup=False)
