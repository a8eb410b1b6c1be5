"""Privacy officers review a citizen's masked copy before it is released: the queue, one
redaction frame by frame with its boxes, keeping the requester's own face visible, manual boxes
over frame ranges, and the sign-off. Each route parses, makes one application call, renders."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from broker.entrypoints.web.render import page, redirect
from broker.entrypoints.web.routing import PageRoute
from broker.entrypoints.web.visitor import FormDep, VisitorDep
from broker.errors import InvalidInput

router = APIRouter(route_class=PageRoute)
Frame = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("/redactions")
def queue(request: Request, who: VisitorDep) -> Response:
    return page(request, who, "redactions.html", queue=who.broker.redactions.queue(who.actor)["items"])


@router.get("/redactions/{request_id}")
def sheet(request: Request, who: VisitorDep, request_id: UUID, clip: UUID | None = None,
          frame: Frame = 0) -> Response:
    shown = who.broker.redactions.sheet(who.actor, request_id, clip, frame)
    return page(request, who, "redaction.html", redaction=shown, request_id=str(request_id))


@router.get("/redactions/{request_id}/clips/{clip_id}/frames/{frame}")
def frame_picture(who: VisitorDep, request_id: UUID, clip_id: UUID,
                  frame: Annotated[int, Path(ge=0, le=10_000_000)]) -> Response:
    picture = who.broker.redactions.preview(who.actor, request_id, clip_id, frame)
    return Response(picture, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.post("/redactions/{request_id}/clips/{clip_id}")
def correct(request: Request, who: VisitorDep, form: FormDep, request_id: UUID,
            clip_id: UUID) -> Response:
    change = corrections(form)
    who.broker.redactions.correct(who.actor, request_id, clip_id, **change)
    frame = form.get("frame", "0")
    return redirect(who, f"/console/redactions/{request_id}?clip={clip_id}"
                         f"&frame={int(frame) if frame.isdigit() else 0}", request)


@router.post("/redactions/{request_id}/approval")
def approve(request: Request, who: VisitorDep, form: FormDep, request_id: UUID) -> Response:
    who.broker.redactions.approve(who.actor, request_id, form.get("note", "")[:2000])
    return redirect(who, f"/console/redactions/{request_id}", request)


def corrections(form: dict[str, str]) -> dict[str, Any]:
    """One correction a form asks for: keep or mask a track again, add or remove a manual box."""
    note = form.get("note", "")[:2000]
    change: dict[str, Any] = {"keep": [], "unkeep": [], "add": [], "remove": [], "note": note}
    action, track = form.get("action"), form.get("track", "")[:64]
    if action in ("keep", "unkeep", "remove"):
        if not track:
            raise InvalidInput("which track or box?")
        change[action].append(track)
    elif action == "add":
        change["add"].append(_box(form))
    else:
        raise InvalidInput("choose keep, unkeep, add or remove")
    return change


def _box(form: dict[str, str]) -> dict[str, Any]:
    try:
        box = {name: float(form.get(name, "")) for name in ("x", "y", "w", "h")}
        frames = {name: int(form.get(name, "")) for name in ("from_frame", "to_frame")}
    except ValueError:
        raise InvalidInput("a box needs x, y, width and height in pixels, and its first and "
                           "last frame") from None
    if any(value < 0 or value > 8192 for value in box.values()) or box["w"] < 1 or box["h"] < 1:
        raise InvalidInput("a box lies within the frame: 0..8192 pixels, at least 1 wide and high")
    if not 0 <= frames["from_frame"] <= frames["to_frame"] <= 10_000_000:
        raise InvalidInput("the box's first frame comes before its last")
    return {**box, **frames}
