"""Agencies: submit footage requests, follow them, close them; place and release legal holds."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, status

from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.entrypoints.api.deps import BrokerDep, HoldKeeperDep, Principal, PrincipalDep, RequesterDep
from broker.entrypoints.api.schemas import CloseRequest, FootageRequestCreate, HoldCreate, HoldRelease
from broker.errors import NotFound
from broker.policy import EvaluationRequest, GeoPoint, Requester, TimeWindow
from broker.readmodel import request_view

router = APIRouter(prefix="/v1", tags=["requests"])


@router.post("/requests", status_code=status.HTTP_201_CREATED)
def submit_request(body: FootageRequestCreate, broker: BrokerDep,
                   principal: RequesterDep) -> dict[str, Any]:
    location = body.incident.location
    request = EvaluationRequest(
        requester=Requester(role=principal.role.value, client_id=principal.client_id,
                            agency=principal.agency),
        legal_basis=body.legal_basis,
        mode=body.mode,
        radius_m=body.radius_m,
        window=TimeWindow(start=body.window.start, end=body.window.end),
        incident_reference=body.incident.reference,
        incident_kind=body.incident.kind,
        incident_location=GeoPoint(lat=location.lat, lon=location.lon) if location else None,
        occurred_at=body.incident.occurred_at,
        purpose=body.purpose,
    )
    footage_request = broker.app.submit_footage_request(request)
    broker.projector.catch_up()
    return load_request(broker, str(footage_request.id), principal)


@router.get("/requests/{request_id}")
def get_request(request_id: UUID, broker: BrokerDep, principal: PrincipalDep) -> dict[str, Any]:
    return load_request(broker, str(request_id), principal)


@router.post("/requests/{request_id}/close")
def close_request(request_id: UUID, broker: BrokerDep, principal: RequesterDep,
                  body: CloseRequest | None = None) -> dict[str, Any]:
    visible_request(broker, str(request_id), principal, owner_only=True)
    with broker.readmodel.reader.connect() as conn:
        hold_ids = request_view.active_hold_ids_for_request(conn, str(request_id))
    reason = body.reason if body else CloseRequest().reason
    broker.app.close_footage_request(request_id, principal.client_id, reason,
                                     [UUID(hold_id) for hold_id in hold_ids])
    broker.projector.catch_up()
    return load_request(broker, str(request_id), principal)


@router.post("/holds", status_code=status.HTTP_201_CREATED)
def place_hold(body: HoldCreate, broker: BrokerDep, principal: HoldKeeperDep) -> dict[str, Any]:
    hold = broker.app.place_hold(
        case_reference=body.case_reference, camera_ids=[str(c) for c in body.camera_ids],
        start=body.window.start, end=body.window.end, placed_by=principal.client_id,
        agency=principal.agency, request_id=body.request_id, reason=body.reason,
    )
    broker.projector.catch_up()
    return load_hold(broker, str(hold.id), principal)


@router.get("/holds/{hold_id}")
def get_hold(hold_id: UUID, broker: BrokerDep, principal: HoldKeeperDep) -> dict[str, Any]:
    return load_hold(broker, str(hold_id), principal)


@router.delete("/holds/{hold_id}")
def release_hold(hold_id: UUID, broker: BrokerDep, principal: HoldKeeperDep,
                 body: HoldRelease | None = None) -> dict[str, Any]:
    load_hold(broker, str(hold_id), principal)
    broker.app.release_hold(hold_id, principal.client_id, body.reason if body else "released",
                            may_release_any=principal.role is Role.PRIVACY_OFFICER)
    broker.projector.catch_up()
    return load_hold(broker, str(hold_id), principal)


# helpers shared with the grant and review routers ------------------------------------------

def visible_request(broker: BrokerDep, request_id: str, principal: Principal, *,
                    owner_only: bool = False) -> Any:
    """The request row if this principal may see it; another client's request is simply absent."""
    with broker.readmodel.reader.connect() as conn:
        row = request_view.get_request_row(conn, request_id)
    oversight = principal.role in OVERSIGHT_ROLES and not owner_only
    if row is None or (row["client_id"] != principal.client_id and not oversight):
        raise NotFound(f"no request {request_id}")
    return row


def load_request(broker: BrokerDep, request_id: str, principal: Principal) -> dict[str, Any]:
    row = visible_request(broker, request_id, principal)
    tokens = None
    if row["mode"] == "live" and row["status"] == "granted" and row["client_id"] == principal.client_id:
        from broker.entrypoints.api.routers.grants import live_tokens_for

        tokens = live_tokens_for(broker, row)
    return request_view.request_public(row, tokens)


def load_hold(broker: BrokerDep, hold_id: str, principal: Principal) -> dict[str, Any]:
    with broker.readmodel.reader.connect() as conn:
        row = request_view.get_hold_row(conn, hold_id)
        cameras = request_view.hold_camera_ids(conn, hold_id) if row else []
    if row is None or (row["placed_by"] != principal.client_id
                       and principal.role is not Role.PRIVACY_OFFICER):
        raise NotFound(f"no hold {hold_id}")
    return request_view.hold_public(row, cameras)
