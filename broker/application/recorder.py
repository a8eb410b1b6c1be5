"""Footage from the recorder, not by hand: each finished file of a watched export folder is
ingested once, as the clip of the camera and time its name gives.

Exactly once, across restarts: a file's outcome is kept in the folder's state file under its
identity (path, size, mtime, SHA-256), and the ingest's Idempotency-Key is derived from the
camera, window and content, so a file ingested just before a crash (state not yet written) is
answered from the clip that landed, never stored twice. A failure that retrying cannot cure
(no such camera, not video, a window the broker refuses) is recorded and not retried until the
file changes or the operator asks (``retry_failed``); one that may pass (a store unreachable)
is logged and retried at the next poll.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from broker.adapters.watchfolder import (
    FileVersion,
    Outcome,
    Segment,
    SegmentPattern,
    StateFile,
    Tracker,
    sha256_of,
)
from broker.application.actors import Actor, allowed
from broker.application.camera_refs import resolve_camera
from broker.application.clips import Clips
from broker.application.context import Context, UseCases
from broker.common.progress import Progress, no_progress
from broker.domain.roles import Role
from broker.errors import BrokerError

log = logging.getLogger("broker.watch")


@dataclass
class WatchFolder:
    """One export folder being followed, with what a poll needs to remember."""

    root: Path
    pattern: SegmentPattern
    zone: tzinfo
    tracker: Tracker
    state: StateFile
    segment_seconds: float | None = None
    """Length of a segment whose name gives no end; None: read it from the video itself."""
    retry_failed: bool = False
    """Try recorded failures once more (once per file in this process)."""
    _retried: set[str] = field(default_factory=set)


@dataclass
class PollReport:
    ingested: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    """Recorded this poll: not retried until the file changes or failures are retried."""
    retrying: list[tuple[str, str]] = field(default_factory=list)
    """(path, error) of failures that may pass: tried again next poll."""
    already: int = 0
    settling: int = 0
    waiting: int = 0
    """Finished files whose segment ends after now (a recorder clock ahead): later."""
    ignored: list[str] = field(default_factory=list)
    """Files that do not match the pattern."""


def _permanent(exc: BrokerError) -> bool:
    return 400 <= exc.status < 500


class Recorder(UseCases):
    def __init__(self, ctx: Context, clips: Clips) -> None:
        super().__init__(ctx)
        self.clips = clips

    @allowed(Role.OPERATOR)
    def poll(self, actor: Actor, folder: WatchFolder, *,
             progress: Progress = no_progress) -> PollReport:
        """Scan the folder once and ingest every finished file not ingested before."""
        report = PollReport()
        ready, report.settling = folder.tracker.scan()
        todo: list[tuple[FileVersion, Segment]] = []
        for version in ready:
            previous = folder.state.latest(version.relative)
            if previous is not None and previous.same_file(version):
                retry = (previous.status == "failed" and folder.retry_failed
                         and version.relative not in folder._retried)
                if not retry:
                    report.already += 1
                    continue
                folder._retried.add(version.relative)
            segment = folder.pattern.match(version.relative, folder.zone)
            if segment is None:
                report.ignored.append(version.relative)
                continue
            todo.append((version, segment))
        total = sum(version.size for version, _ in todo)
        done = 0
        for version, segment in todo:
            self._ingest(actor, folder, version, segment, report)
            done += version.size
            progress("ingesting", done, total)
        return report

    def _ingest(self, actor: Actor, folder: WatchFolder, version: FileVersion, segment: Segment,
                report: PollReport) -> None:
        path = folder.root / version.relative
        now = self.ctx.clock.now()

        def outcome(sha256: str, **values: object) -> Outcome:
            return Outcome(path=version.relative, size=version.size, mtime_ns=version.mtime_ns,
                           sha256=sha256, at=now.astimezone(UTC).isoformat(), **values)  # type: ignore[arg-type]

        def fail(sha256: str, detail: str, **values: object) -> None:
            """A file that will never ingest as it is: recorded, so it is not tried again."""
            failed = outcome(sha256, status="failed", error=detail, **values)
            folder.state.record(failed)
            report.failed.append(failed)
            log.warning("watch: %s not ingested: %s", version.relative, detail)

        def unreadable(exc: OSError) -> None:
            report.retrying.append((version.relative, f"{exc.strerror or exc}"))
            log.warning("watch: %s unreadable, retried next poll: %s", version.relative, exc)

        try:
            end = segment.end or self._end(path, segment.start, folder.segment_seconds)
            if end > now:
                report.waiting += 1
                return
            sha256 = sha256_of(path)
        except BrokerError as exc:
            fail("", exc.detail, start=segment.start.isoformat())
            return
        except OSError as exc:
            unreadable(exc)
            return
        window = {"start": segment.start.isoformat(), "end": end.isoformat()}
        try:
            camera_id = resolve_camera(self, segment.camera)
            # The same camera, window and bytes are the same clip, whatever the file is called.
            key = "watch:" + hashlib.sha256(
                "\x1f".join((str(camera_id), window["start"], window["end"], sha256)).encode()
            ).hexdigest()[:48]
            clip, replayed = self.clips.ingest(
                actor, camera_id=camera_id, start=segment.start, end=end,
                chunks=_chunks(path), idempotency_key=key, declared_size=version.size)
        except BrokerError as exc:
            if not _permanent(exc):
                report.retrying.append((version.relative, exc.detail))
                log.warning("watch: %s not ingested, retried next poll: %s", version.relative,
                            exc.detail)
                return
            fail(sha256, exc.detail, **window)
            return
        except OSError as exc:
            unreadable(exc)
            return
        done = outcome(sha256, status="ingested", clip_id=clip["id"], camera_id=clip["camera_id"],
                       replayed=replayed, **window)
        folder.state.record(done)
        report.ingested.append(done)
        log.info("watch: %s -> clip %s (camera %s, %s..%s)%s", version.relative, clip["id"],
                 clip["camera_id"], window["start"], window["end"],
                 " already ingested" if replayed else "")

    @staticmethod
    def _end(path: Path, start: datetime, segment_seconds: float | None) -> datetime:
        if segment_seconds is not None:
            return start + timedelta(seconds=segment_seconds)
        from broker.adapters.video import probe

        duration = probe(path).duration
        return start + timedelta(milliseconds=max(1, round(duration * 1000)))


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk
