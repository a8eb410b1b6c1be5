"""``broker users``: people's console accounts (officers, auditors, operators)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from broker.application.people import NewCredentials
from broker.domain.roles import Role
from broker.entrypoints.cli.common import open_broker, out, shell

app = typer.Typer(no_args_is_help=True, help="People's console accounts.")


def _show(created: NewCredentials) -> None:
    """Secrets go to stdout once, plainly; nothing here is stored in the clear."""
    person = created.person
    out.print(f"account: {person['username']} ({person['role']}, {person['agency']}), "
              f"acts as {person['actor_id']}")
    if created.password:
        out.print("password (shown once; give it to the person by hand):")
        print(created.password)
    if created.totp_secret:
        out.print("TOTP secret (shown once; type it into an authenticator app, or open the URI):")
        print(created.totp_secret)
        print(created.totp_uri)


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="sign-in name: lower-case letters, digits, . _ -")],
    role: Annotated[Role, typer.Option(help="privacy_officer, auditor or operator")],
    agency: Annotated[str, typer.Option(help="the agency the person works for")],
    name: Annotated[str, typer.Option(help="the person's name, as the audit trail shows it")],
    totp: Annotated[bool, typer.Option(help="a second factor (always for officers and operators)")] = False,
) -> None:
    """Create a local account; its generated password and TOTP secret are printed once."""
    with open_broker() as broker:
        created = broker.people.add(shell(), username=username, display_name=name, role=role,
                                    agency=agency, totp=totp)
    _show(created)


@app.command("list")
def list_() -> None:
    """Every account (never a credential)."""
    with open_broker() as broker:
        rows = broker.people.list(shell())
    table = Table("username", "name", "role", "agency", "source", "totp", "status", "failures")
    for row in rows:
        table.add_row(row["username"], row["display_name"], row["role"], row["agency"],
                      row["source"], "yes" if row["totp"] else "no", row["status"],
                      str(row["failures"]))
    out.print(table)


@app.command("disable")
def disable(
    username: str,
    reason: Annotated[str, typer.Option(help="why the account is closed")] = "disabled by operator",
) -> None:
    """Close an account: it cannot sign in, and its open sessions end now."""
    with open_broker() as broker:
        broker.people.disable(shell(), username, reason)
    out.print(f"disabled {username}")


@app.command("enable")
def enable(username: str) -> None:
    """Open a disabled account again (its lockout is lifted too)."""
    with open_broker() as broker:
        broker.people.enable(shell(), username)
    out.print(f"enabled {username}")


@app.command("reset-password")
def reset_password(username: str) -> None:
    """A new generated password, printed once; open sessions end."""
    with open_broker() as broker:
        _show(broker.people.reset_password(shell(), username))


@app.command("reset-totp")
def reset_totp(username: str) -> None:
    """A new TOTP secret (a lost phone), printed once; open sessions end."""
    with open_broker() as broker:
        _show(broker.people.reset_totp(shell(), username))
