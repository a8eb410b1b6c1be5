"""``broker``: the operator's command line, one module per command group.

Each command parses its options, makes one application call and prints the answer. Errors
are one line on stderr, never a traceback. Exit codes:

    0  done (a verification that passed)
    1  an error, or a verification that failed (``audit verify``, ``export verify``)
    2  configuration or usage: bad settings, missing keys (``broker init`` not run), unknown
       options or commands
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from typer import _click

from broker import __version__
from broker.entrypoints.cli import (
    analytics,
    audit,
    cameras,
    clients,
    clips,
    export,
    keys,
    models,
    policy,
    service,
    users,
    witness,
)
from broker.entrypoints.cli.common import err
from broker.errors import BrokerError, ConfigurationError

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_INTERRUPTED = 0, 1, 2, 130

cli = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="footage-broker: the operator's command line (serve, demo, clients, ...). "
                       "Exit codes: 0 ok, 1 error or verification failed, 2 configuration or "
                       "usage error.")


def _version(value: bool) -> None:
    if value:
        print(f"footage-broker {__version__}")
        raise typer.Exit()


@cli.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    """footage-broker: the operator's command line."""


service.register(cli)
clips.register(cli)
cli.add_typer(clients.app, name="clients")
cli.add_typer(cameras.app, name="cameras")
cli.add_typer(policy.app, name="policy")
cli.add_typer(keys.app, name="keys")
cli.add_typer(audit.app, name="audit")
cli.add_typer(analytics.app, name="analytics")
cli.add_typer(export.app, name="export")
cli.add_typer(witness.app, name="witness")
cli.add_typer(models.app, name="models")
cli.add_typer(users.app, name="users")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code. Every failure is one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli(args=args, prog_name="broker", standalone_mode=False)
    except _click.exceptions.NoArgsIsHelpError:
        return EXIT_CONFIG  # a bare group (``broker cameras``): its help is already printed
    except _click.exceptions.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "broker"
        err.print(f"error: {_one_line(exc.format_message())} (see `{command} --help`)", markup=False)
        return EXIT_CONFIG
    except _click.exceptions.ClickException as exc:
        err.print(f"error: {_one_line(exc.format_message())}", markup=False)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted", markup=False)
        return EXIT_INTERRUPTED
    except ConfigurationError as exc:
        err.print(f"configuration error: {_one_line(exc.detail)}", markup=False)
        return EXIT_CONFIG
    except BrokerError as exc:
        err.print(f"error: {_one_line(exc.detail)}", markup=False)
        return EXIT_ERROR
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"error: {where}{exc.strerror or exc}", markup=False)
        return EXIT_ERROR
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    os.umask(0o077)  # everything the broker writes (stores, logs, exports) is its own alone
    sys.exit(run())
