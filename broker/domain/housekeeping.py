"""What the broker cleaned up by itself: keys and blobs a crashed ingest left without a clip.

A process killed mid-upload can leave a wrapped data key, a half-written blob or an open
multipart upload. The sweep that removes them records what it removed, so the audit trail
shows that nothing was left behind, and nothing disappeared unexplained.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from broker.domain.topics import topic


class VaultSweep(Aggregate):
    TOPIC = topic("VaultSweep")

    class Event(Aggregate.Event):
        TOPIC = topic("VaultSweep.Event")

    @event("Swept", topic=topic("VaultSweep.Swept"))
    def __init__(self, orphan_keys: list[str], orphan_blobs: list[str], stale_uploads: int,
                 at: datetime) -> None:
        self.orphan_keys = orphan_keys
        self.orphan_blobs = orphan_blobs
        self.stale_uploads = stale_uploads


class JobFailure(Aggregate):
    """A scheduled job that failed (it runs again at its next interval): recorded, so that the
    dashboard and the audit trail show it, not only the log. Successes are not recorded."""

    TOPIC = topic("JobFailure")

    class Event(Aggregate.Event):
        TOPIC = topic("JobFailure.Event")

    @event("Failed", topic=topic("JobFailure.Failed"))
    def __init__(self, job: str, error: str, at: datetime) -> None:
        self.job = job
        self.error = error
