"""``broker witness``: cosign a broker's checkpoints from outside, with a key of one's own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.adapters.checkpoint_archive import CheckpointLogFile
from broker.adapters.checkpoint_sources import fetch_json, fetch_text
from broker.adapters.durable import write_private
from broker.application.witness import cosign_latest
from broker.entrypoints.cli.common import out, parse_key, read_file
from broker.errors import BrokerError
from broker.merkle import CheckpointError, VerifierKey

app = typer.Typer(no_args_is_help=True, help="Witness a broker's audit log (keep your own key).")


@app.command("init")
def init(
    key: Annotated[Path, typer.Option(help="where the witness's private key goes (mode 0600)")],
    name: Annotated[str, typer.Option(help="the witness's name, e.g. witness.court.example")],
) -> None:
    """Create a witness key and print its verifier key (give that to auditors)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        write_private(key, pem, exclusive=True)
    except FileExistsError:
        raise BrokerError(f"{key} exists; a witness key is never overwritten") from None
    out.print(str(VerifierKey.cosignature(name, private.public_key())), markup=False)


@app.command("cosign")
def cosign(
    log: Annotated[str, typer.Option(help="the broker's base URL")],
    log_key: Annotated[str, typer.Option(help="the log's verifier key (vkey), as you recorded it")],
    key: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="the witness's key")],
    name: Annotated[str, typer.Option(help="the witness's name (as in its vkey)")],
    state: Annotated[Path, typer.Option(help="the witness's own file of cosigned checkpoints")],
) -> None:
    """Check the log's newest checkpoint against the last one cosigned, and cosign it."""
    try:
        private = serialization.load_pem_private_key(read_file(key, "witness key"), password=None)
    except (ValueError, TypeError):
        raise BrokerError(f"{key} is not an unencrypted PEM private key (`broker witness init` "
                          "makes one)") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise BrokerError(f"{key} is not an Ed25519 private key")
    base = log.rstrip("/")
    try:
        done = cosign_latest(
            latest=lambda: fetch_text(f"{base}/v1/audit/checkpoint"),
            proof=lambda old, new: fetch_json(f"{base}/v1/audit/proofs/consistency",
                                              {"from": old, "to": new})["proof"],
            log_key=parse_key(log_key, "--log-key"), witness_key=private, witness_name=name,
            state=CheckpointLogFile(state), now=datetime.now(UTC))
    except CheckpointError as exc:
        raise BrokerError(f"not cosigned: {exc.detail}") from None
    out.print(f"cosigned tree size {done.tree_size} (consistent with {done.previous_size})")
