"""Clips from the video management system: encrypted into the vault as they stream in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from broker.application.actors import Actor, allowed
from broker.application.context import UseCases
from broker.application.core import RecordConflict
from broker.domain.camera import Camera
from broker.domain.clip import Clip, check_window, clip_id_for_idempotency_key
from broker.domain.roles import Role
from broker.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from broker.readmodel.browse import clips_of_camera
from broker.readmodel.camera_view import as_public as camera_public
from broker.readmodel.camera_view import get_camera_row
from broker.readmodel.clip_view import as_public, get_clip_row


def _sha256_of(chunks: Iterable[bytes]) -> str:
    """The retried body's digest, read in full but kept nowhere."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class Clips(UseCases):
    @allowed(Role.OPERATOR)
    def ingest(self, actor: Actor, *, camera_id: UUID, start: datetime, end: datetime,
               chunks: Iterable[bytes], idempotency_key: str | None = None,
               declared_size: int | None = None) -> tuple[dict[str, Any], bool]:
        """Encrypt a clip into the vault and record ``Clip.Ingested``; (clip, replayed).

        Everything is checked before the first byte is read. A retry with the same
        Idempotency-Key returns the clip that landed, without storing the body again. If the
        event cannot be recorded, the stored ciphertext and its key are destroyed.
        """
        app, limit = self.ctx.app, self.ctx.max_clip_bytes
        if declared_size is not None and declared_size > limit:
            raise PayloadTooLarge(f"clip larger than the configured maximum of {limit} bytes")
        camera = app.find(camera_id, Camera)
        if camera is None:
            raise InvalidInput(f"unknown camera {camera_id}")
        if not camera.is_active:
            raise Conflict(f"camera {camera_id} is decommissioned")
        check_window(start, end, self.ctx.clock.now())
        if idempotency_key is not None:
            clip_id = clip_id_for_idempotency_key(actor.client_id, idempotency_key)
            landed = app.find(clip_id, Clip)
            if landed is not None:
                return self._replayed(landed, camera_id, start, end, _sha256_of(chunks))
        else:
            clip_id = uuid4()
        stored = self.ctx.vault.store(str(clip_id), chunks, limit)
        clip = Clip(id=clip_id, camera_id=str(camera_id), start=start, end=end, size=stored.size,
                    sha256=stored.sha256, key_id=stored.key_id, blob_id=stored.blob_id,
                    ingested_by=actor.client_id, at=self.ctx.clock.now())
        try:
            position = app.record(clip)
        except RecordConflict:
            # A concurrent retry with the same Idempotency-Key won the race: keep its copy.
            self.ctx.vault.destroy(stored.key_id, stored.blob_id)
            return self._replayed(app.load(clip_id, Clip, "clip"), camera_id, start, end,
                                  stored.sha256)
        except BaseException:
            self.ctx.vault.destroy(stored.key_id, stored.blob_id)
            raise
        return self._public(clip_id, after=position), False

    @allowed(Role.OPERATOR)
    def get(self, actor: Actor, clip_id: UUID) -> dict[str, Any]:
        return self._public(clip_id)

    @allowed(Role.OPERATOR)
    def of_camera(self, actor: Actor, camera_id: UUID, limit: int = 200) -> dict[str, Any]:
        """A camera and its clips, newest first: what the vault holds, what was purged and why."""
        with self.read() as conn:
            camera = get_camera_row(conn, str(camera_id))
            if camera is None:
                raise NotFound(f"no camera {camera_id}")
            rows = clips_of_camera(conn, str(camera_id), limit)
        return {"camera": camera_public(camera), "items": [as_public(row) for row in rows],
                "next_cursor": None}

    def _replayed(self, landed: Clip, camera_id: UUID, start: datetime, end: datetime,
                  sha256: str) -> tuple[dict[str, Any], bool]:
        """The clip an earlier attempt with this Idempotency-Key stored, if this attempt is the
        same ingest; reusing a key for other footage is a conflict, never a silent replay."""
        same = (landed.camera_id == str(camera_id) and landed.start == start
                and landed.end == end and landed.sha256 == sha256)
        if not same:
            raise Conflict("this Idempotency-Key was used for a different clip (camera, window "
                           "or bytes); use a new key for new footage")
        self.ctx.consistency.latest()  # it may have landed in another process, not yet projected
        return self._public(landed.id), True

    def _public(self, clip_id: UUID, after: int | None = None) -> dict[str, Any]:
        with self.read(after) as conn:
            row = get_clip_row(conn, str(clip_id))
        if row is None:
            raise NotFound(f"no clip {clip_id}")
        return as_public(row)
