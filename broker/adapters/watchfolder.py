"""A folder where an NVR or VMS exports footage: which files are there, which are finished, and
which camera and time each one is, by a file-name pattern.

Portable polling, no inotify: each ``scan`` lists the folder and remembers every file's size
and modification time. A file is *finished* when a scan finds its size and mtime unchanged
since the previous scan, its mtime at least ``settle_s`` old, and (on Linux, where /proc says)
no process holding it open for writing. Hidden files (``.name``) are never considered, so the
usual ``.part``-then-rename exports are picked up once renamed.

Patterns name the path relative to the folder, ``/``-separated, with these fields:

    {camera}            the camera's key, id or 관리번호 (no ``/``)
    {YYYY-MM-DD}, {HH}, {MM}.{SS}, {YYYYMMDD}, {HHMMSS}, {YYYYMMDDHHMMSS}, ...
                        the segment's start: YYYY year, MM month, DD day, HH hour, MM minute
                        (MM is the minute once HH came before it), SS second; any separators
    {end:...}           the same fields for the segment's end, when the name has it
    {*}                 anything within one path component (ignored)

Times in names are local to the recorder: ``WatchFolder`` is given its zone.

The state file (JSON lines, mode 0600) keeps each file's outcome under its identity (path,
size, mtime and SHA-256 of the content), so a restart never ingests a finished file again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final, Literal

from broker.adapters.durable import born_private
from broker.errors import ConfigurationError

PRESETS: Final[dict[str, str]] = {
    "camera-date-hour": "{camera}/{YYYY-MM-DD}/{HH}/{MM}.{SS}.mp4",
    "frigate": "{YYYY-MM-DD}/{HH}/{camera}/{MM}.{SS}.mp4",
    "camera-datetime": "{camera}/{YYYYMMDD}_{HHMMSS}.mp4",
    "flat": "{camera}_{YYYYMMDD}_{HHMMSS}.mp4",
    "flat-range": "{camera}_{YYYYMMDDHHMMSS}_{end:YYYYMMDDHHMMSS}.mp4",
}
"""Layouts common recorders export (``frigate``: Frigate's recordings tree)."""

_FIELD = re.compile(r"YYYY|MM|DD|HH|SS")
_TOKEN = re.compile(r"\{([^{}]*)\}")
_WIDTH = {"year": 4, "month": 2, "day": 2, "hour": 2, "minute": 2, "second": 2}


class PatternError(ConfigurationError):
    """A pattern that cannot name a camera and a start time."""


@dataclass(frozen=True, slots=True)
class Segment:
    """What a file's name says it holds."""

    camera: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class SegmentPattern:
    template: str
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, template: str) -> SegmentPattern:
        """A preset's name or a template; PatternError names what is wrong with it."""
        text = PRESETS.get(template, template)
        parts: list[str] = []
        seen: dict[str, set[str]] = {"start": set(), "end": set()}
        stars = 0
        position = 0
        for token in _TOKEN.finditer(text):
            parts.append(re.escape(text[position:token.start()]))
            position = token.end()
            body = token[1]
            if body == "camera":
                if "camera" in seen["start"]:
                    raise PatternError(f"pattern {text!r} names {{camera}} twice")
                seen["start"].add("camera")
                parts.append(r"(?P<camera>[^/]+?)")
                continue
            if body == "*":
                stars += 1
                parts.append(rf"(?P<star{stars}>[^/]*?)")
                continue
            which, _, spec = body.rpartition(":")
            if which not in ("", "end"):
                raise PatternError(f"pattern {text!r}: unknown field {{{body}}}")
            parts.append(_time_regex(text, spec, "end" if which else "start", seen))
        parts.append(re.escape(text[position:]))
        if "{" in text[position:] or "}" in text[position:]:
            raise PatternError(f"pattern {text!r} has an unbalanced brace")
        missing = [name for name in ("camera", "year", "month", "day", "hour")
                   if name not in seen["start"]]
        if missing:
            raise PatternError(f"pattern {text!r} does not give the {', '.join(missing)} "
                               f"(presets: {', '.join(PRESETS)})")
        if seen["end"] and not {"hour"} <= seen["end"]:
            raise PatternError(f"pattern {text!r}: an end time needs at least {{end:HH}}")
        return cls(text, re.compile("".join(parts)))

    @property
    def has_end(self) -> bool:
        return "(?P<end_" in self.regex.pattern

    def match(self, relative: str, zone: tzinfo) -> Segment | None:
        """The segment a path (relative, ``/``-separated) names, or None if it is not one."""
        found = self.regex.fullmatch(relative)
        if found is None:
            return None
        values = found.groupdict()
        try:
            start = _moment(values, "start", None, zone)
            end = _moment(values, "end", start, zone) if self.has_end else None
        except ValueError:
            return None
        if end is not None and end <= start:
            end += timedelta(days=1)  # an end past midnight, in a name that gives only its time
        return Segment(values["camera"], start, end)


def _time_regex(template: str, spec: str, which: str, seen: dict[str, set[str]]) -> str:
    if not spec:
        raise PatternError(f"pattern {template!r} has an empty field {{}}")
    out: list[str] = []
    position = 0
    for field_match in _FIELD.finditer(spec):
        literal = spec[position:field_match.start()]
        if re.search(r"[A-Za-z]", literal):
            raise PatternError(f"pattern {template!r}: {{{spec}}} has letters that are no field "
                               "(fields: YYYY, MM, DD, HH, MM, SS)")
        out.append(re.escape(literal))
        position = field_match.end()
        name = {"YYYY": "year", "DD": "day", "HH": "hour", "SS": "second"}.get(field_match[0])
        if name is None:  # MM: the month until the hour has been given, then the minute
            name = "minute" if "hour" in seen[which] else "month"
        if name in seen[which]:
            raise PatternError(f"pattern {template!r} gives the {which} {name} twice")
        seen[which].add(name)
        out.append(rf"(?P<{which}_{name}>[0-9]{{{_WIDTH[name]}}})")
    tail = spec[position:]
    if re.search(r"[A-Za-z]", tail):
        raise PatternError(f"pattern {template!r}: {{{spec}}} has letters that are no field "
                           "(fields: YYYY, MM, DD, HH, MM, SS)")
    out.append(re.escape(tail))
    return "".join(out)


def _moment(values: dict[str, str | None], which: str, start: datetime | None,
            zone: tzinfo) -> datetime:
    def part(name: str, default: int | None) -> int:
        text = values.get(f"{which}_{name}")
        if text is None:
            if default is None:
                raise ValueError(name)
            return default
        return int(text)

    base = start
    return datetime(
        part("year", base.year if base else None), part("month", base.month if base else None),
        part("day", base.day if base else None), part("hour", None), part("minute", 0),
        part("second", 0), tzinfo=zone)


# --- finished files -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileVersion:
    """A file as one scan saw it."""

    relative: str
    size: int
    mtime_ns: int
    inode: tuple[int, int] = (0, 0)
    """(device, inode): how the writers check recognises it."""


def files_open_for_writing() -> set[tuple[int, int]] | None:
    """(device, inode) of every file some process holds open for writing (Linux /proc), or
    None where this cannot be told. Only processes this user may inspect are seen, which covers
    a recorder running as the same user; otherwise the size-and-mtime rule decides alone."""
    proc = Path("/proc")
    if not (proc / "self" / "fdinfo").is_dir():
        return None
    found: set[tuple[int, int]] = set()
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(proc / pid / "fdinfo")
        except OSError:
            continue
        for fd in fds:
            try:
                info = (proc / pid / "fdinfo" / fd).read_text()
                flags = next(int(line.split()[1], 8) for line in info.splitlines()
                             if line.startswith("flags:"))
                if not flags & (os.O_WRONLY | os.O_RDWR):
                    continue
                target = os.stat(proc / pid / "fd" / fd)
            except (OSError, StopIteration, ValueError, IndexError):
                continue
            if stat.S_ISREG(target.st_mode):
                found.add((target.st_dev, target.st_ino))
    return found


@dataclass
class Tracker:
    """Which files of a folder are finished: see the module docstring."""

    root: Path
    settle_s: float = 10.0
    wall_clock: Callable[[], float] = time.time
    writers: Callable[[], set[tuple[int, int]] | None] = files_open_for_writing
    _seen: dict[str, FileVersion] = field(default_factory=dict)

    def scan(self) -> tuple[list[FileVersion], int]:
        """(finished files, how many others are still settling), in path order."""
        now = self.wall_clock()
        current: dict[str, FileVersion] = {}
        for version in self._walk():
            current[version.relative] = version
        candidates: list[FileVersion] = []
        settling = 0
        for relative, version in sorted(current.items()):
            quiet = now - version.mtime_ns / 1e9 >= self.settle_s
            if self._seen.get(relative) == version and quiet:
                candidates.append(version)
            else:
                settling += 1
        self._seen = current
        open_files = self.writers() if candidates else None
        if not open_files:
            return candidates, settling
        ready = [v for v in candidates if v.inode not in open_files]
        return ready, settling + len(candidates) - len(ready)

    def _walk(self) -> Iterator[FileVersion]:
        root = self.root
        for directory, subdirs, files in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for name in files:
                if name.startswith("."):
                    continue
                path = Path(directory) / name
                try:
                    info = path.lstat()
                except OSError:
                    continue  # gone since the listing
                if not stat.S_ISREG(info.st_mode):
                    continue
                yield FileVersion(path.relative_to(root).as_posix(), info.st_size,
                                  info.st_mtime_ns, (info.st_dev, info.st_ino))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- state ------------------------------------------------------------------------------------

Status = Literal["ingested", "failed"]


@dataclass(frozen=True)
class Outcome:
    """What became of one version of one file."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    status: Status
    at: str
    clip_id: str | None = None
    camera_id: str | None = None
    start: str | None = None
    end: str | None = None
    error: str | None = None
    replayed: bool = False

    def same_file(self, version: FileVersion) -> bool:
        return (self.path, self.size, self.mtime_ns) == (version.relative, version.size,
                                                         version.mtime_ns)


class StateFile:
    """Outcomes, one JSON line each, appended and fsynced; the last line for a path wins."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        born_private(path)
        self._latest: dict[str, Outcome] = {}
        fields = set(Outcome.__dataclass_fields__)
        with path.open("rb") as handle:
            for raw in handle:
                with contextlib.suppress(ValueError, TypeError):  # a torn last line: ignored
                    data: dict[str, Any] = json.loads(raw)
                    outcome = Outcome(**{k: v for k, v in data.items() if k in fields})
                    self._latest[outcome.path] = outcome

    def latest(self, relative: str) -> Outcome | None:
        return self._latest.get(relative)

    def outcomes(self) -> list[Outcome]:
        return sorted(self._latest.values(), key=lambda outcome: outcome.path)

    def record(self, outcome: Outcome) -> None:
        line = json.dumps(asdict(outcome), ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        self._latest[outcome.path] = outcome


def state_path(data_dir: Path, folder: Path) -> Path:
    """Each watched folder has its own state file in the data directory."""
    name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return data_dir / "watch" / f"{name}.jsonl"
