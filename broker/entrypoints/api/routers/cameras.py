"""``/v1/cameras``: the camera registry."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from broker.application.cameras import Cameras, new_camera_key
from broker.domain.camera import CameraSpec
from broker.entrypoints.api.deps import ActorDep, BrokerDep
from broker.entrypoints.api.operations import operation
from broker.entrypoints.api.schemas.cameras import (
    CameraCreate,
    CameraImportReport,
    CameraPage,
    CameraPublic,
)
from broker.entrypoints.api.streaming import read_body

router = APIRouter(prefix="/cameras", tags=["cameras"])

MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_SEARCH_RADIUS_M = 50_000.0


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CameraPublic,
             **operation(Cameras.register, "Register a camera", 409, 422))
def register_camera(body: CameraCreate, broker: BrokerDep, actor: ActorDep) -> Any:
    spec = CameraSpec(
        key=body.key or new_camera_key(), name=body.name, agency=body.agency,
        purpose=body.purpose, purpose_category=body.purpose_category, address=body.address,
        lat=body.location.lat, lon=body.location.lon, coverage_m=body.coverage_m,
        retention_days=body.retention_days, installed=body.installed,
        management_number=body.management_number, agency_code=body.agency_code,
        lot_address=body.lot_address, pixels=body.pixels, direction=body.direction,
        phone=body.phone, data_date=body.data_date.isoformat() if body.data_date else None,
    )
    return broker.cameras.register(actor, spec)


@router.get("", response_model=CameraPage,
            **operation(Cameras.search, "Cameras whose coverage reaches a point", 422))
def search_cameras(
    broker: BrokerDep,
    actor: ActorDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_m: Annotated[float, Query(gt=0, le=MAX_SEARCH_RADIUS_M)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    return broker.cameras.search(actor, lat, lon, radius_m, limit=limit, cursor=cursor)


@router.get("/{camera_id}", response_model=CameraPublic,
            **operation(Cameras.get, "One camera", 404, 422))
def get_camera(camera_id: UUID, broker: BrokerDep, actor: ActorDep) -> Any:
    return broker.cameras.get(actor, camera_id)


@router.post("/import", response_model=CameraImportReport,
             **operation(Cameras.import_csv, "Import a camera CSV", 413, 422, openapi_extra={
                 "requestBody": {"required": True, "content": {"text/csv": {
                     "schema": {"type": "string", "format": "binary"}}}}}))
async def import_csv(request: Request, broker: BrokerDep, actor: ActorDep) -> Any:
    """Body: the CSV file itself (UTF-8, UTF-8 with BOM or CP949)."""
    data = await read_body(request, MAX_IMPORT_BYTES, "camera CSV")
    report = await run_in_threadpool(broker.cameras.import_csv, actor, data)
    return report.as_dict()
