"""Clips from the video management system: encrypted into the vault as they stream in."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID, uuid4

from broker.adapters.video import VideoInfo, probe
from broker.adapters.video.errors import VideoError
from broker.application.actors import Actor, allowed
from broker.application.camera_refs import resolve_camera
from broker.application.context import UseCases
from broker.application.core import RecordConflict
from broker.domain.camera import Camera
from broker.domain.clip import Clip, check_window, clip_id_for_idempotency_key
from broker.domain.roles import Role
from broker.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from broker.readmodel.browse import clips_of_camera
from broker.readmodel.camera_view import as_public as camera_public
from broker.readmodel.camera_view import get_camera_row
from broker.readmodel.clip_view import as_public, require_clip_row


def _sha256_of(chunks: Iterable[bytes]) -> str:
    """The retried body's digest, read in full but kept nowhere."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _tee(chunks: Iterable[bytes], copy: IO[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        copy.write(chunk)
        yield chunk


def video_facts(info: VideoInfo) -> dict[str, Any]:
    """The probe as the Ingested event records it (fps as an exact fraction "num/den")."""
    return {"container": info.container, "codec": info.codec, "profile": info.profile,
            "width": info.width, "height": info.height, "fps": f"{info.fps.numerator}/{info.fps.denominator}",
            "frames": info.frames, "duration": round(info.duration, 6), "pixel_format": info.pixel_format}


class Clips(UseCases):
    @allowed(Role.OPERATOR)
    def ingest(self, actor: Actor, *, camera_id: UUID | None = None, camera_ref: str | None = None,
               start: datetime, end: datetime, chunks: Iterable[bytes],
               idempotency_key: str | None = None,
               declared_size: int | None = None) -> tuple[dict[str, Any], bool]:
        """Encrypt a clip into the vault and record ``Clip.Ingested``; (clip, replayed).

        The camera is ``camera_id``, or ``camera_ref``: an id, a key or a 관리번호 as operators
        know it. Everything is checked before the first byte is read. While the body is
        encrypted into the vault a private copy goes to the scratch area, and is probed
        (container, codec, size, fps, frame count, duration): a body that does not decode as
        video is a 422, and its ciphertext and key are destroyed. A retry with the same
        Idempotency-Key returns the clip that landed, without storing the body again. If the
        event cannot be recorded, the stored ciphertext and its key are destroyed.
        """
        app, limit = self.ctx.app, self.ctx.max_clip_bytes
        if declared_size is not None and declared_size > limit:
            raise PayloadTooLarge(f"clip larger than the configured maximum of {limit} bytes")
        if (camera_id is None) == (camera_ref is None):
            raise InvalidInput("give the camera by id or by reference, not both or neither")
        if camera_id is None:
            assert camera_ref is not None
            try:
                camera_id = resolve_camera(self, camera_ref)
            except NotFound as exc:
                raise InvalidInput(exc.detail) from None
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
        with self._scratch_copy() as (copy, path):
            stored = self.ctx.vault.store(str(clip_id), _tee(chunks, copy), limit)
            copy.close()
            try:
                info = probe(path)
            except VideoError as exc:
                self.ctx.vault.destroy(stored.key_id, stored.blob_id)
                detail = exc.detail.replace(str(path), "the body")
                raise type(exc)(f"the clip is not usable video, nothing was stored: {detail}") from None
            except BaseException:
                self.ctx.vault.destroy(stored.key_id, stored.blob_id)
                raise
        clip = Clip(id=clip_id, camera_id=str(camera_id), start=start, end=end, size=stored.size,
                    sha256=stored.sha256, key_id=stored.key_id, blob_id=stored.blob_id,
                    ingested_by=actor.client_id, at=self.ctx.clock.now(), video=video_facts(info))
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

    @contextlib.contextmanager
    def _scratch_copy(self) -> Iterator[tuple[IO[bytes], Path]]:
        """A private file (0600, in the data dir's scratch area) the probe reads; always removed."""
        scratch = self.ctx.scratch_dir
        scratch.mkdir(parents=True, exist_ok=True)
        os.chmod(scratch, 0o700)
        fd, name = tempfile.mkstemp(prefix="ingest-", suffix=".probe", dir=scratch)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle, path
        finally:
            path.unlink(missing_ok=True)

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
        return as_public(self.look_up(lambda conn: require_clip_row(conn, str(clip_id)), after))
