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
