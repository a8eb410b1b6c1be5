"""The camera registry: operators register and import; every client may search near a point."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from sqlalchemy import Connection, RowMapping

from broker.adapters.importers.camera_csv import CameraRecord, CsvFormatError, parse_camera_csv
from broker.application.actors import ANY_CLIENT, Actor, allowed
from broker.application.camera_refs import resolve_camera
from broker.application.context import UseCases
from broker.common.geo import haversine_m
from broker.common.progress import Progress, no_progress
from broker.domain.camera import DETAIL_FIELDS, Camera, CameraImport, CameraSpec, camera_id_for
from broker.domain.roles import OVERSIGHT_ROLES, Role
from broker.errors import Conflict, InvalidInput, NotFound
from broker.readmodel import browse, camera_view

UpsertOutcome = Literal["created", "updated", "unchanged"]
STALE_SAMPLE = 100
_TRACKED = tuple(name for name in DETAIL_FIELDS if name != "data_date")
"""What a camera's own events change; 데이터기준일자 moves with the import (``CameraImport``)."""
_COMPARED = ("lat", "lon", "coverage_m", "retention_days", *_TRACKED)


@dataclass(frozen=True)
class Move:
    """A camera of the file at another position than the registry had it."""

    camera_id: str
    key: str
    line: int
    distance_m: float


@dataclass(frozen=True)
class ImportReport:
    encoding: str
    layout: str
    rows: int
    created: int
    updated: int
    unchanged: int
    rows_imported: int = 0
    """Rows imported as written."""
    rows_with_warnings: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    """Rejected rows, by line."""
    warnings: list[tuple[int, str]] = field(default_factory=list)
    moved: list[Move] = field(default_factory=list)
    not_in_file: list[tuple[str, str, str]] = field(default_factory=list)
    """(id, key, address) of active cameras of the file's agencies the file does not list."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "layout": self.layout,
            "rows": self.rows,
            "row_counts": {"imported": self.rows_imported, "with_warnings": self.rows_with_warnings,
                           "rejected": len(self.errors)},
            "cameras": {"created": self.created, "updated": self.updated,
                        "unchanged": self.unchanged, "moved": len(self.moved)},
            "errors": [{"line": line, "reason": reason} for line, reason in self.errors],
            "warnings": [{"line": line, "reason": reason} for line, reason in self.warnings],
            "moved": [{"camera_id": m.camera_id, "key": m.key, "line": m.line,
                       "distance_m": round(m.distance_m, 2)} for m in self.moved],
            "not_in_file": len(self.not_in_file),
            "not_in_file_sample": [{"camera_id": camera_id, "key": key, "address": address}
                                   for camera_id, key, address in self.not_in_file[:STALE_SAMPLE]],
        }


@dataclass
class _Batch:
    """One upsert: what the registry had, what changes, in what order."""

    known: dict[str, RowMapping]
    now: datetime
    by: str
    touched: dict[UUID, Camera] = field(default_factory=dict)
    outcomes: list[tuple[UUID, UpsertOutcome]] = field(default_factory=list)
    moves: list[tuple[UUID, str, float]] = field(default_factory=list)
    extra: list[Any] = field(default_factory=list)
    """Other aggregates saved with the cameras (the import's own record), last."""


class Cameras(UseCases):
    @allowed(Role.OPERATOR)
    def register(self, actor: Actor, spec: CameraSpec) -> dict[str, Any]:
        """A new camera; its key must be new (re-registering a key is a conflict)."""
        camera_id = camera_id_for(spec.key)
        if self.ctx.app.exists(camera_id):
            raise Conflict(f"a camera with key {spec.key!r} is already registered as {camera_id}")
        position = self.ctx.app.record(Camera.register(spec, at=self.ctx.clock.now(), by=actor.client_id))
        return self._public(camera_id, after=position)

    @allowed(Role.OPERATOR)
    def import_csv(self, actor: Actor, data: bytes, *,
                   progress: Progress = no_progress) -> ImportReport:
        """Every row with a usable position and its numbers in range lands (atomically); a
        blank optional column takes its default (보관일수 blank or 0: with a warning on its
        line), a number out of range or no position rejects the row, by line. Re-importing the
        same file changes nothing; importing its next release updates the same cameras
        (identity: ``broker.adapters.importers.camera_csv``) and reports which moved."""
        if not data:
            raise InvalidInput("the request body is empty; send the CSV file as the body")
        progress("reading", 0, None)
        try:
            parsed = parse_camera_csv(data, default_retention_days=self.ctx.policy.default_retention_days)
        except CsvFormatError as exc:
            raise InvalidInput(str(exc)) from None
        progress("reading", parsed.rows, parsed.rows)
        self.ctx.consistency.latest()  # compare with everything recorded so far
        with self.read() as conn:
            records = self._match_moved_fingerprints(conn, parsed.records)
            specs = [(spec, camera_id_for(spec.key), record.line)
                     for record in records for spec in specs_for(record)]
            in_file = [str(camera_id) for _, camera_id, _ in specs]
            known = camera_view.rows_by_ids(conn, in_file)
            in_file_set = set(in_file)
            agencies = sorted({record.agency for record in records})
            stale = [(row["id"], row["key"], row["address"])
                     for row in camera_view.active_of_agencies(conn, agencies)
                     if row["id"] not in in_file_set]
        batch = _Batch(known, self.ctx.clock.now(), actor.client_id)
        lines: dict[UUID, int] = {}
        for done, (spec, camera_id, line) in enumerate(specs, start=1):
            lines.setdefault(camera_id, line)
            self._upsert_one(spec, camera_id, batch)
            if done % 1000 == 0 or done == len(specs):
                progress("comparing", done, len(specs))
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for _, outcome in batch.outcomes:
            counts[outcome] += 1
        data_dates: dict[str, list[str]] = {}
        for spec, camera_id, _ in specs:
            row = known.get(str(camera_id))
            if spec.data_date is not None and row is not None and row["data_date"] != spec.data_date:
                data_dates.setdefault(spec.data_date, []).append(str(camera_id))
        if batch.touched or data_dates:
            batch.extra.append(CameraImport(
                by=actor.client_id, sha256=hashlib.sha256(data).hexdigest(),
                encoding=parsed.encoding, layout=parsed.dialect, rows=parsed.rows,
                counts={**counts, "rejected": len(parsed.errors),
                        "with_warnings": parsed.rows_with_warnings, "moved": len(batch.moves)},
                data_dates={day: sorted(set(ids)) for day, ids in data_dates.items()},
                at=batch.now))
        self._save(batch, progress)
        return ImportReport(
            encoding=parsed.encoding, layout=parsed.dialect, rows=parsed.rows, **counts,
            rows_imported=len(parsed.records) - parsed.rows_with_warnings,
            rows_with_warnings=parsed.rows_with_warnings,
            errors=[(error.line, error.reason) for error in parsed.errors],
            warnings=[(warning.line, warning.reason) for warning in parsed.warnings],
            moved=[Move(str(camera_id), key, lines[camera_id], distance)
                   for camera_id, key, distance in batch.moves],
            not_in_file=stale,
        )

    @allowed(Role.OPERATOR)
    def upsert(self, actor: Actor, specs: Iterable[CameraSpec]) -> list[tuple[UUID, UpsertOutcome]]:
        """Register new cameras and record moves, retention and detail changes; idempotent per key.

        All changes are saved in one atomic write: an import either lands whole or not at all.
        A key repeated within one batch updates the camera registered earlier in that batch.
        """
        keyed = [(spec, camera_id_for(spec.key)) for spec in specs]
        self.ctx.consistency.latest()
        with self.read() as conn:
            known = camera_view.rows_by_ids(conn, [str(camera_id) for _, camera_id in keyed])
        batch = _Batch(known, self.ctx.clock.now(), actor.client_id)
        for spec, camera_id in keyed:
            self._upsert_one(spec, camera_id, batch)
        self._save(batch, no_progress)
        return batch.outcomes

    def _match_moved_fingerprints(self, conn: Any, records: Sequence[CameraRecord]) -> list[CameraRecord]:
        """A fingerprint whose own cell is not registered may be a camera registered from a
        neighbouring cell (a position corrected by a metre or two across a cell edge): take the
        nearest such cell that no other row of this file claims."""
        first_key = {record.line: _camera_keys(record)[0] for record in records}
        exact = camera_view.existing_ids(conn, [str(camera_id_for(k)) for k in first_key.values()])
        claimed = {record.site_key for record in records}
        unmatched = [r for r in records if r.key_source == "fingerprint"
                     and str(camera_id_for(first_key[r.line])) not in exact]
        if not unmatched or not camera_view.has_fingerprinted(conn, sorted({r.agency for r in unmatched})):
            return list(records)
        candidates = {r.line: r.fingerprint.neighbour_keys(r.lat, r.lon) for r in unmatched}
        registered = camera_view.existing_ids(conn, [
            str(camera_id_for(f"{key}#1")) for keys in candidates.values() for key in keys])
        if not registered:
            return list(records)
        matched: dict[int, str] = {}
        for record in unmatched:
            for key in candidates[record.line]:
                if key not in claimed and str(camera_id_for(f"{key}#1")) in registered:
                    matched[record.line] = key
                    claimed.add(key)
                    break
        return [replace(r, site_key=matched[r.line]) if r.line in matched else r for r in records]

    def _upsert_one(self, spec: CameraSpec, camera_id: UUID, batch: _Batch) -> None:
        now = batch.now
        camera = batch.touched.get(camera_id)
        row = batch.known.get(str(camera_id))
        if camera is None and row is None:
            batch.touched[camera_id] = Camera.register(spec, at=now, by=batch.by)
            batch.outcomes.append((camera_id, "created"))
            return
        if camera is None:
            assert row is not None
            if row["status"] != "active" or all(row[name] == getattr(spec, name) for name in _COMPARED):
                batch.outcomes.append((camera_id, "unchanged"))
                return
            camera = self.ctx.app.find(camera_id, Camera)
            if camera is None:  # the read model has a camera the event store does not: rebuilt?
                raise Conflict(f"camera {camera_id} is in the read model but not in the event store")
        before = len(camera.pending_events)
        if camera.is_active:
            was = (camera.lat, camera.lon)
            camera.relocate(spec.lat, spec.lon, spec.coverage_m, at=now, by=batch.by)
            if (camera.lat, camera.lon) != was:
                batch.moves.append((camera_id, spec.key, haversine_m(*was, camera.lat, camera.lon)))
            camera.change_retention(spec.retention_days, at=now, by=batch.by)
            camera.change_details({name: getattr(spec, name) for name in _TRACKED}, at=now,
                                  by=batch.by)
        if len(camera.pending_events) > before:
            batch.touched[camera_id] = camera
            batch.outcomes.append((camera_id, "updated"))
        else:
            batch.outcomes.append((camera_id, "unchanged"))

    def _save(self, batch: _Batch, progress: Progress) -> None:
        pending = [camera for camera in batch.touched.values() if camera.pending_events]
        pending += batch.extra
        if not pending:
            return
        progress("recording", 0, None)
        position = self.ctx.app.record(*pending)
        progress("recording", len(pending), len(pending))
        self.ctx.consistency.wait(position)

    @allowed(Role.OPERATOR)
    def decommission(self, actor: Actor, camera: UUID | str, reason: str) -> dict[str, Any]:
        """Out of service, by id (or as an operator names it: key, id or 관리번호)."""
        camera_id = camera if isinstance(camera, UUID) else resolve_camera(self, camera)
        _, position = self.ctx.app.change(
            camera_id, Camera, "camera",
            lambda camera: camera.decommission(reason, at=self.ctx.clock.now(), by=actor.client_id))
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

    @allowed(Role.OPERATOR)
    def find(self, actor: Actor, *, text: str | None = None, agency: str | None = None,
             near: tuple[float, float] | None = None, radius_m: float = 200.0,
             status: str | None = "active", limit: int = 1000) -> list[dict[str, Any]]:
        """Cameras for an operator to pick from: near a point (within ``radius_m`` of their own
        position, nearest first, with ``distance_m``), or matching a text in key, name,
        addresses or 관리번호, or of one agency; ordered by key unless near a point."""
        if limit < 1:
            raise InvalidInput("limit must be at least 1")
        with self.read() as conn:
            if near is None:
                rows = camera_view.list_cameras(conn, agency=agency, text=text, status=status,
                                                limit=limit)
                return [camera_view.as_public(row) for row in rows]
            lat, lon = near
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InvalidInput(f"--near {lat},{lon} is not a position (lat in [-90, 90], "
                                   "lon in [-180, 180])")
            if not 0 < radius_m <= 50_000:
                raise InvalidInput("radius must be in (0, 50000] m")
            hits = camera_view.cameras_within(conn, lat, lon, radius_m)
        needle = (text or "").casefold()
        chosen = [hit for hit in hits
                  if (agency is None or hit.row["agency"] == agency)
                  and (not needle or any(needle in (hit.row[c] or "").casefold() for c in (
                      "key", "name", "address", "lot_address", "management_number")))]
        return [camera_view.as_public(hit.row, hit.distance_m) for hit in chosen[:limit]]

    @allowed(Role.OPERATOR)
    def describe(self, actor: Actor, ref: str) -> dict[str, Any]:
        """One camera, named as an operator knows it (key, id or 관리번호)."""
        return self._public(resolve_camera(self, ref))

    @allowed(Role.OPERATOR)
    def resolve(self, actor: Actor, ref: str) -> UUID:
        """A camera named the way an operator knows it: its id, its key, or its 관리번호 (if
        that names one camera). NotFound says how to look it up."""
        return resolve_camera(self, ref)

    def _public(self, camera_id: UUID, after: int | None = None) -> dict[str, Any]:
        def camera(conn: Connection) -> RowMapping:
            row = camera_view.get_camera_row(conn, str(camera_id))
            if row is None:
                raise NotFound(f"no camera {camera_id}")
            return row

        return camera_view.as_public(self.look_up(camera, after))


def new_camera_key() -> str:
    """For cameras registered without an external key."""
    return uuid4().hex


def _camera_keys(record: CameraRecord) -> list[str]:
    """``<site key>#1`` .. ``#N``; a keyed row of one camera is its key itself."""
    if record.key_source == "key" and record.camera_count == 1:
        return [record.site_key]
    return [f"{record.site_key}#{n}" for n in range(1, record.camera_count + 1)]


def specs_for(record: CameraRecord) -> list[CameraSpec]:
    """A site with N cameras becomes N cameras keyed ``<site key>#<n>``, stable across imports."""
    label = record.name or record.address or record.agency
    keys = _camera_keys(record)
    return [
        CameraSpec(
            key=key,
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
            management_number=record.management_number,
            agency_code=record.agency_code,
            lot_address=record.lot_address,
            pixels=record.pixels,
            direction=record.direction,
            phone=record.phone,
            data_date=record.data_date,
        )
        for n, key in enumerate(keys, start=1)
    ]
