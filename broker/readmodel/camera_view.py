"""Camera rows and the spatial index: "which cameras' coverage reaches this point?"."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import (
    Connection,
    RowMapping,
    Select,
    bindparam,
    column,
    insert,
    select,
    table,
    text,
    update,
)

from broker.common import cursors
from broker.common.geo import BoundingBox, bounding_boxes, haversine_from, haversine_m
from broker.common.times import rfc3339
from broker.domain import events
from broker.domain.camera import DETAIL_FIELDS
from broker.errors import InvalidInput
from broker.readmodel.projection import ReadModelView, ViewProjection
from broker.readmodel.tables import cameras


@dataclass(frozen=True, slots=True)
class CameraHit:
    row: RowMapping
    distance_m: float


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position in a nearest-first listing: resume strictly after (distance, id)."""

    distance_m: float
    camera_id: str

    def encode(self) -> str:
        return cursors.encode(repr(self.distance_m), self.camera_id)

    @classmethod
    def decode(cls, token: str) -> Cursor:
        distance, camera_id = cursors.decode(token, 2)
        try:
            cursor = cls(float(distance), camera_id)
        except ValueError:
            raise InvalidInput("cursor is malformed") from None
        if not math.isfinite(cursor.distance_m):
            raise InvalidInput("cursor is malformed")
        return cursor


def coverage_box(lat: float, lon: float, coverage_m: float) -> BoundingBox:
    """One box for the index; a coverage area straddling the antimeridian spans all longitudes."""
    boxes = bounding_boxes(lat, lon, coverage_m)
    if len(boxes) == 1:
        return boxes[0]
    return BoundingBox(boxes[0].min_lat, boxes[0].max_lat, -180.0, 180.0)


# projection -------------------------------------------------------------------------------

_CHUNK = 500
"""Ids per ``IN (...)``: well inside SQLite's and PostgreSQL's parameter limits."""

REGISTER_DEFAULTS: dict[str, Any] = {
    "management_number": None, "agency_code": None, "lot_address": "", "pixels": None,
    "direction": "", "phone": "", "data_date": None,
}
"""The columns ``Camera.Registered`` gained with the real registers, and their defaults."""
DETAIL_COLUMNS = frozenset(DETAIL_FIELDS)


def _box_values(lat: float, lon: float, coverage_m: float) -> dict[str, float]:
    box = coverage_box(lat, lon, coverage_m)
    return {"min_lat": box.min_lat, "max_lat": box.max_lat,
            "min_lon": box.min_lon, "max_lon": box.max_lon}


def _index(conn: Connection, camera_id: str) -> None:
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL's GiST index follows the row by itself.
    row = conn.execute(
        select(cameras.c.row_id, cameras.c.status, cameras.c.min_lat, cameras.c.max_lat,
               cameras.c.min_lon, cameras.c.max_lon).where(cameras.c.id == camera_id)
    ).mappings().one()
    conn.execute(text("DELETE FROM camera_rtree WHERE row_id = :row_id"), {"row_id": row["row_id"]})
    if row["status"] == "active":
        conn.execute(
            text("INSERT INTO camera_rtree VALUES (:row_id, :min_lat, :max_lat, :min_lon, :max_lon)"),
            dict(row),
        )


class CameraView(ViewProjection):
    """Camera rows and their coverage boxes in the spatial index.

    New cameras are held until the end of the batch (an import registers thousands at once)
    and written with one ``executemany``; any other event for a held camera writes them first.
    """

    def __init__(self, view: ReadModelView) -> None:
        super().__init__(view)
        self._new: list[dict[str, Any]] = []
        self._new_ids: set[str] = set()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a camera event."""

    @process_event.register(events.CameraRegistered)
    def _registered(self, event: Any, tracking: Tracking) -> None:
        camera_id = str(event.originator_id)
        # Events stored before the register columns existed lack them: their defaults apply.
        register_columns = {name: getattr(event, name, default)
                            for name, default in REGISTER_DEFAULTS.items()}
        self._new.append(dict(
            id=camera_id, key=event.key, name=event.name, agency=event.agency,
            purpose=event.purpose, purpose_category=event.purpose_category,
            address=event.address, lat=event.lat, lon=event.lon, coverage_m=event.coverage_m,
            retention_days=event.retention_days, installed=event.installed, status="active",
            registered_at=event.at, updated_at=event.at, **register_columns,
            **_box_values(event.lat, event.lon, event.coverage_m),
        ))
        self._new_ids.add(camera_id)

    @process_event.register(events.CameraRelocated)
    def _relocated(self, event: Any, tracking: Tracking) -> None:
        camera_id = self._settled(event)
        self.conn.execute(update(cameras).where(cameras.c.id == camera_id).values(
            lat=event.lat, lon=event.lon, coverage_m=event.coverage_m, updated_at=event.at,
            **_box_values(event.lat, event.lon, event.coverage_m),
        ))
        _index(self.conn, camera_id)

    @process_event.register(events.CameraRetentionChanged)
    def _retention_changed(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(update(cameras).where(cameras.c.id == self._settled(event))
                          .values(retention_days=event.retention_days, updated_at=event.at))

    @process_event.register(events.CameraDetailsChanged)
    def _details_changed(self, event: Any, tracking: Tracking) -> None:
        changes = {name: value for name, value in event.changes.items() if name in DETAIL_COLUMNS}
        self.conn.execute(update(cameras).where(cameras.c.id == self._settled(event))
                          .values(**changes, updated_at=event.at))

    @process_event.register(events.CameraImportRecorded)
    def _import_recorded(self, event: Any, tracking: Tracking) -> None:
        """The register's as-of date for the cameras it listed (not a change of the camera)."""
        self.flush()
        for data_date, camera_ids in event.data_dates.items():
            for i in range(0, len(camera_ids), _CHUNK):
                self.conn.execute(update(cameras).where(cameras.c.id.in_(camera_ids[i:i + _CHUNK]))
                                  .values(data_date=data_date))

    @process_event.register(events.CameraDecommissioned)
    def _decommissioned(self, event: Any, tracking: Tracking) -> None:
        camera_id = self._settled(event)
        self.conn.execute(update(cameras).where(cameras.c.id == camera_id)
                          .values(status="decommissioned", updated_at=event.at))
        _index(self.conn, camera_id)

    def _settled(self, event: Any) -> str:
        """The camera's id, once its row is written (if it was registered in this batch)."""
        camera_id = str(event.originator_id)
        if camera_id in self._new_ids:
            self.flush()
        return camera_id

    def flush(self) -> None:
        if not self._new:
            return
        self.conn.execute(insert(cameras), self._new)
        if self.conn.dialect.name == "sqlite":
            ids = [row["id"] for row in self._new]
            for i in range(0, len(ids), _CHUNK):
                self.conn.execute(
                    text("INSERT INTO camera_rtree (row_id, min_lat, max_lat, min_lon, max_lon) "
                         "SELECT row_id, min_lat, max_lat, min_lon, max_lon FROM cameras "
                         "WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                    {"ids": ids[i:i + _CHUNK]})
        self.discard()

    def discard(self) -> None:
        self._new, self._new_ids = [], set()


# queries ----------------------------------------------------------------------------------

# The R*Tree virtual table is created by the migration, outside the ORM metadata.
camera_rtree = table(
    "camera_rtree", column("row_id"), column("min_lat"), column("max_lat"),
    column("min_lon"), column("max_lon"),
)
_POSTGRES_BOX_OVERLAP = text(
    "box(point(cameras.min_lon, cameras.min_lat), point(cameras.max_lon, cameras.max_lat)) "
    "&& box(point(:min_lon, :min_lat), point(:max_lon, :max_lat))"
)


def _probe(dialect: str, box: BoundingBox, columns: Sequence[Any]) -> Select[Any]:
    if dialect == "sqlite":
        r = camera_rtree.c
        return select(*columns).join(camera_rtree, r.row_id == cameras.c.row_id).where(
            r.max_lat >= box.min_lat, r.min_lat <= box.max_lat,
            r.max_lon >= box.min_lon, r.min_lon <= box.max_lon,
        )
    return select(*columns).where(
        cameras.c.status == "active",
        _POSTGRES_BOX_OVERLAP.bindparams(min_lat=box.min_lat, max_lat=box.max_lat,
                                         min_lon=box.min_lon, max_lon=box.max_lon),
    )


def cameras_near(
    conn: Connection,
    lat: float,
    lon: float,
    radius_m: float,
    *,
    limit: int | None = None,
    after: Cursor | None = None,
    columns: Sequence[Any] = (cameras,),
) -> list[CameraHit]:
    """Active cameras whose coverage circle reaches within ``radius_m`` of the point.

    The index probe is a conservative box test; the exact great-circle test
    ``distance <= radius_m + coverage_m`` decides. Ordered nearest first, ties by id.
    """
    found: dict[str, CameraHit] = {}
    for box in bounding_boxes(lat, lon, radius_m):
        for row in conn.execute(_probe(conn.dialect.name, box, columns)).mappings():
            distance = haversine_m(lat, lon, row["lat"], row["lon"])
            if distance <= radius_m + row["coverage_m"]:
                found[row["id"]] = CameraHit(row=row, distance_m=distance)
    hits = sorted(found.values(), key=lambda hit: (hit.distance_m, hit.row["id"]))
    if after is not None:
        hits = [h for h in hits if (h.distance_m, h.row["id"]) > (after.distance_m, after.camera_id)]
    return hits if limit is None else hits[:limit]


_SITE_PROBES = {
    "sqlite": text(
        "SELECT c.id, c.lat, c.lon, c.coverage_m, c.status FROM camera_rtree r "
        "JOIN cameras c ON c.row_id = r.row_id "
        "WHERE r.max_lat >= :min_lat AND r.min_lat <= :max_lat "
        "AND r.max_lon >= :min_lon AND r.min_lon <= :max_lon"),
    "postgresql": text(
        "SELECT id, lat, lon, coverage_m, status FROM cameras WHERE status = 'active' AND "
        "box(point(cameras.min_lon, cameras.min_lat), point(cameras.max_lon, cameras.max_lat)) "
        "&& box(point(:min_lon, :min_lat), point(:max_lon, :max_lat))"),
}


@dataclass(frozen=True, slots=True)
class Site:
    """A camera as a policy scope needs it, with its distance from the probed point."""

    camera_id: str
    lat: float
    lon: float
    coverage_m: float
    status: str
    distance_m: float


def sites_in_reach(conn: Connection, lat: float, lon: float, radius_m: float) -> list[Site]:
    """``cameras_near`` for the decision path: the same cameras, as plain tuples from one
    prepared statement per box (every filing runs this; a built query and row mappings cost
    more than the index probe itself)."""
    probe = _SITE_PROBES[conn.dialect.name]
    distance_to = haversine_from(lat, lon)
    found: dict[str, Site] = {}
    for box in bounding_boxes(lat, lon, radius_m):
        params = {"min_lat": box.min_lat, "max_lat": box.max_lat,
                  "min_lon": box.min_lon, "max_lon": box.max_lon}
        for camera_id, site_lat, site_lon, coverage_m, status in conn.execute(probe, params).all():
            distance = distance_to(site_lat, site_lon)
            if distance <= radius_m + coverage_m:
                found[camera_id] = Site(camera_id, site_lat, site_lon, coverage_m, status, distance)
    return sorted(found.values(), key=lambda site: (site.distance_m, site.camera_id))


def get_camera_row(conn: Connection, camera_id: str) -> RowMapping | None:
    return conn.execute(select(cameras).where(cameras.c.id == camera_id)).mappings().one_or_none()


def as_public(row: RowMapping, distance_m: float | None = None) -> dict[str, Any]:
    """The v1 API shape of a camera."""
    item: dict[str, Any] = {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "agency": row["agency"],
        "purpose": row["purpose"],
        "purpose_category": row["purpose_category"],
        "address": row["address"],
        "location": {"lat": row["lat"], "lon": row["lon"]},
        "coverage_m": row["coverage_m"],
        "retention_days": row["retention_days"],
        "installed": row["installed"],
        "status": row["status"],
        "registered_at": rfc3339(row["registered_at"]),
        "management_number": row["management_number"],
        "agency_code": row["agency_code"],
        "lot_address": row["lot_address"],
        "pixels": row["pixels"],
        "direction": row["direction"],
        "phone": row["phone"],
        "data_date": row["data_date"],
        "updated_at": rfc3339(row["updated_at"]),
    }
    if distance_m is not None:
        item["distance_m"] = round(distance_m, 2)
    return item


# lookups for imports and operators -----------------------------------------------------------

def rows_by_ids(conn: Connection, camera_ids: Sequence[str]) -> dict[str, RowMapping]:
    """The rows of those ids that exist, by id."""
    found: dict[str, RowMapping] = {}
    for i in range(0, len(camera_ids), _CHUNK):
        chunk = camera_ids[i:i + _CHUNK]
        for row in conn.execute(select(cameras).where(cameras.c.id.in_(chunk))).mappings():
            found[row["id"]] = row
    return found


def existing_ids(conn: Connection, camera_ids: Sequence[str]) -> set[str]:
    """Which of these ids are cameras."""
    found: set[str] = set()
    for i in range(0, len(camera_ids), _CHUNK):
        chunk = camera_ids[i:i + _CHUNK]
        found.update(conn.execute(select(cameras.c.id).where(cameras.c.id.in_(chunk))).scalars())
    return found


def active_of_agencies(conn: Connection, agencies: Sequence[str]) -> list[RowMapping]:
    """Active cameras of these agencies (as written), ordered by key."""
    rows: list[RowMapping] = []
    for i in range(0, len(agencies), _CHUNK):
        chunk = agencies[i:i + _CHUNK]
        rows.extend(conn.execute(
            select(cameras.c.id, cameras.c.key, cameras.c.address)
            .where(cameras.c.agency.in_(chunk), cameras.c.status == "active")
            .order_by(cameras.c.key)).mappings())
    return rows


def has_fingerprinted(conn: Connection, agencies: Sequence[str]) -> bool:
    """Whether any of these agencies has a camera keyed by a site fingerprint (``site-...``)."""
    for i in range(0, len(agencies), _CHUNK):
        chunk = agencies[i:i + _CHUNK]
        if conn.execute(select(cameras.c.id).where(
                cameras.c.agency.in_(chunk), cameras.c.key.like("site-%")).limit(1)).first():
            return True
    return False


def by_key(conn: Connection, key: str) -> RowMapping | None:
    return conn.execute(select(cameras).where(cameras.c.key == key)).mappings().one_or_none()


def by_management_number(conn: Connection, number: str) -> list[RowMapping]:
    return list(conn.execute(select(cameras).where(cameras.c.management_number == number)
                             .order_by(cameras.c.key)).mappings())


def by_name(conn: Connection, name: str, limit: int = 6) -> list[RowMapping]:
    return list(conn.execute(select(cameras).where(cameras.c.name == name)
                             .order_by(cameras.c.key).limit(limit)).mappings())


def by_id_prefix(conn: Connection, prefix: str, limit: int = 6) -> list[RowMapping]:
    """Cameras whose id starts with ``prefix`` (the short ids pages show)."""
    return list(conn.execute(select(cameras).where(cameras.c.id.startswith(prefix, autoescape=True))
                             .order_by(cameras.c.id).limit(limit)).mappings())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_cameras(conn: Connection, *, agency: str | None = None, text: str | None = None,
                 status: str | None = "active", after_key: str | None = None,
                 limit: int = 1000) -> list[RowMapping]:
    """Cameras ordered by key, optionally of one agency, with a status, or matching a text in
    their key, name, address, lot address or management number (case-insensitive)."""
    query = select(cameras).order_by(cameras.c.key).limit(limit)
    if agency is not None:
        query = query.where(cameras.c.agency == agency)
    if status is not None:
        query = query.where(cameras.c.status == status)
    if after_key is not None:
        query = query.where(cameras.c.key > after_key)
    if text:
        pattern = _like(text)
        query = query.where(
            cameras.c.key.ilike(pattern, escape="\\") | cameras.c.name.ilike(pattern, escape="\\")
            | cameras.c.address.ilike(pattern, escape="\\")
            | cameras.c.lot_address.ilike(pattern, escape="\\")
            | cameras.c.management_number.ilike(pattern, escape="\\"))
    return list(conn.execute(query).mappings())


def cameras_within(conn: Connection, lat: float, lon: float, radius_m: float) -> list[CameraHit]:
    """Active cameras whose own position lies within ``radius_m`` of the point, nearest first
    (``cameras_near`` also counts a camera whose coverage reaches the point)."""
    return [hit for hit in cameras_near(conn, lat, lon, radius_m) if hit.distance_m <= radius_m]
