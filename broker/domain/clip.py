"""An encrypted segment of one camera's video over ``[start, end)``.

The event records evidence (size, plaintext SHA-256) and where the ciphertext and its data key
live; never the key itself. Purging shreds the key and deletes the blob; the events remain.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.topics import topic

CLIP_NAMESPACE = uuid5(NAMESPACE_URL, "https://footage-broker.invalid/clip")
MAX_CLIP_WINDOW = timedelta(hours=24)
PURGE_REASONS = frozenset({"retention", "after_use"})


def clip_id_for_idempotency_key(client_id: str, idempotency_key: str) -> UUID:
    """The same client retrying with the same key addresses the same clip."""
    return uuid5(CLIP_NAMESPACE, f"{client_id}\x00{idempotency_key}")


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainInvalid("clip window times must carry a timezone")
    if end <= start:
        raise DomainInvalid("clip window end must be after its start")
    if end - start > MAX_CLIP_WINDOW:
        raise DomainInvalid(f"a clip may span at most {MAX_CLIP_WINDOW}")
    if end > now:
        raise DomainInvalid("clip window lies in the future")


class Clip(Aggregate):
    TOPIC = topic("Clip")

    class Event(Aggregate.Event):
        TOPIC = topic("Clip.Event")

    @event("Ingested", topic=topic("Clip.Ingested"))
    def __init__(
        self,
        id: UUID,  # eventsourcing takes the aggregate id from this parameter
        camera_id: str,
        start: datetime,
        end: datetime,
        size: int,
        sha256: str,
        key_id: str,
        blob_id: str,
        ingested_by: str,
        at: datetime,
        video: dict[str, Any] | None = None,
    ) -> None:
        """``video``: what the probe found (container, codec, size, fps, frames, duration);
        None on clips ingested before every clip was probed."""
        self.camera_id = camera_id
        self.start = start
        self.end = end
        self.size = size
        self.sha256 = sha256
        self.key_id = key_id
        self.blob_id = blob_id
        self.ingested_by = ingested_by
        self.ingested_at = at
        self.video = video
        self.purged_at: datetime | None = None
        self.purge_reason: str | None = None

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    def purge(self, reason: str, at: datetime) -> None:
        if reason not in PURGE_REASONS:
            raise DomainInvalid(f"unknown purge reason {reason!r}")
        if self.is_purged:
            raise DomainConflict(f"clip {self.id} is already purged")
        self._purged(camera_id=self.camera_id, reason=reason, at=at)

    @event("Purged", topic=topic("Clip.Purged"))
    def _purged(self, camera_id: str, reason: str, at: datetime) -> None:
        """``camera_id`` is repeated so the audit trail needs no lookup to place the purge."""
        self.purged_at = at
        self.purge_reason = reason
