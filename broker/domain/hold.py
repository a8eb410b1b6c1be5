"""A legal hold: keeps the clips of some cameras over a window past their retention, for a case,
until it is released or its term (``until``) ends: a hold is bounded, never forever."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from broker.domain.errors import DomainConflict, DomainInvalid
from broker.domain.topics import topic


class Hold(Aggregate):
    TOPIC = topic("Hold")

    class Event(Aggregate.Event):
        TOPIC = topic("Hold.Event")

    @event("Placed", topic=topic("Hold.Placed"))
    def __init__(self, case_reference: str, camera_ids: list[str], start: datetime,
                 end: datetime, placed_by: str, agency: str, request_id: str | None,
                 reason: str, until: datetime, at: datetime) -> None:
        self.case_reference = case_reference
        self.camera_ids = camera_ids
        self.start = start
        self.end = end
        self.placed_by = placed_by
        self.agency = agency
        self.request_id = request_id
        self.reason = reason
        self.until = until
        self.placed_at = at
        self.released_at: datetime | None = None

    @classmethod
    def place(cls, *, case_reference: str, camera_ids: list[str], start: datetime, end: datetime,
              placed_by: str, agency: str, request_id: str | None, reason: str, until: datetime,
              at: datetime) -> Hold:
        if not case_reference.strip():
            raise DomainInvalid("a hold needs a case reference")
        if not camera_ids:
            raise DomainInvalid("a hold needs at least one camera")
        if not reason.strip():
            raise DomainInvalid("a hold needs a reason")
        if end <= start:
            raise DomainInvalid("hold window end must be after its start")
        if end > at:
            raise DomainInvalid("a hold keeps recorded footage: its window cannot end in the future")
        if until <= at:
            raise DomainInvalid("a hold's term must end in the future")
        return cls(case_reference=case_reference, camera_ids=sorted(set(camera_ids)), start=start,
                   end=end, placed_by=placed_by, agency=agency, request_id=request_id,
                   reason=reason, until=until, at=at)

    @property
    def is_active(self) -> bool:
        """Not released (its term may still have run out: ``in_force``)."""
        return self.released_at is None

    def in_force(self, now: datetime) -> bool:
        return self.is_active and now < self.until

    def release(self, by: str, reason: str, at: datetime) -> None:
        if not self.is_active:
            raise DomainConflict(f"hold {self.id} is already released")
        self._released(by=by, reason=reason, at=at)

    @event("Released", topic=topic("Hold.Released"))
    def _released(self, by: str, reason: str, at: datetime) -> None:
        self.released_at = at
