"""``broker``: the operator's command line, one module per command group.

Each command parses its options, makes one application call and prints the answer; errors
are one line on stderr (exit 1), configuration errors exit 2.
"""

from __future__ import annotations

import os
import sys

import typer

from broker.entrypoints.cli import (
    audit,
    cameras,
    clients,
    clips,
    export,
    keys,
    policy,
    service,
    users,
    witness,
)
from broker.entrypoints.cli.common import err
from broker.errors import BrokerError, ConfigurationError

cli = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="footage-broker: the operator's command line (serve, demo, clients, ...).")
service.register(cli)
clips.register(cli)
cli.add_typer(clients.app, name="clients")
cli.add_typer(cameras.app, name="cameras")
cli.add_typer(policy.app, name="policy")
cli.add_typer(keys.app, name="keys")
cli.add_typer(audit.app, name="audit")
cli.add_typer(export.app, name="export")
cli.add_typer(witness.app, name="witness")
cli.add_typer(users.app, name="users")


def main() -> None:
    os.umask(0o077)  # everything the broker writes (stores, logs, exports) is its own alone
    try:
        cli()
    except ConfigurationError as exc:
        err.print(f"configuration error: {exc.detail}", markup=False)
        sys.exit(2)
    except BrokerError as exc:
        err.print(f"error: {exc.detail}", markup=False)
        sys.exit(1)
