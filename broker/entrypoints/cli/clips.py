"""``broker ingest``: encrypt a clip file into the vault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from broker.entrypoints.cli.common import aware, open_broker, out, required, shell
from broker.errors import InvalidInput


def register(cli: typer.Typer) -> None:
    cli.command()(ingest)


def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    camera: Annotated[str, typer.Option(help="camera id")],
    start: Annotated[str, typer.Option(help="window start, RFC 3339 with zone")],
    end: Annotated[str, typer.Option(help="window end (exclusive), RFC 3339 with zone")],
    idempotency_key: Annotated[str | None, typer.Option(help="makes retries safe")] = None,
) -> None:
    """Encrypt a clip file into the vault (streamed; constant memory)."""
    try:
        camera_id = UUID(camera)
    except ValueError:
        raise InvalidInput(f"--camera {camera!r} is not a camera id") from None
    window = (required(aware(start, "--start"), "--start"), required(aware(end, "--end"), "--end"))

    def chunks() -> Iterator[bytes]:
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    with open_broker() as broker:
        clip, replayed = broker.clips.ingest(
            shell(), camera_id=camera_id, start=window[0], end=window[1], chunks=chunks(),
            idempotency_key=idempotency_key)
    out.print(f"clip {clip['id']}: {clip['size']} bytes, sha256 {clip['sha256']}"
              f"{' (already ingested)' if replayed else ''}")
