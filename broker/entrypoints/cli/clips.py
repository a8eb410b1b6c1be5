"""``broker ingest``: encrypt a clip file into the vault, or follow a recorder's export folder."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, timedelta, timezone, tzinfo
from pathlib import Path
from types import FrameType
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from broker.adapters.watchfolder import PRESETS, SegmentPattern, StateFile, Tracker, state_path
from broker.application.recorder import PollReport, WatchFolder
from broker.entrypoints.cli.common import (
    Format,
    aware,
    emit,
    err,
    open_broker,
    out,
    progress_bar,
    required,
    settings,
    shell,
)
from broker.errors import BrokerError, InvalidInput

PRESET_HELP = "; ".join(f"{name} = {template}" for name, template in PRESETS.items())


def register(cli: typer.Typer) -> None:
    cli.command()(ingest)


def ingest(
    file: Annotated[Path | None, typer.Argument(dir_okay=False, help="a clip file")] = None,
    camera: Annotated[str | None, typer.Option(
        help="the camera: its key (`broker cameras find`), id or 관리번호")] = None,
    start: Annotated[str | None, typer.Option(help="window start, RFC 3339 with zone")] = None,
    end: Annotated[str | None, typer.Option(help="window end (exclusive), RFC 3339 with zone")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="makes retries safe")] = None,
    watch: Annotated[Path | None, typer.Option(
        file_okay=False, help="follow this export folder instead of ingesting one FILE")] = None,
    pattern: Annotated[str, typer.Option(
        help=f"how a file's path (relative to --watch) names camera and time: a preset or a "
             f"template ({PRESET_HELP})")] = "camera-date-hour",
    timezone_name: Annotated[str, typer.Option(
        "--timezone", help="the recorder's zone for times in file names: Asia/Seoul, +09:00, UTC")]
    = "Asia/Seoul",
    segment_seconds: Annotated[float | None, typer.Option(
        min=0.001, help="segment length when names give no end (default: the video's duration)")]
    = None,
    settle: Annotated[float, typer.Option(
        min=0, help="seconds a file's size and mtime must stay unchanged before it is ingested")]
    = 10.0,
    interval: Annotated[float, typer.Option(min=0.1, help="seconds between scans")] = 5.0,
    once: Annotated[bool, typer.Option(help="ingest what is finished now, then exit")] = False,
    retry_failed: Annotated[bool, typer.Option(help="try recorded failures once more")] = False,
    failures: Annotated[bool, typer.Option(
        help="list the folder's recorded failures (and exit)")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="for --failures: table, json or csv")]
    = Format.table,
) -> None:
    """Encrypt a clip file into the vault (streamed; constant memory), or, with --watch DIR,
    follow the folder a recorder exports into: each finished file is ingested once, as the
    clip of the camera and time its name gives (--pattern), across restarts."""
    if watch is not None:
        if file is not None or camera or start or end or idempotency_key:
            raise typer.BadParameter("--watch takes no FILE, --camera, --start, --end or "
                                     "--idempotency-key: the file names give them")
        _watch(watch, pattern, _zone(timezone_name), segment_seconds, settle, interval, once,
               retry_failed, failures, fmt)
        return
    if file is None:
        raise typer.BadParameter("give a FILE (with --camera, --start, --end) or --watch DIR")
    if camera is None:
        raise typer.BadParameter("--camera is required with a FILE (a key, id or 관리번호)")
    window = (required(aware(start, "--start"), "--start"), required(aware(end, "--end"), "--end"))
    if not file.is_file():
        raise BrokerError(f"clip {file}: no such file" if not file.exists() else
                          f"clip {file} is not a regular file")
    size = file.stat().st_size

    with open_broker() as broker, progress_bar("ingest") as progress:

        def chunks() -> Iterator[bytes]:
            done = 0
            with file.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    done += len(chunk)
                    progress(file.name, done, size)
                    yield chunk

        clip, replayed = broker.clips.ingest(
            shell(), camera_ref=camera, start=window[0], end=window[1], chunks=chunks(),
            idempotency_key=idempotency_key, declared_size=size)
    out.print(f"clip {clip['id']}: {clip['size']} bytes, sha256 {clip['sha256']}, camera "
              f"{clip['camera_id']}{' (already ingested)' if replayed else ''}", markup=False)


def _zone(name: str) -> tzinfo:
    text = name.strip()
    if text.upper() in ("UTC", "Z"):
        return UTC
    if text[:1] in "+-" and len(text) == 6 and text[3] == ":":
        try:
            hours, minutes = int(text[1:3]), int(text[4:6])
        except ValueError:
            hours = minutes = -1
        if 0 <= hours <= 14 and 0 <= minutes < 60:
            sign = 1 if text[0] == "+" else -1
            return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"--timezone {name!r} is not a time zone (Asia/Seoul, +09:00, UTC)") from None


FAILURE_COLUMNS = [("path", lambda o: o["path"]), ("error", lambda o: o["error"]),
                   ("at", lambda o: o["at"]), ("size", lambda o: o["size"]),
                   ("sha256", lambda o: o["sha256"])]


def _watch(root: Path, pattern_text: str, zone: tzinfo, segment_seconds: float | None,
           settle: float, interval: float, once: bool, retry_failed: bool, failures: bool,
           fmt: Format) -> None:
    if not root.is_dir():
        raise BrokerError(f"--watch {root}: no such folder")
    pattern = SegmentPattern.parse(pattern_text)
    state = StateFile(state_path(settings().data_dir, root))
    if failures:
        emit([vars(o) for o in state.outcomes() if o.status == "failed"], FAILURE_COLUMNS, fmt)
        return
    folder = WatchFolder(root=root, pattern=pattern, zone=zone,
                         tracker=Tracker(root, settle_s=settle), state=state,
                         segment_seconds=segment_seconds, retry_failed=retry_failed)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("broker.watch").propagate = False  # the command prints its own lines
    stop = threading.Event()

    def stop_on(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, stop_on)
    totals = {"ingested": 0, "failed": 0}
    with open_broker() as broker:
        err.print(f"watching {root} ({pattern.template}, times in {zone}); "
                  f"state in {state.path}; Ctrl-C stops", markup=False)
        try:
            scans = 0
            while not stop.is_set():
                with progress_bar("watch") as progress:
                    report = broker.recorder.poll(shell(), folder, progress=progress)
                scans += 1
                _print(report, totals)
                if once and scans >= 2 and not report.retrying:
                    break
                stop.wait(min(interval, 1.0) if once else interval)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    err.print(f"stopped: {totals['ingested']} ingested, {totals['failed']} failed "
              f"(`broker ingest --watch {root} --failures` lists them)", markup=False)


def _print(report: PollReport, totals: dict[str, int]) -> None:
    for done in report.ingested:
        totals["ingested"] += 1
        out.print(f"ingested {done.path}: clip {done.clip_id}, camera {done.camera_id}, "
                  f"{done.start} .. {done.end}{' (already ingested)' if done.replayed else ''}",
                  markup=False)
    for failed in report.failed:
        totals["failed"] += 1
        err.print(f"failed {failed.path}: {failed.error}", markup=False)
    for path, error in report.retrying:
        err.print(f"retrying {path}: {error}", markup=False)
