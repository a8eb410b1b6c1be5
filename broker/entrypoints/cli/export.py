"""``broker export``: check signed evidence packages offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from broker.adapters.evidence import verify_package
from broker.adapters.vault import kek
from broker.entrypoints.cli.common import err, load_public_key, out, settings
from broker.errors import BrokerError

app = typer.Typer(no_args_is_help=True, help="Signed evidence packages.")


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    public_key: Annotated[Path | None, typer.Option(
        help="the broker's public key (PEM, from GET /v1/keys/public); default: this broker's")] = None,
) -> None:
    """Check an export offline: manifest signature, then every clip's and document's (the
    chain-of-custody report's) SHA-256 and size."""
    if public_key is not None:
        key = load_public_key(public_key)
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
    documents = len(manifest.get("documents", []))
    listed = f" and {documents} document{'s' if documents != 1 else ''}" if documents else ""
    out.print(f"OK {file.name}: {len(manifest.get('clips', []))} clips{listed}, signed by key "
              f"{manifest.get('signing_key_id')}, legal basis {manifest.get('legal_basis', {}).get('id')}, "
              f"recipient {manifest.get('recipient', {}).get('agency')}", markup=False)
