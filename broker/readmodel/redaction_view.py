"""Redactions as the review and the job read them, overlay zones per camera, and the job's
progress table (written by the job itself, not projected)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from broker.domain import events
from broker.readmodel.projection import ViewProjection
from broker.readmodel.tables import clips, overlay_zones, redaction_clips, redaction_progress, redactions


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class RedactionView(ViewProjection):
    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a redaction event."""

    @process_event.register(events.OverlaysConfigured)
    def _zones_configured(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(insert(overlay_zones).values(
            camera_id=event.camera_id, zones=_dumps(event.zones), set_by=event.by, set_at=event.at))

    @process_event.register(events.OverlaysReconfigured)
    def _zones_reconfigured(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(update(overlay_zones).where(overlay_zones.c.camera_id == event.camera_id)
                          .values(zones=_dumps(event.zones), set_by=event.by, set_at=event.at))

    @process_event.register(events.RedactionRequested)
    def _requested(self, event: Any, tracking: Tracking) -> None:
        redaction_id = str(event.originator_id)
        self.conn.execute(insert(redactions).values(
            id=redaction_id, request_id=event.request_id, grant_id=event.grant_id, status="queued",
            own_image=int(bool(event.own_image)), requested_by=event.by, requested_at=event.at,
            updated_at=event.at, corrections=_dumps({"keep": {}, "manual": {}}), downloads=0, watches=0))
        if event.clip_ids:
            self.conn.execute(insert(redaction_clips), [
                {"redaction_id": redaction_id, "clip_id": clip_id, "status": "queued", "attempts": 0}
                for clip_id in event.clip_ids])

    @process_event.register(events.RedactionJobStarted)
    def _job_started(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(self._clip(event).values(status="running", attempts=event.attempt))
        self._touch(event)

    @process_event.register(events.RedactionDraftReady)
    def _draft_ready(self, event: Any, tracking: Tracking) -> None:
        draft = {"key_id": event.key_id, "blob_id": event.blob_id, "sha256": event.sha256,
                 "size": event.size, "frames": event.frames, "tracks": event.tracks,
                 "zone_drops": event.zone_drops}
        self.conn.execute(self._clip(event).values(status="drafted", draft=_dumps(draft)))
        waiting = self.conn.execute(select(redaction_clips.c.clip_id).where(
            redaction_clips.c.redaction_id == str(event.originator_id),
            redaction_clips.c.status != "drafted")).first()
        self._touch(event, **({} if waiting else {"status": "awaiting_review"}))

    @process_event.register(events.RedactionFailed)
    def _failed(self, event: Any, tracking: Tracking) -> None:
        row = self._row(event)
        failure = {"clip_id": event.clip_id, "stage": event.stage, "message": event.message,
                   "during": row["status"] if row else None, "at": event.at.isoformat()}
        self._touch(event, status="failed", failure=_dumps(failure))
        if event.clip_id:
            self.conn.execute(self._clip(event).where(redaction_clips.c.status == "running")
                              .values(status="queued"))

    @process_event.register(events.RedactionRequeued)
    def _requeued(self, event: Any, tracking: Tracking) -> None:
        row = self._row(event)
        failure = json.loads(row["failure"]) if row and row["failure"] else {}
        status = "approved" if failure.get("during") == "approved" else "queued"
        self._touch(event, status=status, failure=None)

    @process_event.register(events.RedactionCorrected)
    def _corrected(self, event: Any, tracking: Tracking) -> None:
        row = self._row(event)
        corrections = json.loads(row["corrections"]) if row else {"keep": {}, "manual": {}}
        kept = [t for t in corrections["keep"].get(event.clip_id, []) if t not in event.unkeep]
        kept += [t for t in event.keep if t not in kept]
        corrections["keep"][event.clip_id] = kept
        boxes = [b for b in corrections["manual"].get(event.clip_id, []) if b["id"] not in event.remove]
        corrections["manual"][event.clip_id] = boxes + list(event.add)
        self._touch(event, corrections=_dumps(corrections))

    @process_event.register(events.RedactionApproved)
    def _approved(self, event: Any, tracking: Tracking) -> None:
        approval = {"by": event.by, "at": event.at.isoformat(), "note": event.note,
                    "changes": event.changes, "drafts": event.drafts}
        self._touch(event, status="approved", approval=_dumps(approval))

    @process_event.register(events.RedactionRendered)
    def _rendered(self, event: Any, tracking: Tracking) -> None:
        artifact = {"delivery_id": event.delivery_id, "key_id": event.key_id, "blob_id": event.blob_id,
                    "sha256": event.sha256, "size": event.size, "manifest_sha256": event.manifest_sha256,
                    "max_downloads": event.max_downloads, "clips": event.clips,
                    "rendered_at": event.at.isoformat()}
        self._touch(event, status="ready", artifact=_dumps(artifact),
                    expires_at=datetime.fromisoformat(event.expires_at))

    @process_event.register(events.RedactionDownloaded)
    def _downloaded(self, event: Any, tracking: Tracking) -> None:
        self._touch(event, downloads=event.n)

    @process_event.register(events.RedactionWatched)
    def _watched(self, event: Any, tracking: Tracking) -> None:
        self._touch(event, watches=event.n)

    @process_event.register(events.RedactionPurged)
    def _purged(self, event: Any, tracking: Tracking) -> None:
        self._touch(event, status="purged", purged_at=event.at)
        self.conn.execute(update(redaction_clips).where(
            redaction_clips.c.redaction_id == str(event.originator_id)).values(draft=None))
        self.conn.execute(delete(redaction_progress).where(
            redaction_progress.c.redaction_id == str(event.originator_id)))

    def _row(self, event: Any) -> RowMapping | None:
        return self.conn.execute(select(redactions).where(
            redactions.c.id == str(event.originator_id))).mappings().one_or_none()

    def _clip(self, event: Any) -> Any:
        return update(redaction_clips).where(redaction_clips.c.redaction_id == str(event.originator_id),
                                             redaction_clips.c.clip_id == event.clip_id)

    def _touch(self, event: Any, **values: Any) -> None:
        self.conn.execute(update(redactions).where(redactions.c.id == str(event.originator_id))
                          .values(updated_at=event.at, **values))


# queries ----------------------------------------------------------------------------------

def get_by_request(conn: Connection, request_id: str) -> RowMapping | None:
    return conn.execute(select(redactions).where(redactions.c.request_id == request_id)
                        ).mappings().one_or_none()


def clips_of(conn: Connection, redaction_id: str) -> list[dict[str, Any]]:
    """The redaction's clips with the job's progress; the total is the probe's until it starts."""
    progress_row = ((redaction_progress.c.redaction_id == redaction_clips.c.redaction_id)
                    & (redaction_progress.c.clip_id == redaction_clips.c.clip_id))
    query = (select(redaction_clips, redaction_progress.c.frames_done, redaction_progress.c.frames_total,
                    clips.c.video)
             .outerjoin(redaction_progress, progress_row)
             .outerjoin(clips, clips.c.id == redaction_clips.c.clip_id)
             .where(redaction_clips.c.redaction_id == redaction_id).order_by(redaction_clips.c.clip_id))
    found = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        if item["frames_total"] is None and item["video"]:
            item["frames_total"] = int(json.loads(item["video"])["frames"])
        found.append(item)
    return found


def work_queue(conn: Connection, limit: int = 20) -> list[RowMapping]:
    """Redactions the job has something to do for: detection (queued) or rendering (approved)."""
    query = (select(redactions).where(redactions.c.status.in_(("queued", "approved")))
             .order_by(redactions.c.requested_at, redactions.c.id).limit(limit))
    return list(conn.execute(query).mappings())


def due_for_purge(conn: Connection, now: datetime) -> list[str]:
    """Ready copies past their expiry: their artifact and drafts are destroyed."""
    query = select(redactions.c.id).where(redactions.c.status == "ready", redactions.c.expires_at <= now)
    return [row[0] for row in conn.execute(query)]


def zones_for(conn: Connection, camera_id: str) -> list[dict[str, Any]]:
    value = conn.execute(select(overlay_zones.c.zones).where(overlay_zones.c.camera_id == camera_id)
                         ).scalar_one_or_none()
    return json.loads(value) if value else []


def zones_row(conn: Connection, camera_id: str) -> RowMapping | None:
    return conn.execute(select(overlay_zones).where(overlay_zones.c.camera_id == camera_id)
                        ).mappings().one_or_none()


def vault_references(conn: Connection) -> tuple[set[str], set[str]]:
    """Every data key and blob a redaction's draft or artifact refers to (purged ones are gone)."""
    keys: set[str] = set()
    blobs: set[str] = set()
    for (draft,) in conn.execute(select(redaction_clips.c.draft).where(redaction_clips.c.draft.is_not(None))):
        found = json.loads(draft)
        keys.add(found["key_id"])
        blobs.add(found["blob_id"])
    query = select(redactions.c.artifact).where(redactions.c.artifact.is_not(None),
                                                redactions.c.status != "purged")
    for (artifact,) in conn.execute(query):
        found = json.loads(artifact)
        keys.add(found["key_id"])
        blobs.add(found["blob_id"])
    return keys, blobs


# the job's own table ----------------------------------------------------------------------

def progress(conn: Connection, redaction_id: str, clip_id: str) -> RowMapping | None:
    return conn.execute(select(redaction_progress).where(
        redaction_progress.c.redaction_id == redaction_id,
        redaction_progress.c.clip_id == clip_id)).mappings().one_or_none()


def save_progress(conn: Connection, redaction_id: str, clip_id: str, frames_done: int,
                  frames_total: int, checkpoint: str | None, at: datetime) -> None:
    values = {"frames_done": frames_done, "frames_total": frames_total, "checkpoint": checkpoint,
              "updated_at": at}
    done = conn.execute(update(redaction_progress).where(
        redaction_progress.c.redaction_id == redaction_id,
        redaction_progress.c.clip_id == clip_id).values(**values))
    if not done.rowcount:
        conn.execute(insert(redaction_progress).values(redaction_id=redaction_id, clip_id=clip_id, **values))
