"""``broker clients``: API clients and their keys."""

from __future__ import annotations

from operator import itemgetter
from typing import Annotated

import typer

from broker.domain.roles import Role
from broker.entrypoints.cli.common import Format, emit, open_broker, out, shell

app = typer.Typer(no_args_is_help=True, help="API clients and their keys.")


@app.command("add")
def add(
    role: Annotated[Role, typer.Option(help="the client's role")],
    agency: Annotated[str, typer.Option(help="the agency the client acts for")],
    name: Annotated[str | None, typer.Option(help="a label for the client")] = None,
) -> None:
    """Create a client and print its API key once (only its hash is stored)."""
    with open_broker() as broker:
        client_id, api_key = broker.clients.register(
            shell(), name=name or f"{agency} ({role.value})", role=role, agency=agency)
    out.print(f"client id: {client_id}")
    out.print("api key (shown once, store it now):")
    print(api_key)


@app.command("list")
def list_(
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.table,
) -> None:
    """List clients (never their keys)."""
    with open_broker() as broker:
        rows = broker.clients.list(shell())
    emit(rows, [(name, itemgetter(name)) for name in ("id", "name", "role", "agency", "status")],
         fmt)


@app.command("revoke")
def revoke(
    client_id: str,
    reason: Annotated[str, typer.Option(help="why the key is revoked")] = "revoked by operator",
) -> None:
    """Revoke a client's key; it is refused from the next request on."""
    with open_broker() as broker:
        broker.clients.revoke(shell(), client_id, reason)
    out.print(f"revoked {client_id}")
