"""What every command group shares: consoles, settings, the broker, time options, output
formats and progress bars."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from broker.adapters.vault import kek
from broker.application.actors import Actor
from broker.bootstrap import Broker, build
from broker.common import csvout
from broker.common.progress import Progress as ProgressFn
from broker.common.progress import no_progress
from broker.config import Settings, load_settings
from broker.errors import BrokerError, ConfigurationError, InvalidInput
from broker.merkle import CheckpointError, VerifierKey, parse_vkey

out = Console(soft_wrap=True)  # messages are never broken mid-line when piped
err = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    return load_settings()


def require_initialised(config: Settings) -> None:
    """A one-line hint instead of a missing-file error when ``broker init`` has not run."""
    if not kek.kek_path(config.keys_dir).exists():
        raise ConfigurationError(
            f"no key file in {config.keys_dir}/: run `broker init` first "
            "(or point BROKER_KEYS_DIR at the broker's keys)")


@contextmanager
def open_broker() -> Iterator[Broker]:
    config = settings()
    require_initialised(config)
    broker = build(config)
    try:
        yield broker
    finally:
        broker.close()


# output formats ------------------------------------------------------------------------------


class Format(enum.StrEnum):
    """How a list comes out: a table for people, JSON or CSV (UTF-8 with BOM) for programs;
    machine formats go to stdout with full ids and nothing else."""

    table = "table"
    json = "json"
    csv = "csv"


def table_console() -> Console:
    """Tables on a terminal fit it; piped, they are never cut at 80 columns."""
    return out if out.is_terminal else Console(width=100_000, soft_wrap=True, color_system=None)


def emit(items: Sequence[dict[str, Any]], columns: Sequence[tuple[str, Callable[[dict[str, Any]], Any]]],
         fmt: Format, *, title: str | None = None) -> None:
    """Write ``items`` as a table (the chosen columns), as JSON (whole items) or as CSV."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(list(items), ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
        return
    rows = [["" if value is None else str(value) for value in (get(item) for _, get in columns)]
            for item in items]
    if fmt is Format.csv:
        sys.stdout.flush()
        sys.stdout.buffer.write(csvout.render([name for name, _ in columns], rows))
        sys.stdout.buffer.flush()
        return
    table = Table(*[name for name, _ in columns], title=title)
    for row in rows:
        table.add_row(*row)
    for column in table.columns:
        column.no_wrap = True
        column.overflow = "fold"
    table_console().print(table)


# progress ------------------------------------------------------------------------------------


@contextmanager
def progress_bar(label: str) -> Iterator[ProgressFn]:
    """A Rich progress bar on stderr while the work runs, only on a terminal: piped output,
    scripts and tests get nothing but the result."""
    if not err.is_terminal:
        yield no_progress
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def report(task: str, done: int, total: int | None) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(f"{label}: {task}", total=total)
            bar.update(tasks[task], completed=done, total=total)

        yield report


def shell() -> Actor:
    """Whoever runs the command: recorded by name, limited by nothing but file access."""
    return Actor.shell()


def aware(value: str | None, option: str) -> datetime | None:
    """An RFC 3339 option with its zone, or None when not given."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{option} needs a timezone, e.g. 2026-11-01T00:00:00+09:00")
    return moment


def required(value: datetime | None, option: str) -> datetime:
    if value is None:
        raise InvalidInput(f"{option} is required")
    return value


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file, or a one-line error."""

    data = read_file(path, "public key")
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError):
        raise BrokerError(f"{path} is not a PEM public key (expected -----BEGIN PUBLIC KEY-----, "
                          "as GET /v1/keys/public or `broker keys public` gives it)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BrokerError(f"{path} is not an Ed25519 public key")
    return key


def read_file(path: Path, what: str) -> bytes:
    """A file's bytes, or a one-line error saying which file and why."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BrokerError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise BrokerError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise BrokerError(f"{what} {path}: {exc.strerror or exc}") from None


def parse_position(text: str, option: str = "--near") -> tuple[float, float]:
    """``LAT,LON`` in decimal degrees, or a one-line error."""
    try:
        lat_text, lon_text = text.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise InvalidInput(f"{option} {text!r} is not LAT,LON (e.g. 36.3504,127.3845)") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"{option} {text!r}: latitude must be in [-90, 90], longitude in "
                           "[-180, 180] (LAT first)")
    return lat, lon


def parse_key(text: str, option: str) -> VerifierKey:
    """A C2SP verifier key (``name+id+base64``), or a one-line error."""
    try:
        return parse_vkey(text.strip())
    except (CheckpointError, ValueError) as exc:
        raise BrokerError(f"{option}: not a verifier key ({exc})") from None
