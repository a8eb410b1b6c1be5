"""Privacy officers and auditors: the audit trail, the provision ledger, chain verification;
and the public transparency report."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from broker.application import oversight as audit
from broker.entrypoints.api.deps import BrokerDep, OversightDep, Principal
from broker.errors import InvalidInput
from broker.readmodel import audit_query, ledger_view
from broker.readmodel.transparency import transparency_report

router = APIRouter(tags=["audit"])
Format = Literal["json", "csv"]


def _record(broker: BrokerDep, principal: Principal, what: str, filters: dict[str, Any]) -> None:
    broker.app.record_audit_access(client_id=principal.client_id, role=principal.role.value,
                                   agency=principal.agency, what=what, filters=filters)


@router.get("/v1/audit/events")
def audit_events(
    broker: BrokerDep,
    principal: OversightDep,
    camera_id: UUID | None = None,
    agency: Annotated[str | None, Query(max_length=200)] = None,
    client_id: UUID | None = None,
    request_id: UUID | None = None,
    event_type: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z]+\.[A-Za-z]+$")] = None,
    legal_basis: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: Format = "json",
) -> Any:
    if start and end and end <= start:
        raise InvalidInput("'to' must be after 'from'")
    flt = audit_query.AuditFilter(
        camera_id=str(camera_id) if camera_id else None, agency=agency,
        client_id=str(client_id) if client_id else None,
        request_id=str(request_id) if request_id else None, event_type=event_type,
        legal_basis=legal_basis, start=start, end=end)
    _record(broker, principal, "audit.events", {**flt.as_record(), "format": format})
    broker.projector.catch_up()
    with broker.readmodel.reader.connect() as conn:
        after = audit_query.AuditCursor.decode(cursor) if cursor else None
        items, next_page = audit_query.query_events(conn, flt, after=after, limit=limit)
    next_cursor = next_page.encode() if next_page is not None else None
    if format == "csv":
        body = audit_query.to_csv(items)
        headers = {"Content-Disposition": 'attachment; filename="audit-events.csv"'}
        if next_cursor is not None:
            headers["X-Next-Cursor"] = next_cursor
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/v1/audit/ledger")
def provision_ledger(
    broker: BrokerDep,
    principal: OversightDep,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    format: Format = "json",
) -> Any:
    filters = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
               "format": format}
    _record(broker, principal, "audit.ledger", {k: v for k, v in filters.items() if v})
    broker.projector.catch_up()
    with broker.readmodel.reader.connect() as conn:
        rows = ledger_view.ledger_rows(conn, start, end)
    if format == "csv":
        body = ledger_view.to_csv(rows)
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="provision-ledger.csv"'})
    return {"items": rows, "next_cursor": None}


@router.get("/v1/audit/verify")
def verify(broker: BrokerDep, principal: OversightDep) -> dict[str, Any]:
    _record(broker, principal, "audit.verify", {})
    broker.projector.catch_up()
    audit.checkpoint(broker)
    report = audit.verify_chain(broker).as_dict()
    report["public_key"] = {"algorithm": "Ed25519", "key_name": audit.KEY_NAME,
                            "raw_base64": audit.public_key_b64(broker)}
    return report


@router.get("/v1/audit/checkpoints")
def checkpoints(broker: BrokerDep, principal: OversightDep) -> dict[str, Any]:
    _record(broker, principal, "audit.checkpoints", {})
    return {"items": audit.signed_checkpoints(broker), "key_name": audit.KEY_NAME,
            "public_key_raw_base64": audit.public_key_b64(broker), "next_cursor": None}


@router.get("/v1/reports/transparency")
def transparency(broker: BrokerDep, year: Annotated[int, Query(ge=2000, le=2100)]) -> dict[str, Any]:
    """Public: aggregate counts only."""
    citizen_bases = frozenset(b.id for b in broker.policy.bases if "citizen_portal" in b.roles)
    broker.projector.catch_up()
    with broker.readmodel.reader.connect() as conn:
        return transparency_report(conn, year, citizen_bases, purge_grace=timedelta(minutes=10))
