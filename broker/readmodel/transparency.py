"""The public transparency report: aggregates only, never a person, a place or a case."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from broker.common.times import as_utc
from broker.readmodel.public_coverage import public_coverage
from broker.readmodel.tables import cameras, clips, footage_requests

ENDED_BY_REQUESTER = ("withdrawn", "superseded")
"""Requests the requester took back or replaced: not refusals, and counted apart from them."""


def _outcome(row: Any, decision: dict[str, Any] | None) -> str:
    if row["status"] in ENDED_BY_REQUESTER and (decision is None or
                                                 decision["outcome"] == "pending_review"):
        return str(row["status"])
    return decision["outcome"] if decision else "undecided"


def _in_sensible_units(minutes: float) -> dict[str, Any]:
    """Quick reviews in minutes, slow ones in hours or days: a figure a reader can take in."""
    if minutes < 120:
        return {"value": round(minutes, 1), "unit": "minutes"}
    if minutes < 2 * 24 * 60:
        return {"value": round(minutes / 60, 1), "unit": "hours"}
    return {"value": round(minutes / (24 * 60), 1), "unit": "days"}


def _decided_at(row: Any, decision: dict[str, Any] | None) -> datetime | None:
    if not decision or decision["outcome"] == "pending_review":
        return None
    review = decision.get("review")
    if review:
        return datetime.fromisoformat(review["reviewed_at"])
    return as_utc(row["decided_at"]) if row["decided_at"] else None


def transparency_report(conn: Connection, year: int, citizen_bases: frozenset[str],
                        purge_grace: timedelta) -> dict[str, Any]:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    by_basis: dict[str, Counter[str]] = defaultdict(Counter)
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    by_pack: dict[str, Counter[str]] = defaultdict(Counter)
    outcomes: Counter[str] = Counter()
    minutes: list[float] = []
    citizen = Counter[str]()
    overdue = 0
    query = select(footage_requests).where(footage_requests.c.submitted_at >= start,
                                           footage_requests.c.submitted_at < end)
    for row in conn.execute(query).mappings():
        decision = json.loads(row["decision"]) if row["decision"] else None
        outcome = _outcome(row, decision)
        submitted = as_utc(row["submitted_at"])
        by_month[f"{submitted:%Y-%m}"][outcome] += 1
        by_basis[row["legal_basis"]][outcome] += 1
        by_kind[row["role"]][outcome] += 1
        if decision:
            by_pack[f"{decision['pack_id']} {decision['pack_version']}"][outcome] += 1
        outcomes[outcome] += 1
        decided = _decided_at(row, decision)
        if decided is not None:  # decided requests only: pending and withdrawn ones have no time
            minutes.append((decided - submitted).total_seconds() / 60)
        if row["legal_basis"] in citizen_bases:
            citizen["filed"] += 1
            if outcome == "granted":
                citizen["granted"] += 1
        if row["overdue_at"] is not None:
            overdue += 1

    purged_on_time = purged_late = 0
    purge_query = (select(clips.c.end, clips.c.purged_at, cameras.c.retention_days)
                   .join(cameras, cameras.c.id == clips.c.camera_id)
                   .where(clips.c.status == "purged", clips.c.purged_at >= start,
                          clips.c.purged_at < end, clips.c.purge_reason == "retention"))
    for clip_end, purged_at, retention_days in conn.execute(purge_query):
        due = as_utc(clip_end) + timedelta(days=retention_days)
        if as_utc(purged_at) <= due + purge_grace:
            purged_on_time += 1
        else:
            purged_late += 1

    def table(counters: dict[str, Counter[str]]) -> list[dict[str, Any]]:
        return [{"key": key, "total": sum(c.values()), **dict(sorted(c.items()))}
                for key, c in sorted(counters.items())]

    return {
        "year": year,
        "requests": {
            "total": sum(outcomes.values()),
            "by_outcome": dict(sorted(outcomes.items())),
            "by_month": table(by_month),
            "by_legal_basis": table(by_basis),
            "by_agency_kind": table(by_kind),
            "by_policy_pack": table(by_pack),
            "median_hours_to_decision": (round(statistics.median(minutes) / 60, 2)
                                         if minutes else None),
            "median_minutes_to_decision": (round(statistics.median(minutes), 1)
                                           if minutes else None),
            "median_time_to_decision": (_in_sensible_units(statistics.median(minutes))
                                        if minutes else None),
            "refusals": outcomes["denied"],
            "ended_by_requester": {status: outcomes[status] for status in ENDED_BY_REQUESTER},
            "reviews_overdue": overdue,
        },
        "citizen_requests": {"filed": citizen["filed"], "granted": citizen["granted"]},
        "clips_purged_for_retention": {"on_time": purged_on_time, "late": purged_late,
                                       "grace_minutes": purge_grace.total_seconds() / 60},
        "coverage": public_coverage(conn, start, end),
    }
