"""Footage from a watched export folder: appearing, growing, renamed, the process restarting."""

from __future__ import annotations

import os
import time
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from broker.adapters.watchfolder import SegmentPattern, StateFile, Tracker, state_path
from broker.application.recorder import WatchFolder
from broker.readmodel.tables import clips
from tests.conftest import SHELL
from tests.support.videos import tiny_video

KST = timezone(timedelta(hours=9))
HEADER = "관리번호,관리기관명,소재지도로명주소,카메라대수,위도,경도\r\n"


@pytest.fixture
def cameras(broker):
    data = (HEADER + "M-1,서구청,둔산로 1,1,36.355,127.3837\r\nM-2,서구청,둔산로 2,2,36.356,127.3837\r\n")
    broker.cameras.import_csv(SHELL, data.encode("cp949"))


@pytest.fixture
def export(tmp_path) -> Path:
    return tmp_path / "export"


def folder(broker, export: Path, **options) -> WatchFolder:
    """What `broker ingest --watch` builds; a new one is what a restarted process has."""
    export.mkdir(exist_ok=True)
    return WatchFolder(root=export, pattern=SegmentPattern.parse("camera-date-hour"), zone=KST,
                       tracker=Tracker(export, settle_s=5, writers=lambda: set()),
                       state=StateFile(state_path(broker.settings.data_dir, export)),
                       segment_seconds=options.pop("segment_seconds", 60.0), **options)


def segment(export: Path, name: str, data: bytes | None = None, age_s: float = 60) -> Path:
    path = export / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tiny_video() if data is None else data)
    age(path, age_s)
    return path


def age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def clip_count(broker) -> int:
    broker.ctx.consistency.latest()
    with broker.readmodel.reader.connect() as conn:
        return len(conn.execute(clips.select()).all())


def test_files_appear_and_are_ingested_once(broker, cameras, export) -> None:
    watch = folder(broker, export)
    segment(export, "mn-M-1#1/2026-11-20/17/00.00.mp4")  # 08:00 UTC, before the clock's 09:00
    segment(export, "M-1/2026-11-20/17/01.00.mp4")  # by 관리번호
    segment(export, "notes.txt")
    first = broker.recorder.poll(SHELL, watch)
    assert (first.ingested, first.settling) == ([], 3)
    second = broker.recorder.poll(SHELL, watch)
    assert [o.path for o in second.ingested] == ["M-1/2026-11-20/17/01.00.mp4",
                                                 "mn-M-1#1/2026-11-20/17/00.00.mp4"]
    assert second.ingested[1].start == "2026-11-20T17:00:00+09:00"
    assert second.ingested[1].end == "2026-11-20T17:01:00+09:00"
    assert second.ignored == ["notes.txt"]
    third = broker.recorder.poll(SHELL, watch)
    assert (third.ingested, third.already) == ([], 2)
    assert clip_count(broker) == 2


def test_a_growing_file_waits_until_it_is_finished(broker, cameras, export) -> None:
    watch = folder(broker, export)
    video = tiny_video()
    path = segment(export, "mn-M-1#1/2026-11-20/17/00.00.mp4", video[:100], age_s=0)
    broker.recorder.poll(SHELL, watch)
    assert broker.recorder.poll(SHELL, watch).ingested == []  # written a moment ago
    with path.open("ab") as handle:
        handle.write(video[100:])
    age(path, 60)
    assert broker.recorder.poll(SHELL, watch).ingested == []  # it grew since the last scan
    (done,) = broker.recorder.poll(SHELL, watch).ingested
    assert done.size == len(video)


def test_a_renamed_export_is_ingested_under_its_final_name(broker, cameras, export) -> None:
    watch = folder(broker, export)
    hidden = segment(export, "mn-M-1#1/2026-11-20/17/.00.00.mp4.part")
    broker.recorder.poll(SHELL, watch)
    assert broker.recorder.poll(SHELL, watch).ingested == []
    hidden.rename(hidden.with_name("00.00.mp4"))
    broker.recorder.poll(SHELL, watch)
    assert [o.path for o in broker.recorder.poll(SHELL, watch).ingested] == [
        "mn-M-1#1/2026-11-20/17/00.00.mp4"]
    # Moved to another folder after ingest, same camera and time: the same clip, not a second.
    final = export / "mn-M-1#1/2026-11-20/17/00.00.mp4"
    (export / "M-1/2026-11-20/17").mkdir(parents=True)
    final.rename(export / "M-1/2026-11-20/17/00.00.mp4")
    broker.recorder.poll(SHELL, watch)
    (again,) = broker.recorder.poll(SHELL, watch).ingested
    assert again.replayed
    assert clip_count(broker) == 1


def test_a_restart_never_ingests_twice(broker, cameras, export) -> None:
    segment(export, "mn-M-1#1/2026-11-20/17/00.00.mp4")
    segment(export, "mn-M-2#1/2026-11-20/17/00.00.mp4")
    watch = folder(broker, export)
    broker.recorder.poll(SHELL, watch)
    assert len(broker.recorder.poll(SHELL, watch).ingested) == 2
    restarted = folder(broker, export)
    broker.recorder.poll(SHELL, restarted)
    report = broker.recorder.poll(SHELL, restarted)
    assert (report.ingested, report.already) == ([], 2)
    # Even with its state file lost (a crash before it was written), nothing is stored twice.
    state_path(broker.settings.data_dir, export).unlink()
    lost = folder(broker, export)
    broker.recorder.poll(SHELL, lost)
    replayed = broker.recorder.poll(SHELL, lost).ingested
    assert [o.replayed for o in replayed] == [True, True]
    assert clip_count(broker) == 2


def test_failures_are_recorded_and_retried_on_request(broker, cameras, export) -> None:
    segment(export, "CAM-X/2026-11-20/17/00.00.mp4")
    segment(export, "mn-M-1#1/2026-11-20/18/30.00.mp4")  # 09:30 UTC: after the clock's now
    watch = folder(broker, export)
    broker.recorder.poll(SHELL, watch)
    report = broker.recorder.poll(SHELL, watch)
    (failed,) = report.failed
    assert failed.path == "CAM-X/2026-11-20/17/00.00.mp4" and "no camera" in failed.error
    assert report.waiting == 1
    assert broker.recorder.poll(SHELL, watch).failed == []  # recorded: not tried again
    assert watch.state.latest(failed.path).status == "failed"
    header = "key,agency,lat,lon\n"
    broker.cameras.import_csv(SHELL, (header + "CAM-X,서구청,36.35,127.38\n").encode())
    retry = folder(broker, export, retry_failed=True)
    broker.recorder.poll(SHELL, retry)
    assert [o.path for o in broker.recorder.poll(SHELL, retry).ingested] == [failed.path]


def test_without_a_segment_length_the_video_gives_the_end(broker, cameras, export) -> None:
    import numpy as np

    from broker.adapters.video import encode_h264

    path = export / "mn-M-1#1/2026-11-20/17/00.00.mp4"
    path.parent.mkdir(parents=True)
    frames = [np.full((64, 64, 3), i * 10, dtype=np.uint8) for i in range(20)]
    encode_h264(frames, path, fps=10)
    age(path, 60)
    segment(export, "mn-M-1#1/2026-11-20/17/02.00.mp4", b"not a video at all")
    watch = folder(broker, export, segment_seconds=None)
    broker.recorder.poll(SHELL, watch)
    report = broker.recorder.poll(SHELL, watch)
    (done,) = report.ingested
    assert done.end == "2026-11-20T17:00:02+09:00"
    (bad,) = report.failed
    assert bad.path.endswith("02.00.mp4")
