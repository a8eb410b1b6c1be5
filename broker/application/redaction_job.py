"""The redaction job: draft queued clips, render approved redactions, destroy expired copies.

The scheduled ``redact`` job (``RedactionJob.run``) drafts each clip (detections per keyframe,
stored encrypted in the vault) and, once a privacy officer has reviewed and approved the draft,
renders the masked copy once: an H.264 MP4 per clip in a signed zip, stored encrypted under its
own key. Every step is an event, and so is every failure, with its cause (clip, stage, message).

The job runs in at most one process at a time (the scheduler's job lock), one clip after the
other, and checkpoints every ``redaction_checkpoint_frames`` frames into ``redaction_progress``:
a restarted job resumes there and writes the same draft an uninterrupted one would.
``Redactions`` (``broker.application.redactions``) adds the review and the downloads.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import RowMapping

from broker.adapters import evidence
from broker.adapters.redaction import masks
from broker.adapters.redaction.detectors import Zone
from broker.adapters.redaction.engine import (
    Checkpoint,
    Corrections,
    Draft,
    ManualBox,
    RedactionEngine,
    RedactionError,
)
from broker.adapters.redaction.models import ModelsMissing, locate
from broker.adapters.vault.errors import KeyShreddedError
from broker.adapters.vault.kek import export_public_key
from broker.application.context import UseCases
from broker.application.core import RecordConflict
from broker.common.times import rfc3339
from broker.domain.errors import DomainConflict
from broker.domain.redaction import Redaction, redaction_id_for
from broker.domain.request import FootageRequest
from broker.errors import Conflict, Gone
from broker.readmodel import camera_view, clip_view, redaction_view
from broker.readmodel.database import ReadModelDatabase

logger = logging.getLogger("broker.application.redactions")
DELIVERY_FORMAT = "footage-broker-delivery/2"
MAX_DRAFT_BYTES = 256 * 1024**2


class RedactionJob(UseCases):
    """The background half of the redaction use cases (scheduler and worker call it)."""

    engine_factory: Callable[[], RedactionEngine] | None = None
    """Builds the engine on first use (tests substitute one); the default loads the models."""

    _engine: RedactionEngine | None = None
    _position: int | None = None

    # the job ----------------------------------------------------------------------------------

    def run(self) -> int:
        """Work through the queue (the scheduled ``redact`` job): draft queued clips, render
        approved redactions; each failure is recorded and the job goes on. Steps done."""
        steps = 0
        self.ctx.consistency.latest()
        while True:
            with self.read() as conn:
                queue = redaction_view.work_queue(conn)
            progressed = False
            for row in queue:
                if self._step(row):
                    steps += 1
                    progressed = True
            if not progressed:
                self.ctx.consistency.wait(self._position)  # queries after the job see its work
                return steps

    def _step(self, row: RowMapping) -> bool:
        redaction = self.ctx.app.find(UUID(row["id"]), Redaction)
        if redaction is None or redaction.status not in ("queued", "approved"):
            return False
        footage_request = self.ctx.app.load(UUID(redaction.request_id), FootageRequest, "request")
        try:
            footage_request.require_usable_grant(self.ctx.clock.now())
        except DomainConflict as exc:
            self._purge(redaction, f"the grant ended: {exc.detail}")
            return True
        if redaction.status == "queued":
            if not redaction.clip_ids:
                self._fail(redaction, None, "scope", "no footage is available in the approved scope")
                return True
            clip_id = next(c for c in redaction.clip_ids if c not in redaction.drafts)
            self._draft_clip(redaction, clip_id)
        else:
            self._render(redaction, footage_request)
        return True

    def _draft_clip(self, redaction: Redaction, clip_id: str) -> None:
        try:
            engine = self._the_engine()
        except ModelsMissing as exc:
            self._fail(redaction, clip_id, "models", exc.detail)
            return
        with self.read() as conn:
            clip = clip_view.get_clip_row(conn, clip_id)
            zones = [Zone(z["x"], z["y"], z["w"], z["h"])
                     for z in redaction_view.zones_for(conn, clip["camera_id"])] if clip else []
            saved = redaction_view.progress(conn, str(redaction.id), clip_id)
        if clip is None or clip["status"] != "available":
            self._fail(redaction, clip_id, "read", f"clip {clip_id} is no longer available "
                       f"({clip['purge_reason'] if clip else 'unknown'})")
            return
        resume = Checkpoint.from_json(saved["checkpoint"]) if saved and saved["checkpoint"] else None
        redaction.start_clip(clip_id, resume.next_frame if resume else 0, engine.face.name,
                             at=self.ctx.clock.now())
        self._record(redaction)
        try:
            with self._source(clip_id, clip) as source:
                total = _frames_of(clip, source)

                def checkpoint(state: Checkpoint) -> None:
                    self._save_progress(str(redaction.id), clip_id, state.next_frame, total, state.to_json())

                self._save_progress(str(redaction.id), clip_id, resume.next_frame if resume else 0, total,
                                    resume.to_json() if resume else None)
                draft = engine.detect(source, clip_id=clip_id, source_sha256=clip["sha256"], zones=zones,
                                      total_frames=total, resume=resume, on_checkpoint=checkpoint)
        except RedactionError as exc:
            self._fail(redaction, clip_id, exc.stage, exc.message)
            return
        except KeyShreddedError:
            self._fail(redaction, clip_id, "read", f"clip {clip_id} was purged while it was being masked")
            return
        except Exception as exc:
            logger.exception("redaction %s: detection of clip %s failed", redaction.id, clip_id)
            self._fail(redaction, clip_id, "detect", f"{type(exc).__name__}: {exc}")
            return
        data = draft.to_bytes()
        try:
            stored = self.ctx.vault.store(f"redaction-draft:{redaction.id}:{clip_id}", [data],
                                          MAX_DRAFT_BYTES)
        except Exception as exc:
            self._fail(redaction, clip_id, "store", f"the draft could not be stored: {exc}")
            return
        fresh = self.ctx.app.load(redaction.id, Redaction, "redaction")
        try:
            fresh.draft_ready(clip_id, stored.key_id, stored.blob_id, stored.sha256, stored.size,
                              draft.frames,
                              draft.counts(), draft.zone_drops, at=self.ctx.clock.now())
            self._record(fresh)
        except BaseException:
            self.ctx.vault.destroy(stored.key_id, stored.blob_id)
            raise
        self._save_progress(str(redaction.id), clip_id, draft.frames, draft.frames, None)

    def _render(self, redaction: Redaction, footage_request: FootageRequest) -> None:
        try:
            engine = self._the_engine()
        except ModelsMissing as exc:
            self._fail(redaction, None, "models", exc.detail)
            return
        delivery_id = str(uuid4())
        now = self.ctx.clock.now()
        grant = footage_request.grant
        assert grant is not None and redaction.approval is not None
        expires = min(datetime.fromisoformat(grant["expires_at"]),
                      now + timedelta(days=self.ctx.delivery_days))
        work = Path(tempfile.mkdtemp(prefix="render-", dir=self._scratch()))
        entries: list[dict[str, Any]] = []
        try:
            bodies = []
            with self.read() as conn:
                clips = {c: clip_view.get_clip_row(conn, c) for c in redaction.clip_ids}
                cameras = {c["camera_id"]: camera_view.get_camera_row(conn, c["camera_id"])
                           for c in clips.values() if c is not None}
            for clip_id in redaction.clip_ids:
                clip = clips[clip_id]
                if clip is None or clip["status"] != "available":
                    raise RedactionError("read", f"clip {clip_id} is no longer available")
                draft = self._draft(redaction, clip_id)
                corrections = corrections_of(redaction, clip_id)
                with self._source(clip_id, clip) as source:
                    report = engine.render(source, draft, corrections, work / f"{clip_id}.mp4")
                camera = cameras.get(clip["camera_id"])
                entries.append({
                    "file": evidence.clip_path(clip_id, ".mp4"), "clip_id": clip_id,
                    "camera": {"id": clip["camera_id"], "name": camera["name"] if camera else None,
                               "address": camera["address"] if camera else None},
                    "start": rfc3339(clip["start"]), "end": rfc3339(clip["end"]),
                    "size": report.size, "sha256": report.sha256, "source_sha256": clip["sha256"],
                    "video": {"codec": "h264", "container": "mp4", "pixel_format": "yuv420p",
                              "faststart": True, "width": draft.width, "height": draft.height,
                              "fps": str(draft.fps), "frames": report.frames},
                    "masking": {"masked": True, "method": masks.METHOD,
                                "frames_masked": report.frames_masked, "boxes": report.boxes,
                                "tracks": draft.counts(), "kept_tracks": sorted(corrections.keep),
                                "manual_boxes": len(corrections.manual),
                                "overlay_zones": draft.zones, "zone_drops": draft.zone_drops,
                                "draft_sha256": redaction.drafts[clip_id]["sha256"]},
                })
                bodies.append((clip_id, _reader(report.path)))
            decision = footage_request.decision or {}
            manifest = evidence.canonical({
                "format": DELIVERY_FORMAT, "delivery_id": delivery_id, "created_at": rfc3339(now),
                "request_id": redaction.request_id, "grant_id": grant["id"], "masked": True,
                "legal_basis": {"id": decision.get("legal_basis"), "citation": decision.get("citation")},
                "window": grant["window"], "restrictions": grant["restrictions"],
                "detector": engine.info(), "approval": redaction.approval,
                "expires_at": rfc3339(expires), "max_downloads": self.ctx.delivery_max_downloads,
                "clips": entries, "signing_key_id": export_public_key(self.ctx.signing_key).key_id,
            })
            signature = evidence.signature_document(manifest, self.ctx.signing_key)
            package = work / "delivery.zip"
            with package.open("wb") as handle:
                for chunk in evidence.stream_package(manifest, signature, bodies, suffix=".mp4"):
                    handle.write(chunk)
            stored = self.ctx.vault.store(f"redaction-delivery:{delivery_id}", _reader(package)(),
                                          self.ctx.max_clip_bytes * max(1, len(entries)))
        except RedactionError as exc:
            self._fail(redaction, None, exc.stage if exc.stage != "detect" else "render", exc.message)
            return
        except Exception as exc:
            logger.exception("redaction %s: rendering failed", redaction.id)
            self._fail(redaction, None, "render", f"{type(exc).__name__}: {exc}")
            return
        finally:
            shutil.rmtree(work, ignore_errors=True)
        fresh = self.ctx.app.load(redaction.id, Redaction, "redaction")
        try:
            fresh.rendered(delivery_id, stored.key_id, stored.blob_id, stored.sha256, stored.size,
                           hashlib.sha256(manifest).hexdigest(), expires.isoformat(),
                           self.ctx.delivery_max_downloads,
                           [{"clip_id": e["clip_id"], "sha256": e["sha256"],
                             "frames_masked": e["masking"]["frames_masked"]} for e in entries], at=now)
            self._record(fresh)
        except BaseException:
            self.ctx.vault.destroy(stored.key_id, stored.blob_id)
            raise

    # purges -----------------------------------------------------------------------------------

    def purge_expired(self) -> int:
        """Destroy the copies whose download period has passed (the scheduled sweep)."""
        self.ctx.consistency.latest()
        with self.read() as conn:
            due = redaction_view.due_for_purge(conn, self.ctx.clock.now())
        purged = 0
        for redaction_id in due:
            redaction = self.ctx.app.find(UUID(redaction_id), Redaction)
            if redaction is not None and redaction.status == "ready":
                purged += self._purge(redaction, "the download period ended")
        self.ctx.consistency.wait(self._position)
        return purged

    def purge_for_request(self, request_id: str, reason: str) -> int:
        """With the request's records: its drafts and masked copy are destroyed too."""
        redaction = self.ctx.app.find(redaction_id_for(request_id), Redaction)
        if redaction is None or redaction.status == "purged":
            return 0
        return self._purge(redaction, reason)

    def _purge(self, redaction: Redaction, reason: str) -> int:
        self.ctx.vault.destroy_many(redaction.vault_locations())
        redaction.purge(reason, at=self.ctx.clock.now())
        try:
            self._record(redaction)
        except RecordConflict:
            return 0
        return 1

    # helpers ----------------------------------------------------------------------------------

    def _fail(self, redaction: Redaction, clip_id: str | None, stage: str, message: str) -> None:
        logger.warning("redaction %s failed at %s (clip %s): %s", redaction.id, stage, clip_id, message)
        fresh = self.ctx.app.load(redaction.id, Redaction, "redaction")
        fresh.fail(clip_id, stage, message, at=self.ctx.clock.now())
        self._record(fresh)

    def _record(self, *aggregates: Any) -> None:
        position = self.ctx.app.record(*aggregates)
        if position is not None:
            self._position = max(position, self._position or 0)

    def _the_engine(self) -> RedactionEngine:
        if self._engine is None:
            if self.engine_factory is not None:
                self._engine = self.engine_factory()
            else:
                self._engine = RedactionEngine(locate(self.ctx.models_dir),
                                               checkpoint_frames=self.ctx.redaction_checkpoint_frames)
        return self._engine

    def _draft(self, redaction: Redaction, clip_id: str) -> Draft:
        found = redaction.drafts.get(clip_id)
        if found is None:
            raise Conflict(f"clip {clip_id} has no draft yet" if clip_id in redaction.clip_ids
                           else f"clip {clip_id} is not part of this redaction")
        try:
            data = b"".join(self.ctx.vault.read(f"redaction-draft:{redaction.id}:{clip_id}",
                                                found["key_id"], found["blob_id"], int(found["size"])))
        except KeyShreddedError:
            raise Gone(f"the draft of clip {clip_id} has been destroyed") from None
        return Draft.from_bytes(data)

    def _scratch(self) -> Path:
        scratch = self.ctx.scratch_dir
        scratch.mkdir(parents=True, exist_ok=True)
        os.chmod(scratch, 0o700)
        return scratch

    @contextlib.contextmanager
    def _source(self, clip_id: str, clip: RowMapping | None = None) -> Iterator[Path]:
        """The clip's plaintext in a private scratch file, removed when done."""
        if clip is None:
            with self.read() as conn:
                clip = clip_view.get_clip_row(conn, clip_id)
        if clip is None or clip["status"] != "available":
            raise Gone(f"clip {clip_id} is no longer available")
        fd, name = tempfile.mkstemp(prefix="redact-", suffix=".src", dir=self._scratch())
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in self.ctx.vault.read(clip_id, clip["key_id"], clip["blob_id"], clip["size"]):
                    handle.write(chunk)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def _save_progress(self, redaction_id: str, clip_id: str, done: int, total: int,
                       checkpoint: str | None) -> None:
        db: ReadModelDatabase = self.ctx.readmodel
        with db.writer.begin() as conn:
            redaction_view.save_progress(conn, redaction_id, clip_id, done, total, checkpoint,
                                         self.ctx.clock.now())


def corrections_of(redaction: Redaction, clip_id: str) -> Corrections:
    boxes = tuple(ManualBox(id=b["id"], x=b["x"], y=b["y"], w=b["w"], h=b["h"],
                            from_frame=b["from_frame"], to_frame=b["to_frame"])
                  for b in redaction.manual.get(clip_id, []))
    return Corrections(keep=frozenset(redaction.keep.get(clip_id, [])), manual=boxes)


def _frames_of(clip: RowMapping, source: Path) -> int:
    video = clip_view.video_of(clip)
    if video is not None:
        return int(video["frames"])
    from broker.adapters.video import probe
    from broker.adapters.video.errors import VideoError

    try:
        return probe(source).frames  # a clip from before every clip was probed
    except VideoError as exc:
        raise RedactionError("decode", exc.detail) from None


def _reader(path: Path) -> Callable[[], Iterator[bytes]]:
    def read() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    return read
