"""``broker policy``: legal-basis policy packs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from broker.application.policies import check_pack

app = typer.Typer(no_args_is_help=True, help="Legal-basis policy packs.")


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="a policy pack (TOML)")],
) -> None:
    """Validate a pack and print its digest and bases (exit 1 with the offending field if invalid)."""
    print(check_pack(file))
