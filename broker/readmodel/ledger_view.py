"""The provision ledger: every provision of footage beyond its purpose, with the fields of
Korea's PIPA Art. 18(4)-(5) and Enforcement Decree Art. 15 (file, recipient, purpose, legal
ground, items, date and period, method, restrictions)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, insert, select, update

from broker.common import csvout
from broker.common.times import rfc3339
from broker.domain import events
from broker.readmodel.projection import ViewProjection
from broker.readmodel.tables import footage_requests, provisions

FILE_NAME = "공공 CCTV 영상정보 (public CCTV footage, footage-broker)"


class LedgerView(ViewProjection):
    """One provision per grant, with its views, exports and how it ended."""

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a provision event."""

    @process_event.register(events.RequestGranted)
    def _granted(self, event: Any, tracking: Tracking) -> None:
        request = self.conn.execute(select(footage_requests).where(
            footage_requests.c.id == str(event.originator_id))).mappings().one()
        decision = json.loads(request["decision"]) if request["decision"] else {}
        details = json.loads(request["details"])
        incident = details.get("incident") or {}
        purpose = f"{request['legal_basis']}: {incident.get('kind') or 'unspecified'}"
        if incident.get("reference"):
            purpose += f" (case {incident['reference']})"
        self.conn.execute(insert(provisions).values(
            grant_id=event.grant_id, request_id=request["id"],
            recipient_client_id=request["client_id"], recipient_agency=request["agency"],
            recipient_role=request["role"], legal_basis=request["legal_basis"],
            citation=decision.get("citation"), purpose=purpose,
            camera_ids=json.dumps(event.camera_ids),
            window_start=datetime.fromisoformat(event.window["start"]),
            window_end=datetime.fromisoformat(event.window["end"]),
            provided_at=event.at, expires_at=datetime.fromisoformat(event.expires_at),
            status="active", views=0, exports=0,
            restrictions=json.dumps(event.restrictions, ensure_ascii=False),
            onward_transfer=event.onward_transfer,
        ))

    @process_event.register(events.RequestViewed)
    def _viewed(self, event: Any, tracking: Tracking) -> None:
        self._count(event, "views")

    @process_event.register(events.RequestExported)
    @process_event.register(events.RequestDelivered)
    def _exported(self, event: Any, tracking: Tracking) -> None:
        self._count(event, "exports")

    @process_event.register(events.RequestWithdrawn)
    def _withdrawn(self, event: Any, tracking: Tracking) -> None:
        self._end(event, "withdrawn")

    @process_event.register(events.RequestClosed)
    def _closed(self, event: Any, tracking: Tracking) -> None:
        self._end(event, "closed")

    @process_event.register(events.RequestRevoked)
    def _revoked(self, event: Any, tracking: Tracking) -> None:
        self._end(event, "revoked")

    @process_event.register(events.RequestExpired)
    def _expired(self, event: Any, tracking: Tracking) -> None:
        self._end(event, "expired")

    def _count(self, event: Any, column: str) -> None:
        self.conn.execute(update(provisions).where(provisions.c.grant_id == event.grant_id)
                          .values({column: provisions.c[column] + 1}))

    def _end(self, event: Any, status: str) -> None:
        self.conn.execute(update(provisions).where(
            provisions.c.request_id == str(event.originator_id), provisions.c.status == "active")
            .values(status=status, ended_at=event.at))


LEDGER_COLUMNS = (
    "provided_at", "file_name", "recipient_agency", "recipient_role", "purpose", "legal_basis",
    "legal_ground", "items", "window_start", "window_end", "period_until", "method",
    "restrictions", "onward_transfer", "status", "views", "exports", "grant_id", "request_id",
)


def ledger_rows(conn: Connection, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    query = select(provisions).order_by(provisions.c.provided_at, provisions.c.grant_id)
    if start is not None:
        query = query.where(provisions.c.provided_at >= start)
    if end is not None:
        query = query.where(provisions.c.provided_at < end)
    rows = []
    for row in conn.execute(query).mappings():
        cameras = json.loads(row["camera_ids"])
        masked = row["recipient_role"] == "citizen_portal"
        method = ("masked copy delivered to the data subject" if masked
                  else "online viewing (decrypting stream)")
        if row["exports"] and not masked:
            method += f"; signed evidence export x{row['exports']}"
        elif row["exports"]:
            method += f" x{row['exports']}"
        rows.append({
            "provided_at": rfc3339(row["provided_at"]),
            "file_name": FILE_NAME,
            "recipient_agency": row["recipient_agency"],
            "recipient_role": row["recipient_role"],
            "purpose": row["purpose"],
            "legal_basis": row["legal_basis"],
            "legal_ground": row["citation"],
            "items": f"{len(cameras)} camera(s): {', '.join(cameras)}",
            "window_start": rfc3339(row["window_start"]),
            "window_end": rfc3339(row["window_end"]),
            "period_until": rfc3339(row["expires_at"]),
            "method": method,
            "restrictions": "; ".join(json.loads(row["restrictions"])),
            "onward_transfer": row["onward_transfer"],
            "status": row["status"],
            "views": row["views"],
            "exports": row["exports"],
            "grant_id": row["grant_id"],
            "request_id": row["request_id"],
        })
    return rows


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    return csvout.render(LEDGER_COLUMNS, [[str(row[c]) for c in LEDGER_COLUMNS] for row in rows])
