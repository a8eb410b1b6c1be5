"""Looking at the audit trail is itself recorded: who queried it, when, with which filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from broker.domain.topics import topic


class AuditAccess(Aggregate):
    TOPIC = topic("AuditAccess")

    class Event(Aggregate.Event):
        TOPIC = topic("AuditAccess.Event")

    @event("Queried", topic=topic("AuditAccess.Queried"))
    def __init__(self, client_id: str, role: str, agency: str, what: str,
                 filters: dict[str, Any], at: datetime) -> None:
        self.client_id = client_id
        self.what = what
        self.filters = filters


class ChainVerification(Aggregate):
    """One run of the chain's verification and what it found, pass or fail: so that the
    dashboard shows when the trail was last proven intact, and a failure stays on record even
    after whoever saw it has closed the page. ``by`` is None when the scheduler ran it."""

    TOPIC = topic("ChainVerification")

    class Event(Aggregate.Event):
        TOPIC = topic("ChainVerification.Event")

    @event("Completed", topic=topic("ChainVerification.Completed"))
    def __init__(self, ok: bool, events_checked: int, tree_size: int, checkpoints_verified: int,
                 first_bad_position: int | None, reason: str, by: str | None,
                 at: datetime) -> None:
        self.ok = ok
        self.reason = reason
