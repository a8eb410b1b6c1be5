"""``broker keys``: the key-encryption keys and the signing key in ``keys/``.

These administer files and the keystore, not the event log, so they call the vault's own
functions (through the bootstrap's keystore) rather than a use case.
"""

from __future__ import annotations

from typing import Annotated

import typer

from broker.adapters.vault import kek
from broker.config import Settings
from broker.entrypoints.cli.common import out, progress_bar, require_initialised, settings

app = typer.Typer(no_args_is_help=True, help="Key-encryption and signing keys in keys/.")


def ensure_keys(config: Settings) -> bool:
    """Create the KEK file and the signing key if absent; True if the KEK file was created."""
    created = False
    if not kek.kek_path(config.keys_dir).exists():
        kek.init_keyfile(config.keys_dir)
        created = True
    kek.load_keyring(config.keys_dir)
    kek.load_or_create_signing_key(config.keys_dir)
    return created


@app.command("init")
def init() -> None:
    """Create the key-encryption-key file and the signing key (mode 0600); never overwrites."""
    config = settings()
    created = ensure_keys(config)
    out.print(f"keys {'created' if created else 'already present'} in {config.keys_dir}")


@app.command("rotate")
def rotate(
    batch_size: Annotated[int, typer.Option(min=1, help="data keys re-wrapped per transaction")] = 500,
    remove_unused: Annotated[bool, typer.Option(
        help="after rotating, also drop retired KEK versions nothing uses (to drop them "
             "without rotating: `broker keys prune`)")] = False,
) -> None:
    """Add a KEK version and re-wrap every data key (resumable after a crash: a rotation left
    unfinished is continued, not started again)."""
    from broker.adapters.vault.rotation import rotate as rotate_keys
    from broker.bootstrap import open_keystore

    config = settings()
    require_initialised(config)
    keystore = open_keystore(config)
    try:
        with progress_bar("rotate") as progress:
            report = rotate_keys(keystore, config.keys_dir, batch_size, remove_unused=remove_unused,
                                 progress=progress)
    finally:
        keystore.close()
    out.print(f"active KEK version {report.active} ({'resumed' if report.resumed else 'new'}): "
              f"{report.rewrapped} data keys re-wrapped, retired {list(report.retired)}, "
              f"removed {list(report.removed)}, {sum(report.remaining.values())} left on old versions")


@app.command("prune")
def prune() -> None:
    """Drop retired KEK versions that no data key uses; rotates nothing.

    Do it once keystore backups older than the last rotation are gone: a backup's data keys
    (shredded ones included) cannot be unwrapped without the versions that wrapped them."""
    from broker.adapters.vault.rotation import prune as prune_keys
    from broker.bootstrap import open_keystore

    config = settings()
    require_initialised(config)
    keystore = open_keystore(config)
    try:
        removed = prune_keys(keystore, config.keys_dir)
    finally:
        keystore.close()
    keyring = kek.load_keyring(config.keys_dir)
    out.print(f"removed KEK versions {list(removed)}; kept {list(keyring.versions)} "
              f"(active {keyring.active})" if removed else
              f"nothing to remove; KEK versions {list(keyring.versions)} (active {keyring.active})")


@app.command("public")
def public() -> None:
    """Print the broker's Ed25519 public key (PEM) and its key id, for offline verification."""
    config = settings()
    require_initialised(config)
    info = kek.export_public_key(kek.load_or_create_signing_key(config.keys_dir))
    out.print(f"key id: {info.key_id}")
    print(info.pem, end="")
