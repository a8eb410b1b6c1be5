"""Clip rows: what exists for which camera and window, and whether it has been purged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update

from broker.common.times import as_utc, rfc3339
from broker.domain import events
from broker.errors import NotFound
from broker.readmodel.projection import ViewProjection
from broker.readmodel.tables import clips

_PURGED = (update(clips).where(clips.c.id == bindparam("clip_id"))
           .values(status="purged", purged_at=bindparam("at"), purge_reason=bindparam("reason")))


class ClipView(ViewProjection):
    """Clip rows: what exists for which camera and window, and whether it was purged."""

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a clip event."""

    @process_event.register(events.ClipIngested)
    def _ingested(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(insert(clips).values(
            id=str(event.originator_id), camera_id=event.camera_id, start=event.start,
            end=event.end, size=event.size, sha256=event.sha256, key_id=event.key_id,
            blob_id=event.blob_id, ingested_by=event.ingested_by, ingested_at=event.at,
            status="available", video=_video_json(getattr(event, "video", None)),
        ))

    @process_event.register(events.ClipPurged)
    def _purged(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(_PURGED, {"clip_id": str(event.originator_id), "at": event.at,
                                    "reason": event.reason})


def require_clip_row(conn: Connection, clip_id: str) -> RowMapping:
    """The clip's row; NotFound if the read model has none."""
    row = get_clip_row(conn, clip_id)
    if row is None:
        raise NotFound(f"no clip {clip_id}")
    return row


def _video_json(video: dict[str, Any] | None) -> str | None:
    return json.dumps(video, sort_keys=True, separators=(",", ":")) if video is not None else None


def video_of(row: RowMapping) -> dict[str, Any] | None:
    """The probe recorded at ingest, or None (a clip from before every clip was probed)."""
    value = row.get("video")
    return json.loads(value) if value else None


def get_clip_row(conn: Connection, clip_id: str) -> RowMapping | None:
    return conn.execute(select(clips).where(clips.c.id == clip_id)).mappings().one_or_none()


def as_public(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "camera_id": row["camera_id"],
        "window": {"start": rfc3339(row["start"]), "end": rfc3339(row["end"])},
        "size": row["size"],
        "sha256": row["sha256"],
        "status": row["status"],
        "ingested_at": rfc3339(row["ingested_at"]),
        "purged_at": rfc3339(row["purged_at"]) if row["purged_at"] else None,
        "purge_reason": row["purge_reason"],
        "video": video_of(row),
    }


def clips_in_scope(conn: Connection, camera_ids: Sequence[str], start: datetime,
                   end: datetime) -> list[RowMapping]:
    """Clips of these cameras lying wholly inside ``[start, end)``: a grant never covers a
    minute outside its window, and clip bytes cannot be cut by time, so edge clips stay out."""
    query = (
        select(clips)
        .where(clips.c.camera_id.in_(list(camera_ids)), clips.c.start >= start, clips.c.end <= end)
        .order_by(clips.c.start, clips.c.camera_id, clips.c.id)
    )
    return list(conn.execute(query).mappings())


def expired_candidates(conn: Connection, now: datetime, *, after: tuple[datetime, str] | None = None,
                       limit: int = 1000, min_retention_days: int = 1) -> list[Any]:
    """A page of available clips old enough that some retention could have passed, with their
    camera's retention, in (end, id) order; the exact rule is ``broker.domain.retention``."""
    from datetime import timedelta

    from sqlalchemy import and_, or_

    from broker.domain.retention import ClipAge
    from broker.readmodel.tables import cameras

    query = (
        select(clips.c.id, clips.c.camera_id, clips.c.start, clips.c.end, cameras.c.retention_days)
        .join(cameras, cameras.c.id == clips.c.camera_id)
        .where(clips.c.status == "available",
               clips.c.end <= now - timedelta(days=min_retention_days))
        .order_by(clips.c.end, clips.c.id)
        .limit(limit)
    )
    if after is not None:
        # ``end >= last end`` keeps the (status, end) index range usable; the OR settles ties.
        query = query.where(clips.c.end >= after[0],
                            or_(clips.c.end > after[0],
                                and_(clips.c.end == after[0], clips.c.id > after[1])))
    return [ClipAge(clip_id=row[0], camera_id=row[1], start=as_utc(row[2]), end=as_utc(row[3]),
                    retention_days=int(row[4]))
            for row in conn.execute(query)]


def vault_references(conn: Connection) -> tuple[set[str], set[str]]:
    """Every data key and blob a clip refers to (purged clips' are already gone)."""
    keys: set[str] = set()
    blobs: set[str] = set()
    for key_id, blob_id in conn.execute(select(clips.c.key_id, clips.c.blob_id)):
        keys.add(key_id)
        blobs.add(blob_id)
    return keys, blobs


def earliest_clip_start(conn: Connection, camera_id: str) -> datetime | None:
    """The start of the oldest footage of a camera still in the vault, if any."""
    from sqlalchemy import func

    value = conn.execute(select(func.min(clips.c.start)).where(
        clips.c.camera_id == camera_id, clips.c.status == "available")).scalar_one_or_none()
    return as_utc(value) if value is not None else None
