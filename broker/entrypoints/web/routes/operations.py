"""Operators: the camera registry (table and map), CSV import with a per-line report, a
camera's clips, and API clients (a new key is shown once; revoke)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.entrypoints.web.render import page, redirect
from broker.entrypoints.web.routing import PageRoute
from broker.entrypoints.web.visitor import FormDep, VisitorDep
from broker.errors import InvalidInput, PayloadTooLarge

router = APIRouter(route_class=PageRoute)
PAGE = 50
MAX_IMPORT_BYTES = 64 * 1024 * 1024
CLIENT_ROLES = [r.value for r in Role if r not in OVERSIGHT_ROLES]


@router.get("/cameras")
def cameras(request: Request, who: VisitorDep, q: Annotated[str, Query(max_length=100)] = "",
            offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0, partial: bool = False) -> Response:
    found = who.broker.cameras.browse(who.actor, q.strip() or None, limit=PAGE, offset=offset)
    return page(request, who, "_camera_rows.html" if partial else "cameras.html", found=found, q=q,
                offset=offset, page_size=PAGE)


@router.get("/cameras/import")
def import_form(request: Request, who: VisitorDep) -> Response:
    return page(request, who, "import.html", report=None)


@router.post("/cameras/import")
async def import_csv(request: Request, who: VisitorDep, form: FormDep) -> Response:
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("choose a CSV file to import")
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge("the file is larger than 64 MiB")
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(who.broker.cameras.import_csv, who.actor, data)
    template = "_import_report.html" if request.headers.get("hx-request") else "import.html"
    return page(request, who, template, report=report.as_dict())


@router.get("/cameras/{camera_id}")
def camera(request: Request, who: VisitorDep, camera_id: UUID) -> Response:
    return page(request, who, "camera.html", found=who.broker.clips.of_camera(who.actor, camera_id))


@router.get("/clients")
def clients(request: Request, who: VisitorDep) -> Response:
    return page(request, who, "clients.html", clients=who.broker.clients.list(who.actor), created=None,
                roles=CLIENT_ROLES)


@router.post("/clients")
def create_client(request: Request, who: VisitorDep, form: FormDep) -> Response:
    role, agency = form.get("role", ""), form.get("agency", "").strip()[:200]
    name = form.get("name", "").strip()[:200] or f"{agency} ({role})"
    client_id, key = who.broker.clients.register(who.actor, name=name, role=role, agency=agency)
    return page(request, who, "clients.html", clients=None, roles=CLIENT_ROLES,
                created={"id": str(client_id), "key": key, "name": name})


@router.get("/clients/{client_id}/revoke")
def confirm_revoke(request: Request, who: VisitorDep, client_id: UUID) -> Response:
    """Revoking stops a dispatch system at once: asked again, with the reason to record."""
    return page(request, who, "revoke_client.html", client=who.broker.clients.get(who.actor, str(client_id)))


@router.post("/clients/{client_id}/revoke")
def revoke_client(request: Request, who: VisitorDep, form: FormDep, client_id: UUID) -> Response:
    who.broker.clients.revoke(who.actor, str(client_id), form.get("reason", "").strip()[:500])
    return redirect(who, "/console/clients", request)
