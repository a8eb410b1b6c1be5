"""``broker policy``: legal-basis policy packs: check a draft, diff it, replay history on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from broker.application.policies import check_pack, diff_packs
from broker.config import BUNDLED_PACKS
from broker.entrypoints.cli.common import aware, open_broker, out, shell
from broker.errors import InvalidInput

app = typer.Typer(no_args_is_help=True, help="Legal-basis policy packs.")


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="a policy pack (TOML)")],
) -> None:
    """Validate a pack and print its digest and bases (exit 1 with the offending field if invalid)."""
    print(check_pack(file))


def pack_path(name: str) -> Path:
    """A pack file, or the name of a bundled pack (``kr-pipa``, ``eu-gdpr-led``)."""
    path = Path(name)
    bundled = BUNDLED_PACKS / f"{name}.toml"
    if not path.exists() and path.suffix == "" and len(path.parts) == 1 and bundled.is_file():
        return bundled
    return path


@app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="a pack file or a bundled pack's name")],
    new: Annotated[str, typer.Argument(help="a pack file or a bundled pack's name")],
) -> None:
    """The rule changes from OLD to NEW: ~ changed, + added, - removed (bases by id)."""
    print(diff_packs(pack_path(old), pack_path(new)), end="")


@app.command("replay")
def replay(
    draft: Annotated[Path, typer.Argument(dir_okay=False, help="the draft pack (TOML)")],
    start: Annotated[str | None, typer.Option(
        "--from", help="RFC 3339, inclusive (default: a year before --to)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="RFC 3339, exclusive (default: now)")] = None,
    examples: Annotated[int, typer.Option(min=0, max=50, help="request ids per change")] = 5,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """What DRAFT would have decided on the requests recorded in the period, judged again with
    their recorded inputs against the cameras as they stood then; records nothing."""
    try:
        text = draft.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {draft}: {exc}") from None
    with open_broker() as broker:
        report = broker.policies.replay(shell(), text, aware(start, "--from"), aware(end, "--to"),
                                        examples=examples, source=str(draft))
    if fmt == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        summary(report)


def summary(report: dict[str, Any]) -> None:
    draft, active = report["draft"], report["active"]
    out.print(f"draft {draft['id']} {draft['version']} against active {active['id']} "
              f"{active['version']}: {len(report['diff'])} rule changes", markup=False)
    out.print(f"{report['period']['from']} to {report['period']['to']}: {report['requests']} "
              f"requests, {report['replayed']} replayed in {report['seconds']} s", markup=False)
    missing = report["not_replayable"]
    if missing["personal_data_erased"] or missing["undecided"]:
        out.print(f"not replayable: {missing['personal_data_erased']} with personal data erased, "
                  f"{missing['undecided']} undecided", markup=False)
    out.print(f"unchanged: {report['unchanged']}; same outcome, other reasons: "
              f"{report['reasons_changed']}; changed: {report['changed']}", markup=False)
    if report["changes"]:
        table = Table("change", "count", "by basis", "rules that flipped", "examples")
        for change in report["changes"]:
            table.add_row(change["change"], str(change["count"]),
                          ", ".join(f"{k} {v}" for k, v in change["by_legal_basis"].items()),
                          ", ".join(f"{k} {v}" for k, v in change["by_reason"].items()),
                          " ".join(change["examples"]))
        out.print(table)
    reproduced = report["reproduced"]
    out.print(f"reproduced: inputs {reproduced['inputs']}, camera registry {reproduced['cameras']}"
              f" of {report['replayed']}", markup=False)
