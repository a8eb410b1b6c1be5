"""Filtered, paginated reads of the audit trail ("who viewed camera X last week, on what basis")."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from broker.readmodel.tables import audit_event_cameras, audit_events
from broker.timefmt import rfc3339


@dataclass(frozen=True)
class AuditFilter:
    camera_id: str | None = None
    agency: str | None = None
    client_id: str | None = None
    request_id: str | None = None
    event_type: str | None = None
    legal_basis: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def as_record(self) -> dict[str, Any]:
        """The filter as recorded in ``AuditAccess.Queried`` (times as RFC 3339)."""
        return {key: (rfc3339(value) if isinstance(value, datetime) else value)
                for key, value in asdict(self).items() if value is not None}


def _position_bounds(conn: Connection, flt: AuditFilter) -> tuple[int | None, int | None]:
    """Every event at or after ``start`` has a position >= the smallest such position (and
    likewise for ``end``), so a time range becomes a position range the other indexes serve."""
    low = high = None
    if flt.start is not None:
        low = conn.execute(select(func.min(audit_events.c.position))
                           .where(audit_events.c.at >= flt.start)).scalar_one_or_none()
        if low is None:
            return 0, -1
    if flt.end is not None:
        high = conn.execute(select(func.max(audit_events.c.position))
                            .where(audit_events.c.at < flt.end)).scalar_one_or_none()
        if high is None:
            return 0, -1
    return low, high


def build_query(conn: Connection, flt: AuditFilter, *, after: int | None, limit: int) -> Select[Any]:
    a = audit_events.c
    query = select(audit_events)
    if flt.camera_id is not None:
        query = query.join(audit_event_cameras, audit_event_cameras.c.position == a.position).where(
            audit_event_cameras.c.camera_id == flt.camera_id)
    for column, value in ((a.actor_agency, flt.agency), (a.actor_client_id, flt.client_id),
                          (a.request_id, flt.request_id), (a.event_type, flt.event_type),
                          (a.legal_basis, flt.legal_basis)):
        if value is not None:
            query = query.where(column == value)
    low, high = _position_bounds(conn, flt)
    if low is not None:
        query = query.where(a.position >= low)
    if high is not None:
        query = query.where(a.position <= high)
    if flt.start is not None:
        query = query.where(a.at >= flt.start)
    if flt.end is not None:
        query = query.where(a.at < flt.end)
    if after is not None:
        query = query.where(a.position > after)
    return query.order_by(a.position).limit(limit)


def query_events(conn: Connection, flt: AuditFilter, *, after: int | None = None,
                 limit: int = 100) -> tuple[list[dict[str, Any]], int | None]:
    """A page of matching events in log order, and the cursor of the next page (or None)."""
    rows = list(conn.execute(build_query(conn, flt, after=after, limit=limit + 1)).mappings())
    page = rows[:limit]
    cameras: dict[int, list[str]] = {}
    if page:
        positions = [row["position"] for row in page]
        for camera_id, position in conn.execute(
                select(audit_event_cameras.c.camera_id, audit_event_cameras.c.position)
                .where(audit_event_cameras.c.position.in_(positions))):
            cameras.setdefault(position, []).append(camera_id)
    items = [as_public(row, sorted(cameras.get(row["position"], []))) for row in page]
    return items, (page[-1]["position"] if len(rows) > limit else None)


def as_public(row: Any, camera_ids: list[str]) -> dict[str, Any]:
    return {
        "position": row["position"],
        "at": rfc3339(row["at"]),
        "event_type": row["event_type"],
        "aggregate_id": row["aggregate_id"],
        "actor": {"client_id": row["actor_client_id"], "role": row["actor_role"],
                  "agency": row["actor_agency"]},
        "request_id": row["request_id"],
        "grant_id": row["grant_id"],
        "clip_id": row["clip_id"],
        "camera_ids": camera_ids,
        "legal_basis": row["legal_basis"],
        "outcome": row["outcome"],
        "detail": json.loads(row["detail"]) if row["detail"] else None,
    }


CSV_COLUMNS = ("position", "at", "event_type", "aggregate_id", "actor_client_id", "actor_role",
               "actor_agency", "request_id", "grant_id", "clip_id", "camera_ids", "legal_basis",
               "outcome", "detail")


def csv_row(item: dict[str, Any]) -> list[str]:
    actor = item["actor"]
    values = {**item, "actor_client_id": actor["client_id"], "actor_role": actor["role"],
              "actor_agency": actor["agency"], "camera_ids": " ".join(item["camera_ids"]),
              "detail": json.dumps(item["detail"], ensure_ascii=False) if item["detail"] else ""}
    return ["" if values[c] is None else str(values[c]) for c in CSV_COLUMNS]
