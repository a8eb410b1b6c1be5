"""Camera registry: operators register and import; every client may search near a point."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request, status

from broker.adapters.importers.camera_csv import CsvFormatError
from broker.application.camera_import import import_cameras
from broker.domain.camera import CameraSpec
from broker.entrypoints.api.deps import BrokerDep, OperatorDep, PrincipalDep
from broker.entrypoints.api.schemas import CameraCreate
from broker.errors import InvalidInput, NotFound, PayloadTooLarge
from broker.readmodel.camera_view import Cursor, as_public, cameras_near, get_camera_row

router = APIRouter(prefix="/v1/cameras", tags=["cameras"])

MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_SEARCH_RADIUS_M = 50_000.0


@router.post("", status_code=status.HTTP_201_CREATED)
def register_camera(body: CameraCreate, broker: BrokerDep, _: OperatorDep) -> dict[str, Any]:
    spec = CameraSpec(
        key=body.key or uuid4().hex,
        name=body.name,
        agency=body.agency,
        purpose=body.purpose,
        purpose_category=body.purpose_category,
        address=body.address,
        lat=body.location.lat,
        lon=body.location.lon,
        coverage_m=body.coverage_m,
        retention_days=body.retention_days,
        installed=body.installed,
    )
    camera_id = broker.app.register_camera(spec)
    broker.projector.catch_up()
    return _load(broker, str(camera_id))


@router.get("")
def search_cameras(
    broker: BrokerDep,
    _: PrincipalDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_m: Annotated[float, Query(gt=0, le=MAX_SEARCH_RADIUS_M)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    after = Cursor.decode(cursor) if cursor else None
    with broker.readmodel.reader.connect() as conn:
        hits = cameras_near(conn, lat, lon, radius_m, limit=limit + 1, after=after)
    page, more = hits[:limit], len(hits) > limit
    next_cursor = Cursor(page[-1].distance_m, page[-1].row["id"]).encode() if more else None
    return {"items": [as_public(hit.row, hit.distance_m) for hit in page],
            "next_cursor": next_cursor}


@router.get("/{camera_id}")
def get_camera(camera_id: UUID, broker: BrokerDep, _: PrincipalDep) -> dict[str, Any]:
    return _load(broker, str(camera_id))


@router.post("/import")
async def import_csv(request: Request, broker: BrokerDep, _: OperatorDep) -> dict[str, Any]:
    """Body: the CSV file itself (UTF-8, UTF-8 with BOM or CP949)."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_IMPORT_BYTES:
            raise PayloadTooLarge(f"camera CSV larger than {MAX_IMPORT_BYTES} bytes")
    if not data:
        raise InvalidInput("the request body is empty; send the CSV file as the body")
    from starlette.concurrency import run_in_threadpool

    try:
        report = await run_in_threadpool(import_cameras, broker.app, bytes(data))
    except CsvFormatError as exc:
        raise InvalidInput(str(exc)) from None
    await run_in_threadpool(broker.projector.catch_up)
    return report.as_dict()


def _load(broker: BrokerDep, camera_id: str) -> dict[str, Any]:
    with broker.readmodel.reader.connect() as conn:
        row = get_camera_row(conn, camera_id)
    if row is None:
        raise NotFound(f"no camera {camera_id}")
    return as_public(row)
