"""A camera as people name it: its id, its key, its 관리번호, its name, or the first 8
characters of its id that pages show. One camera, or an error naming the candidates."""

from __future__ import annotations

import re
from uuid import UUID

from sqlalchemy import RowMapping

from broker.application.context import UseCases
from broker.domain.camera import Camera, camera_id_for
from broker.errors import InvalidInput, NotFound
from broker.readmodel import camera_view

_SHORT_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{1,4})*")
"""The first 8 (or more) characters of an id, as pages show it."""


def resolve_camera(use_cases: UseCases, ref: str) -> UUID:
    """What ``Cameras.resolve`` does, for every use case that takes a camera by name."""
    text = ref.strip()
    if not text:
        raise InvalidInput("no camera given")
    try:
        candidate = UUID(text)
    except ValueError:
        candidate = None
    app = use_cases.ctx.app
    if candidate is not None and app.find(candidate, Camera) is not None:
        return candidate
    by_key = camera_id_for(text)
    if app.find(by_key, Camera) is not None:
        return by_key
    with use_cases.read() as conn:
        found = (_the_one("관리번호", text, camera_view.by_management_number(conn, text.removeprefix("mn-")))
                 or _the_one("name", text, camera_view.by_name(conn, text))
                 or (_the_one("short id", text, camera_view.by_id_prefix(conn, text.lower()))
                     if _SHORT_ID.fullmatch(text) else None))
    if found is not None:
        return found
    what = "camera id" if candidate is not None else "camera id, key, 관리번호 or name"
    raise NotFound(f"no camera with {what} {text!r}; the console's camera search, "
                   "`broker cameras find TEXT` or `broker cameras list --near LAT,LON` shows "
                   "keys and ids")


def _the_one(kind: str, text: str, rows: list[RowMapping]) -> UUID | None:
    """The camera if ``rows`` holds exactly one; None if none; an error if several."""
    if len(rows) > 1:
        keys = ", ".join(row["key"] for row in rows[:5])
        raise InvalidInput(f"{kind} {text!r} names {len(rows)} cameras ({keys}"
                           f"{', ...' if len(rows) > 5 else ''}): give one key")
    return UUID(rows[0]["id"]) if rows else None
