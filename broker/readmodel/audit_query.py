"""Filtered, paginated reads of the audit trail ("who viewed camera X last week, on what basis").

Pages run in (time, position) order with a keyset cursor; every filter column has an index
that leads with it and continues with (time, position), so a page is one index range scan.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, or_, select

from broker.common import csvout, cursors
from broker.common.times import as_utc, rfc3339
from broker.errors import InvalidInput
from broker.readmodel.people_view import actor_names
from broker.readmodel.tables import audit_event_cameras, audit_events


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
    include_types: tuple[str, ...] = ()
    """Only these event types (any of them); empty: every type."""
    exclude_types: tuple[str, ...] = ()
    """Never these event types (a camera import's thousands of ``Camera.Registered``)."""
    newest_first: bool = False

    def as_record(self) -> dict[str, Any]:
        """The filter as recorded in ``AuditAccess.Queried`` (times as RFC 3339)."""
        return {key: (rfc3339(value) if isinstance(value, datetime)
                      else list(value) if isinstance(value, tuple) else value)
                for key, value in asdict(self).items() if value not in (None, (), False)}


@dataclass(frozen=True)
class AuditCursor:
    at: datetime
    position: int

    def encode(self) -> str:
        return cursors.encode(as_utc(self.at).isoformat(), str(self.position))

    @classmethod
    def decode(cls, token: str) -> AuditCursor:
        at, position = cursors.decode(token, 2)
        try:
            cursor = cls(as_utc(datetime.fromisoformat(at)), int(position))
        except (ValueError, OverflowError):
            raise InvalidInput("cursor is malformed") from None
        if not 0 <= cursor.position < 2**63:
            raise InvalidInput("cursor is malformed")
        return cursor


def build_query(flt: AuditFilter, *, after: AuditCursor | None, limit: int) -> Select[Any]:
    e = audit_events.c
    if flt.camera_id is not None:
        # Drive from the camera index; its own (at, position) order is the page order.
        c = audit_event_cameras.c
        at, position = c.at, c.position
        query = (select(audit_events).select_from(audit_event_cameras)
                 .join(audit_events, e.position == c.position).where(c.camera_id == flt.camera_id))
    else:
        at, position = e.at, e.position
        query = select(audit_events)
    for column, value in ((e.actor_agency, flt.agency), (e.actor_client_id, flt.client_id),
                          (e.request_id, flt.request_id), (e.event_type, flt.event_type),
                          (e.legal_basis, flt.legal_basis)):
        if value is not None:
            query = query.where(column == value)
    if flt.include_types:
        query = query.where(e.event_type.in_(flt.include_types))
    if flt.exclude_types:
        query = query.where(e.event_type.not_in(flt.exclude_types))
    if flt.start is not None:
        query = query.where(at >= flt.start)
    if flt.end is not None:
        query = query.where(at < flt.end)
    if flt.newest_first:
        if after is not None:
            query = query.where(or_(at < after.at, and_(at == after.at, position < after.position)))
        return query.order_by(at.desc(), position.desc()).limit(limit)
    if after is not None:
        query = query.where(or_(at > after.at, and_(at == after.at, position > after.position)))
    return query.order_by(at, position).limit(limit)


def query_events(conn: Connection, flt: AuditFilter, *, after: AuditCursor | None = None,
                 limit: int = 100) -> tuple[list[dict[str, Any]], AuditCursor | None]:
    """A page of matching events in time order, and the cursor of the next page (or None)."""
    rows = list(conn.execute(build_query(flt, after=after, limit=limit + 1)).mappings())
    page = rows[:limit]
    cameras: dict[int, list[str]] = {}
    if page:
        positions = [row["position"] for row in page]
        for camera_id, position in conn.execute(
                select(audit_event_cameras.c.camera_id, audit_event_cameras.c.position)
                .where(audit_event_cameras.c.position.in_(positions))):
            cameras.setdefault(position, []).append(camera_id)
    names = actor_names(conn, {row["actor_client_id"] for row in page if row["actor_client_id"]})
    items = [as_public(row, sorted(cameras.get(row["position"], [])), names) for row in page]
    next_cursor = AuditCursor(page[-1]["at"], page[-1]["position"]) if len(rows) > limit else None
    return items, next_cursor


def as_public(row: Any, camera_ids: list[str], names: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "position": row["position"],
        "at": rfc3339(row["at"]),
        "event_type": row["event_type"],
        "aggregate_id": row["aggregate_id"],
        "actor": {"client_id": row["actor_client_id"], "role": row["actor_role"],
                  "agency": row["actor_agency"],
                  "name": (names or {}).get(row["actor_client_id"] or "")},
        "request_id": row["request_id"],
        "grant_id": row["grant_id"],
        "clip_id": row["clip_id"],
        "camera_ids": camera_ids,
        "legal_basis": row["legal_basis"],
        "outcome": row["outcome"],
        "detail": json.loads(row["detail"]) if row["detail"] else None,
    }


CSV_COLUMNS = ("position", "at", "event_type", "aggregate_id", "actor_client_id", "actor_name",
               "actor_role", "actor_agency", "request_id", "grant_id", "clip_id", "camera_ids", "legal_basis",
               "outcome", "detail")


def csv_row(item: dict[str, Any]) -> list[str]:
    actor = item["actor"]
    values = {**item, "actor_client_id": actor["client_id"], "actor_name": actor.get("name"),
              "actor_role": actor["role"],
              "actor_agency": actor["agency"], "camera_ids": " ".join(item["camera_ids"]),
              "detail": json.dumps(item["detail"], ensure_ascii=False) if item["detail"] else ""}
    return ["" if values[c] is None else str(values[c]) for c in CSV_COLUMNS]


def to_csv(items: list[dict[str, Any]]) -> bytes:
    return csvout.render(CSV_COLUMNS, [csv_row(item) for item in items])
