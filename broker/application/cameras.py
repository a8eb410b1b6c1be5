"""The camera registry: operators register and import; every client may search near a point."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID, uuid4

from broker.adapters.importers.camera_csv import CameraRecord, CsvFormatError, parse_camera_csv
from broker.application.actors import ANY_CLIENT, Actor, allowed
from broker.application.context import UseCases
from broker.domain.camera import Camera, CameraSpec, camera_id_for
from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.errors import Conflict, InvalidInput, NotFound
from broker.readmodel import browse, camera_view

UpsertOutcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class ImportReport:
    encoding: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "rows": self.rows,
            "cameras": {"created": self.created, "updated": self.updated,
                        "unchanged": self.unchanged},
            "errors": [{"line": line, "reason": reason} for line, reason in self.errors],
        }


class Cameras(UseCases):
    @allowed(Role.OPERATOR)
    def register(self, actor: Actor, spec: CameraSpec) -> dict[str, Any]:
        """A new camera; its key must be new (re-registering a key is a conflict)."""
        camera_id = camera_id_for(spec.key)
        if self.ctx.app.exists(camera_id):
            raise Conflict(f"a camera with key {spec.key!r} is already registered as {camera_id}")
        position = self.ctx.app.record(Camera.register(spec, at=self.ctx.clock.now()))
        return self._public(camera_id, after=position)

    @allowed(Role.OPERATOR)
    def import_csv(self, actor: Actor, data: bytes) -> ImportReport:
        """Good rows land (atomically), bad rows are reported by line; re-import changes nothing."""
        if not data:
            raise InvalidInput("the request body is empty; send the CSV file as the body")
        try:
            parsed = parse_camera_csv(data)
        except CsvFormatError as exc:
            raise InvalidInput(str(exc)) from None
        specs = [spec for record in parsed.records for spec in specs_for(record)]
        outcomes = Counter(outcome for _, outcome in self.upsert(actor, specs))
        return ImportReport(
            encoding=parsed.encoding, rows=len(parsed.records) + len(parsed.errors),
            created=outcomes["created"], updated=outcomes["updated"],
            unchanged=outcomes["unchanged"],
            errors=[(error.line, error.reason) for error in parsed.errors],
        )

    @allowed(Role.OPERATOR)
    def upsert(self, actor: Actor, specs: Iterable[CameraSpec]) -> list[tuple[UUID, UpsertOutcome]]:
        """Register new cameras and record moves or retention changes; idempotent per key.

        All changes are saved in one atomic write: an import either lands whole or not at all.
        A key repeated within one batch updates the camera registered earlier in that batch.
        """
        now = self.ctx.clock.now()
        touched: dict[UUID, Camera] = {}
        outcomes: list[tuple[UUID, UpsertOutcome]] = []
        for spec in specs:
            camera_id = camera_id_for(spec.key)
            camera = touched.get(camera_id) or self.ctx.app.find(camera_id, Camera)
            if camera is None:
                touched[camera_id] = Camera.register(spec, at=now)
                outcomes.append((camera_id, "created"))
                continue
            before = len(camera.pending_events)
            if camera.is_active:
                camera.relocate(spec.lat, spec.lon, spec.coverage_m, at=now)
                camera.change_retention(spec.retention_days, at=now)
            if len(camera.pending_events) > before:
                touched[camera_id] = camera
                outcomes.append((camera_id, "updated"))
            else:
                outcomes.append((camera_id, "unchanged"))
        pending = [camera for camera in touched.values() if camera.pending_events]
        if pending:
            self.ctx.consistency.wait(self.ctx.app.record(*pending))
        return outcomes

    @allowed(Role.OPERATOR)
    def decommission(self, actor: Actor, camera_id: UUID, reason: str) -> dict[str, Any]:
        _, position = self.ctx.app.change(
            camera_id, Camera, "camera",
            lambda camera: camera.decommission(reason, at=self.ctx.clock.now()))
        return self._public(camera_id, after=position)

    @allowed(*ANY_CLIENT)
    def search(self, actor: Actor, lat: float, lon: float, radius_m: float, *, limit: int = 100,
               cursor: str | None = None) -> dict[str, Any]:
        """Active cameras whose coverage reaches the point, nearest first, a page at a time."""
        after = camera_view.Cursor.decode(cursor) if cursor else None
        with self.read() as conn:
            hits = camera_view.cameras_near(conn, lat, lon, radius_m, limit=limit + 1, after=after)
        page, more = hits[:limit], len(hits) > limit
        next_cursor = (camera_view.Cursor(page[-1].distance_m, page[-1].row["id"]).encode()
                       if more else None)
        return {"items": [camera_view.as_public(hit.row, hit.distance_m) for hit in page],
                "next_cursor": next_cursor}

    @allowed(Role.OPERATOR, *OVERSIGHT_ROLES)
    def browse(self, actor: Actor, text: str | None = None, *, limit: int = 50,
               offset: int = 0) -> dict[str, Any]:
        """The registry by name, every status, for people: a page and how many match."""
        with self.read() as conn:
            rows, total = browse.browse_cameras(conn, text, limit=limit, offset=offset)
        return {"items": [camera_view.as_public(row) for row in rows], "total": total}

    @allowed(*ANY_CLIENT)
    def get(self, actor: Actor, camera_id: UUID) -> dict[str, Any]:
        return self._public(camera_id)

    def _public(self, camera_id: UUID, after: int | None = None) -> dict[str, Any]:
        with self.read(after) as conn:
            row = camera_view.get_camera_row(conn, str(camera_id))
        if row is None:
            raise NotFound(f"no camera {camera_id}")
        return camera_view.as_public(row)


def new_camera_key() -> str:
    """For cameras registered without an external key."""
    return uuid4().hex


def specs_for(record: CameraRecord) -> list[CameraSpec]:
    """A site with N cameras becomes N cameras keyed ``<site key>#<n>``, stable across imports."""
    label = record.address or record.agency
    return [
        CameraSpec(
            key=f"{record.site_key}#{n}",
            name=f"{label} #{n}" if record.camera_count > 1 else label,
            agency=record.agency,
            purpose=record.purpose,
            purpose_category=record.purpose_category,
            address=record.address,
            lat=record.lat,
            lon=record.lon,
            coverage_m=record.coverage_m,
            retention_days=record.retention_days,
            installed=record.installed,
        )
        for n in range(1, record.camera_count + 1)
    ]
