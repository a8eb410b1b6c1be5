"""The provision ledger: every provision of footage beyond its purpose, with the fields of
Korea's PIPA Art. 18(4)-(5) and Enforcement Decree Art. 15 (file, recipient, purpose, legal
ground, items, date and period, method, restrictions)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, bindparam, select, update

from broker.common import csvout
from broker.common.times import rfc3339
from broker.domain import events
from broker.readmodel.projection import ReadModelView, ViewProjection
from broker.readmodel.rows import PendingRows
from broker.readmodel.tables import cameras, footage_requests, provisions

FILE_NAME = "공공 CCTV 영상정보 (public CCTV footage, footage-broker)"


@dataclass(frozen=True)
class _Requested:
    """What the ledger takes from a request for each provision made on it."""

    client_id: str
    agency: str
    role: str
    legal_basis: str
    purpose: str
    citation: str | None = None


_REQUESTED = select(footage_requests.c.client_id, footage_requests.c.agency,
                    footage_requests.c.role, footage_requests.c.legal_basis,
                    footage_requests.c.details, footage_requests.c.decision).where(
    footage_requests.c.id == bindparam("request_id"))
_COUNT = {column: update(provisions).where(provisions.c.grant_id == bindparam("grant"))
          .values({column: provisions.c[column] + 1}) for column in ("views", "exports")}
_END = (update(provisions)
        .where(provisions.c.request_id == bindparam("request"), provisions.c.status == "active")
        .values(status=bindparam("new_status"), ended_at=bindparam("ended")))


def _purpose(legal_basis: str, details: dict[str, Any]) -> str:
    incident = details.get("incident") or {}
    purpose = f"{legal_basis}: {incident.get('kind') or 'unspecified'}"
    if incident.get("reference"):
        purpose += f" (case {incident['reference']})"
    return purpose


class LedgerView(ViewProjection):
    """One provision per grant, with its views, exports and how it ended.

    Requests filed and granted in the same batch (the usual case) are read from memory, not
    from the request rows, which are written only when the batch ends."""

    def __init__(self, view: ReadModelView) -> None:
        super().__init__(view)
        self._requests: dict[str, _Requested] = {}
        self._provisions = PendingRows(provisions, key="grant_id")

    def flush(self) -> None:
        self._provisions.flush(self.conn)
        self._requests.clear()

    def discard(self) -> None:
        self._provisions.discard()
        self._requests.clear()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a provision event."""

    @process_event.register(events.RequestSubmitted)
    def _submitted(self, event: Any, tracking: Tracking) -> None:
        requester, basis = event.requester, event.details["legal_basis"]
        self._requests[str(event.originator_id)] = _Requested(
            client_id=requester["client_id"], agency=requester["agency"], role=requester["role"],
            legal_basis=basis, purpose=_purpose(basis, event.details))

    @process_event.register(events.RequestDecided)
    @process_event.register(events.RequestReviewed)
    def _decided(self, event: Any, tracking: Tracking) -> None:
        requested = self._requests.get(str(event.originator_id))
        if requested is not None:
            self._requests[str(event.originator_id)] = replace(
                requested, citation=event.decision.get("citation"))

    @process_event.register(events.RequestGranted)
    def _granted(self, event: Any, tracking: Tracking) -> None:
        request_id = str(event.originator_id)
        requested = self._requests.get(request_id) or self._stored_request(request_id)
        self._provisions.add(
            grant_id=event.grant_id, request_id=request_id,
            recipient_client_id=requested.client_id, recipient_agency=requested.agency,
            recipient_role=requested.role, legal_basis=requested.legal_basis,
            citation=requested.citation, purpose=requested.purpose,
            camera_ids=json.dumps(event.camera_ids),
            window_start=datetime.fromisoformat(event.window["start"]),
            window_end=datetime.fromisoformat(event.window["end"]),
            provided_at=event.at, expires_at=datetime.fromisoformat(event.expires_at),
            ended_at=None, status="active", views=0, exports=0,
            restrictions=json.dumps(event.restrictions, ensure_ascii=False),
            onward_transfer=event.onward_transfer,
        )

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

    def _stored_request(self, request_id: str) -> _Requested:
        row = self.conn.execute(_REQUESTED, {"request_id": request_id}).one()
        decision = json.loads(row.decision) if row.decision else {}
        return _Requested(client_id=row.client_id, agency=row.agency, role=row.role,
                          legal_basis=row.legal_basis, citation=decision.get("citation"),
                          purpose=_purpose(row.legal_basis, json.loads(row.details)))

    def _count(self, event: Any, column: str) -> None:
        held = self._provisions.held(event.grant_id)
        if held is not None:
            held[column] += 1
        else:
            self.conn.execute(_COUNT[column], {"grant": event.grant_id})

    def _end(self, event: Any, status: str) -> None:
        request_id = str(event.originator_id)
        for held in self._provisions.held_rows():
            if held["request_id"] == request_id and held["status"] == "active":
                held.update(status=status, ended_at=event.at)
        self.conn.execute(_END, {"request": request_id, "new_status": status, "ended": event.at})


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
    found = list(conn.execute(query).mappings())
    named = camera_names(conn, {c for row in found for c in json.loads(row["camera_ids"])})
    rows = []
    for row in found:
        camera_ids = json.loads(row["camera_ids"])
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
            "items": f"{len(camera_ids)} camera(s): " + "; ".join(
                _camera_label(named.get(c), c) for c in camera_ids),
            "cameras": [{"id": c, "name": (named.get(c) or {}).get("name"),
                         "address": (named.get(c) or {}).get("address")} for c in camera_ids],
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


def camera_names(conn: Connection, camera_ids: set[str]) -> dict[str, dict[str, str]]:
    """Name and address of each camera, for people who read the ledger."""
    found: dict[str, dict[str, str]] = {}
    ids = sorted(camera_ids)
    for start in range(0, len(ids), 500):
        for camera_id, name, address in conn.execute(
                select(cameras.c.id, cameras.c.name, cameras.c.address)
                .where(cameras.c.id.in_(ids[start:start + 500]))):
            found[camera_id] = {"name": name, "address": address}
    return found


def _camera_label(camera: dict[str, str] | None, camera_id: str) -> str:
    if camera is None:
        return camera_id
    where = f", {camera['address']}" if camera["address"] and camera["address"] != camera["name"] else ""
    return f"{camera['name']}{where} [{camera_id}]"


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    return csvout.render(LEDGER_COLUMNS, [[str(row[c]) for c in LEDGER_COLUMNS] for row in rows])
