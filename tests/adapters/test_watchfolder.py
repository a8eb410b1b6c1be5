"""The watch folder's parts: patterns, finished files, the state file."""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from broker.adapters.watchfolder import (
    PRESETS,
    Outcome,
    PatternError,
    SegmentPattern,
    StateFile,
    Tracker,
    files_open_for_writing,
    state_path,
)

KST = timezone(timedelta(hours=9))


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=KST)


@pytest.mark.parametrize(("preset", "path", "camera", "start", "end"), [
    ("camera-date-hour", "mn-1#1/2026-11-19/23/58.30.mp4", "mn-1#1", at(2026, 11, 19, 23, 58, 30), None),
    ("frigate", "2026-11-19/07/front_door/05.00.mp4", "front_door", at(2026, 11, 19, 7, 5), None),
    ("camera-datetime", "CAM01/20261119_070500.mp4", "CAM01", at(2026, 11, 19, 7, 5), None),
    ("flat", "CAM01_20261119_070500.mp4", "CAM01", at(2026, 11, 19, 7, 5), None),
    ("flat-range", "ch01_20261119235500_20261120000500.mp4", "ch01", at(2026, 11, 19, 23, 55),
     at(2026, 11, 20, 0, 5)),
])
def test_presets_name_camera_and_times(preset, path, camera, start, end) -> None:
    segment = SegmentPattern.parse(preset).match(path, KST)
    assert segment is not None
    assert (segment.camera, segment.start, segment.end) == (camera, start, end)
    assert set(PRESETS) >= {preset}


def test_mm_is_the_month_until_the_hour_then_the_minute() -> None:
    pattern = SegmentPattern.parse("{camera}/{YYYY}/{MM}/{DD}/{HH}{MM}{SS}.mp4")
    segment = pattern.match("c/2026/03/04/051807.mp4", UTC)
    assert segment is not None and segment.start == datetime(2026, 3, 4, 5, 18, 7, tzinfo=UTC)


def test_an_end_that_gives_only_the_time_may_pass_midnight() -> None:
    pattern = SegmentPattern.parse("{camera}_{YYYYMMDD}_{HHMMSS}-{end:HHMMSS}.mp4")
    segment = pattern.match("c_20261119_235900-000100.mp4", UTC)
    assert segment is not None
    assert segment.end == datetime(2026, 11, 20, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize("path", [
    "mn-1#1/2026-11-19/23/58.30.avi",     # another extension
    "mn-1#1/2026-13-19/23/58.30.mp4",     # no 13th month
    "a/b/2026-11-19/23/58.30.mp4",        # {camera} is one path component
    "mn-1#1/2026-11-19/23/58.30.mp4.part",
])
def test_names_that_are_no_segment_do_not_match(path) -> None:
    assert SegmentPattern.parse("camera-date-hour").match(path, UTC) is None


@pytest.mark.parametrize(("template", "message"), [
    ("{YYYY-MM-DD}/{HH}.mp4", "camera"),
    ("{camera}/{HH}{MM}.mp4", "year, month, day"),
    ("{camera}/{YYYY-MM-DD}.mp4", "hour"),
    ("{camera}/{YYYY-MM-DD}/{HH}/{start}.mp4", "letters that are no field"),
    ("{camera}/{YYYY-MM-DD}/{HH}/{x:MM}.mp4", "unknown field"),
    ("{camera}/{YYYY-MM-DD}/{HH}/{YYYY}.mp4", "year twice"),
    ("{camera}/{YYYY-MM-DD}/{HH}/}.mp4", "unbalanced"),
])
def test_bad_patterns_say_what_is_wrong(template, message) -> None:
    with pytest.raises(PatternError, match=message):
        SegmentPattern.parse(template)


# finished files ----------------------------------------------------------------------------

def write(path: Path, data: bytes = b"video", age_s: float = 60.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def ready(tracker: Tracker) -> list[str]:
    return [version.relative for version in tracker.scan()[0]]


def test_a_file_is_finished_once_two_scans_agree_and_it_is_quiet(tmp_path) -> None:
    tracker = Tracker(tmp_path, settle_s=5, writers=lambda: set())
    write(tmp_path / "a" / "old.mp4")
    write(tmp_path / "a" / "fresh.mp4", age_s=1)
    write(tmp_path / ".hidden.mp4")
    write(tmp_path / "a" / ".partial.mp4")
    assert ready(tracker) == []  # first sight: nothing is known to be stable yet
    assert ready(tracker) == ["a/old.mp4"]
    write(tmp_path / "a" / "old.mp4", b"video, grown")  # grows (new size): settles again
    assert ready(tracker) == []
    assert ready(tracker) == ["a/old.mp4"]


def test_a_file_open_for_writing_is_not_finished(tmp_path) -> None:
    if files_open_for_writing() is None:
        pytest.skip("no /proc here: the size-and-mtime rule decides alone")
    path = write(tmp_path / "seg.mp4")
    tracker = Tracker(tmp_path, settle_s=5)
    with path.open("ab"):  # a recorder that has not closed it yet, however quiet it is
        tracker.scan()
        assert tracker.scan() == ([], 1)
    assert ready(tracker) == ["seg.mp4"]


def test_the_state_file_is_private_and_survives_a_torn_line(tmp_path) -> None:
    path = state_path(tmp_path / "var", tmp_path / "export")
    state = StateFile(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    state.record(Outcome(path="a.mp4", size=5, mtime_ns=1, sha256="ab", status="ingested", at="t",
                         clip_id="c1"))
    state.record(Outcome(path="b.mp4", size=5, mtime_ns=1, sha256="cd", status="failed", at="t",
                         error="no camera"))
    with path.open("ab") as handle:
        handle.write(b'{"path": "c.mp4", "si')  # a crash mid-line
    again = StateFile(path)
    assert [(o.path, o.status) for o in again.outcomes()] == [("a.mp4", "ingested"), ("b.mp4", "failed")]
    assert again.latest("a.mp4").clip_id == "c1"
