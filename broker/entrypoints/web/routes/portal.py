"""The citizens' page, served by the broker (a city's portal, or a reference for one): file a
request for one's own footage with a map to pick the place, follow it with its access token,
and download the masked footage once released.

The page acts as a citizen portal of its own (``PORTAL``); each request stays guarded by its
access token, kept only in an HttpOnly cookie for this path once the citizen has it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError

from broker.application.actors import Actor
from broker.application.citizens import CitizenDraft
from broker.domain.roles import Role
from broker.entrypoints.api.schemas.citizens import CitizenRequestCreate
from broker.entrypoints.web import zones
from broker.entrypoints.web.render import page, redirect
from broker.entrypoints.web.routing import PageRoute
from broker.entrypoints.web.security import CITIZEN_COOKIE
from broker.entrypoints.web.visitor import FormDep, Visitor, VisitorDep
from broker.errors import InvalidInput, NotFound

router = APIRouter(route_class=PageRoute)
PORTAL = Actor(client_id="portal:broker-page", name="the broker's citizen page",
               role=Role.CITIZEN_PORTAL, agency="citizen page of the broker")
"""Who files through this page: the broker's own portal; every request has its own token."""
KEEP = 90 * 24 * 3600


def _draft(form: dict[str, str], who: Visitor) -> CitizenDraft:
    def utc(name: str) -> datetime | None:
        return zones.read(form.get(name, ""), who.zone)

    try:
        body = CitizenRequestCreate.model_validate({
            "reason": form.get("reason"),
            "requester": {"name": form.get("name", ""), "contact": form.get("contact", "")},
            "identity_proof": form.get("identity_proof", ""),
            "claim_reference": form.get("claim_reference") or None,
            "incident_kind": form.get("incident_kind") or None,
            "location": {"lat": form.get("lat") or None, "lon": form.get("lon") or None},
            "occurred_at": utc("occurred_at"),
            "window": {"start": utc("start"), "end": utc("end")},
            "radius_m": form.get("radius_m") or 50,
            "description": form.get("description") or None,
        })
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise InvalidInput(f"please check: {', '.join(fields)}") from None
    return CitizenDraft(
        reason=body.reason, name=body.requester.name, contact=body.requester.contact,
        identity_proof=body.identity_proof, claim_reference=body.claim_reference,
        consent_reference=None, incident_kind=body.incident_kind,
        location=(body.location.lat, body.location.lon), occurred_at=body.occurred_at,
        window_start=body.window.start, window_end=body.window.end, radius_m=body.radius_m,
        description=body.description)


def _held(request: Request) -> tuple[UUID, str]:
    request_id, _, token = (request.cookies.get(CITIZEN_COOKIE) or "").partition("~")
    try:
        return UUID(request_id), token
    except ValueError:
        raise NotFound("open your request first with its number and access token") from None


@router.get("/")
def portal(request: Request, who: VisitorDep) -> Response:
    limits = who.broker.citizens.form_limits(PORTAL)
    now = who.broker.clock.now().replace(second=0, microsecond=0)
    window = timedelta(minutes=limits["max_window_minutes"])
    return page(request, who, "portal/index.html", limits=limits, now=now, earlier=now - window,
                occurred=now - window / 2)


@router.post("/requests")
def file_request(request: Request, who: VisitorDep, form: FormDep) -> Response:
    filed = who.broker.citizens.file(PORTAL, _draft(form, who))
    who.cookie(CITIZEN_COOKIE, f"{filed['id']}~{filed['access_token']}", KEEP, path="/portal")
    return page(request, who, "portal/filed.html", filed=filed)


@router.post("/follow")
def follow(request: Request, who: VisitorDep, form: FormDep) -> Response:
    request_id, token = form.get("request_id", "").strip()[:64], form.get("token", "").strip()[:200]
    try:
        UUID(request_id)
    except ValueError:
        raise NotFound("no request with this number and token") from None
    who.broker.citizens.follow(PORTAL, UUID(request_id), token)
    who.cookie(CITIZEN_COOKIE, f"{request_id}~{token}", KEEP, path="/portal")
    return redirect(who, "/portal/status")


@router.get("/status")
def status(request: Request, who: VisitorDep) -> Response:
    request_id, token = _held(request)
    view = who.broker.citizens.status_page(PORTAL, request_id, token)
    return page(request, who, "portal/status.html", view=view)


@router.post("/forget")
def forget(request: Request, who: VisitorDep, form: FormDep) -> Response:
    who.cookie(CITIZEN_COOKIE, "", 0, path="/portal")
    return redirect(who, "/portal/")


@router.get("/delivery/clips/{number}")
def watch(request: Request, who: VisitorDep, number: Annotated[int, Path(ge=1, le=10_000)]) -> Response:
    request_id, token = _held(request)
    watched = who.broker.citizens.watch(PORTAL, request_id, token, number)
    return Response(watched.body, media_type="video/mp4", headers={
        "Cache-Control": "private, no-store", "Content-Disposition": "inline",
        "ETag": f'"{watched.sha256}"'})


@router.get("/delivery")
def delivery(request: Request, who: VisitorDep) -> Response:
    request_id, token = _held(request)
    package = who.broker.citizens.deliver(PORTAL, request_id, token)
    return StreamingResponse(package.body, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="footage-{package.delivery_id}.zip"',
        "Cache-Control": "no-store"})
