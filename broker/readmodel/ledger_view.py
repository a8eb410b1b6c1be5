"""The provision ledger: every provision of footage beyond its purpose, with the fields of
Korea's PIPA Art. 18(4)-(5) and Enforcement Decree Art. 15 (file, recipient, purpose, legal
ground, items, date and period, method, restrictions)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from broker.common import csvout
from broker.common.times import rfc3339
from broker.domain.request import FootageRequest
from broker.readmodel.projector import Handler
from broker.readmodel.tables import footage_requests, provisions

FILE_NAME = "공공 CCTV 영상정보 (public CCTV footage, footage-broker)"


def on_granted(conn: Connection, event: Any) -> None:
    request = conn.execute(select(footage_requests).where(
        footage_requests.c.id == str(event.originator_id))).mappings().one()
    decision = json.loads(request["decision"]) if request["decision"] else {}
    details = json.loads(request["details"])
    incident = details.get("incident") or {}
    purpose = f"{request['legal_basis']}: {incident.get('kind') or 'unspecified'}"
    if incident.get("reference"):
        purpose += f" (case {incident['reference']})"
    conn.execute(insert(provisions).values(
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


def _count(column: str) -> Handler:
    def handler(conn: Connection, event: Any) -> None:
        conn.execute(update(provisions).where(provisions.c.grant_id == event.grant_id)
                     .values({column: provisions.c[column] + 1}))

    return handler


def _ended(status: str) -> Handler:
    def handler(conn: Connection, event: Any) -> None:
        conn.execute(update(provisions).where(
            provisions.c.request_id == str(event.originator_id), provisions.c.status == "active")
            .values(status=status, ended_at=event.at))

    return handler


HANDLERS: dict[type, Handler] = {
    FootageRequest.Granted: on_granted,  # type: ignore[attr-defined]
    FootageRequest.Viewed: _count("views"),  # type: ignore[attr-defined]
    FootageRequest.Exported: _count("exports"),  # type: ignore[attr-defined]
    FootageRequest.Delivered: _count("exports"),  # type: ignore[attr-defined]
    FootageRequest.Withdrawn: _ended("withdrawn"),  # type: ignore[attr-defined]
    FootageRequest.Closed: _ended("closed"),  # type: ignore[attr-defined]
    FootageRequest.Revoked: _ended("revoked"),  # type: ignore[attr-defined]
    FootageRequest.Expired: _ended("expired"),  # type: ignore[attr-defined]
}

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
