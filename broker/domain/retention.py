"""When footage must go: pure rules over clips, camera retention and legal holds.

A clip is due ``retention_days`` after its window ends. An active hold that covers any part of
it keeps it. A clip that outlived its retention only because a (now released) hold covered it
goes "after use"; otherwise "retention".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ClipAge:
    clip_id: str
    camera_id: str
    start: datetime
    end: datetime
    retention_days: int

    @property
    def due_at(self) -> datetime:
        return self.end + timedelta(days=self.retention_days)


@dataclass(frozen=True, slots=True)
class HoldSpan:
    hold_id: str
    camera_ids: frozenset[str]
    start: datetime
    end: datetime
    active: bool


@dataclass(frozen=True, slots=True)
class PurgeItem:
    clip_id: str
    reason: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say about one expired clip: purge (with reason) or kept (by holds)."""

    clip: ClipAge
    reason: str | None
    held_by: tuple[str, ...]


def judge(clips: Iterable[ClipAge], holds: Sequence[HoldSpan], now: datetime) -> list[Verdict]:
    """Verdicts for the clips whose retention has passed at ``now``, oldest due first."""
    by_camera: dict[str, list[HoldSpan]] = defaultdict(list)
    for hold in holds:
        for camera_id in hold.camera_ids:
            by_camera[camera_id].append(hold)
    verdicts = []
    for clip in clips:
        if clip.due_at > now:
            continue
        covering = [h for h in by_camera.get(clip.camera_id, ())
                    if h.start < clip.end and h.end > clip.start]
        active = tuple(sorted(h.hold_id for h in covering if h.active))
        if active:
            verdicts.append(Verdict(clip=clip, reason=None, held_by=active))
        else:
            verdicts.append(Verdict(clip=clip, reason="after_use" if covering else "retention",
                                    held_by=()))
    verdicts.sort(key=lambda v: (v.clip.due_at, v.clip.clip_id))
    return verdicts


def due_for_purge(clips: Iterable[ClipAge], holds: Sequence[HoldSpan],
                  now: datetime) -> list[PurgeItem]:
    return [PurgeItem(v.clip.clip_id, v.reason, v.clip.due_at)
            for v in judge(clips, holds, now) if v.reason is not None]
