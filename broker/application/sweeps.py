"""Retention sweeps: purge expired footage, expire grants, flag overdue reviews.

Planning reads the read model and applies the pure rules of ``broker.domain.retention``;
execution goes through the application, which records every change as an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection

from broker.bootstrap import Broker
from broker.domain.retention import PurgeItem, Verdict, judge
from broker.readmodel import clip_view, request_view

BATCH_SIZE = 500


@dataclass
class PurgeReport:
    as_of: datetime
    dry_run: bool
    due: int = 0
    purged: int = 0
    kept_by_hold: int = 0
    verdicts: list[Verdict] = field(default_factory=list)
    """Filled by dry runs only: a real run keeps counts, not a list as long as the backlog."""


def run_purge(broker: Broker, *, as_of: datetime | None = None, dry_run: bool = False,
              batch_size: int = BATCH_SIZE) -> PurgeReport:
    """Purge every clip whose retention has passed and no active hold covers.

    Works page by page (memory stays flat however much footage is due), judging each page
    against the holds as they are just before it is destroyed. ``as_of`` other than now is for
    dry runs ("what would go on the 1st?"): a real purge never runs ahead of the clock.
    """
    now = broker.clock.now()
    if as_of is not None and as_of > now and not dry_run:
        raise ValueError("a real purge cannot run ahead of the clock; use --dry-run")
    moment = as_of or now
    report = PurgeReport(as_of=moment, dry_run=dry_run)
    broker.projector.catch_up()
    after: tuple[datetime, str] | None = None
    while True:
        with broker.readmodel.reader.connect() as conn:
            page = clip_view.expired_candidates(conn, moment, after=after, limit=batch_size)
            holds = request_view.hold_spans(conn)
        if not page:
            break
        after = (page[-1].end, page[-1].clip_id)
        verdicts = judge(page, holds, moment)
        report.kept_by_hold += sum(1 for v in verdicts if v.reason is None)
        if dry_run:
            report.verdicts.extend(verdicts)
            continue
        report.due += sum(1 for v in verdicts if v.reason is not None)
        report.purged += broker.app.purge_clips(
            [PurgeItem(v.clip.clip_id, v.reason, v.clip.due_at) for v in verdicts if v.reason])
    if dry_run:
        report.verdicts.sort(key=lambda v: (v.clip.due_at, v.clip.clip_id))
        report.due = sum(1 for v in report.verdicts if v.reason is not None)
    broker.projector.catch_up()
    return report


def _sweep(broker: Broker, find_due: Callable[[Connection, datetime], list[str]],
           settle: Callable[[UUID], bool]) -> int:
    """Find the requests a rule says are due (read model), settle each (an event or nothing)."""
    broker.projector.catch_up()
    with broker.readmodel.reader.connect() as conn:
        due = find_due(conn, broker.clock.now())
    settled = sum(1 for request_id in due if settle(UUID(request_id)))
    broker.projector.catch_up()
    return settled


def expire_grants(broker: Broker) -> int:
    return _sweep(broker, request_view.granted_past_expiry, broker.app.expire_grant)


def flag_overdue_reviews(broker: Broker) -> int:
    return _sweep(broker, request_view.pending_past_deadline, broker.app.flag_overdue_review)


def erase_personal_data(broker: Broker) -> int:
    """Shred the subject keys of requests older than the pack's record retention."""
    days = broker.policy.record_retention_days
    erased = _sweep(broker,
                    lambda conn, now: request_view.personal_data_past_retention(conn, now, days),
                    broker.app.erase_personal_data)
    if erased:
        broker.readmodel.compact_wal()
    return erased
