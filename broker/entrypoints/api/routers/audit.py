"""``/v1/audit``: privacy officers and auditors read the trail, the ledger, the chain."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import StringConstraints

from broker.application.oversight import Oversight
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.audit import (
    AuditPage,
    ChainVerification,
    CheckpointList,
    ConsistencyProof,
    LedgerPage,
)
from broker.entrypoints.api.schemas.common import Instant
from broker.readmodel import audit_query, ledger_view
from broker.readmodel.audit_query import AuditFilter

router = APIRouter(prefix="/audit", tags=["audit"])
Format = Literal["json", "csv"]
CSV = {"text/csv": {"schema": {"type": "string"}}}
ACTOR_ID = r"^(person:)?[0-9a-fA-F-]{36}$"
EventType = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z]+\.[A-Za-z]+$")]


@router.get("/events", response_model=AuditPage,
            **operation(Oversight.audit_events, "The audit trail", 422,
                        responses={200: {"content": CSV, "description": "a page of the trail"}}))
def audit_events(
    broker: BrokerDep,
    actor: ActorDep,
    camera_id: UUID | None = None,
    agency: Annotated[str | None, Query(max_length=200)] = None,
    client_id: Annotated[str | None, Query(pattern=ACTOR_ID, description=(
        "an API client's id, or person:<id> for a person"))] = None,
    request_id: UUID | None = None,
    event_type: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z]+\.[A-Za-z]+$")] = None,
    legal_basis: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: Format = "json",
    include: Annotated[list[EventType] | None, Query(alias="type", max_length=40, description=(
        "only these event types (repeat the parameter)"))] = None,
    exclude: Annotated[list[EventType] | None, Query(alias="exclude_type", max_length=40,
                                                     description="never these event types")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="desc: newest first")] = "asc",
) -> Any:
    flt = AuditFilter(
        camera_id=str(camera_id) if camera_id else None, agency=agency, client_id=client_id,
        request_id=str(request_id) if request_id else None, event_type=event_type,
        legal_basis=legal_basis, start=start, end=end, include_types=tuple(include or ()),
        exclude_types=tuple(exclude or ()), newest_first=order == "desc")
    page = broker.oversight.audit_events(actor, flt, limit=limit, cursor=cursor, output=format)
    if format == "json":
        return page
    headers = {"Content-Disposition": 'attachment; filename="audit-events.csv"'}
    if page["next_cursor"] is not None:
        headers["X-Next-Cursor"] = page["next_cursor"]
    return Response(audit_query.to_csv(page["items"]), media_type="text/csv; charset=utf-8",
                    headers=headers)


@router.get("/ledger", response_model=LedgerPage,
            **operation(Oversight.ledger, "The provision ledger", 422,
                        responses={200: {"content": CSV, "description": "the ledger"}}))
def provision_ledger(
    broker: BrokerDep,
    actor: ActorDep,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    format: Format = "json",
) -> Any:
    page = broker.oversight.ledger(actor, start, end, output=format)
    if format == "json":
        return page
    return Response(ledger_view.to_csv(page["items"]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="provision-ledger.csv"'})


@router.get("/verify", response_model=ChainVerification,
            **operation(Oversight.verify, "Verify the tamper-evident chain"))
def verify(broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.oversight.verify(actor)


@router.get("/checkpoints", response_model=CheckpointList,
            **operation(Oversight.checkpoints, "Every signed checkpoint of the audit log", 422,
                        authenticated=False))
def checkpoints(broker: BrokerDep,
                cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> Any:
    return broker.oversight.checkpoints(cursor, limit)


@router.get("/checkpoint", response_class=PlainTextResponse,
            **operation(Oversight.latest_checkpoint, "The newest signed checkpoint", 404,
                        authenticated=False, responses={200: {
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                            "description": "a C2SP tlog-checkpoint signed note"}}))
def latest_checkpoint(broker: BrokerDep) -> Response:
    return PlainTextResponse(broker.oversight.latest_checkpoint())


@router.get("/proofs/consistency", response_model=ConsistencyProof,
            **operation(Oversight.consistency_proof, "Consistency proof between two checkpoints",
                        422, authenticated=False))
def consistency_proof(broker: BrokerDep,
                      old: Annotated[int, Query(alias="from", ge=1, le=2**62)],
                      new: Annotated[int, Query(alias="to", ge=1, le=2**62)]) -> Any:
    return broker.oversight.consistency_proof(old, new)
