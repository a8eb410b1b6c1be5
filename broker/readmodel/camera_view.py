"""Camera rows and the spatial index: "which cameras' coverage reaches this point?"."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, RowMapping, Select, column, insert, select, table, text, update

from broker.common import cursors
from broker.common.geo import BoundingBox, bounding_boxes, haversine_from, haversine_m
from broker.common.times import rfc3339
from broker.domain import events
from broker.errors import InvalidInput
from broker.readmodel.projection import ViewProjection
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
    """Camera rows and their coverage boxes in the spatial index."""

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a camera event."""

    @process_event.register(events.CameraRegistered)
    def _registered(self, event: Any, tracking: Tracking) -> None:
        camera_id = str(event.originator_id)
        self.conn.execute(insert(cameras).values(
            id=camera_id, key=event.key, name=event.name, agency=event.agency,
            purpose=event.purpose, purpose_category=event.purpose_category,
            address=event.address, lat=event.lat, lon=event.lon, coverage_m=event.coverage_m,
            retention_days=event.retention_days, installed=event.installed, status="active",
            registered_at=event.at, updated_at=event.at,
            **_box_values(event.lat, event.lon, event.coverage_m),
        ))
        _index(self.conn, camera_id)

    @process_event.register(events.CameraRelocated)
    def _relocated(self, event: Any, tracking: Tracking) -> None:
        camera_id = str(event.originator_id)
        self.conn.execute(update(cameras).where(cameras.c.id == camera_id).values(
            lat=event.lat, lon=event.lon, coverage_m=event.coverage_m, updated_at=event.at,
            **_box_values(event.lat, event.lon, event.coverage_m),
        ))
        _index(self.conn, camera_id)

    @process_event.register(events.CameraRetentionChanged)
    def _retention_changed(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(update(cameras).where(cameras.c.id == str(event.originator_id))
                          .values(retention_days=event.retention_days, updated_at=event.at))

    @process_event.register(events.CameraDecommissioned)
    def _decommissioned(self, event: Any, tracking: Tracking) -> None:
        camera_id = str(event.originator_id)
        self.conn.execute(update(cameras).where(cameras.c.id == camera_id)
                          .values(status="decommissioned", updated_at=event.at))
        _index(self.conn, camera_id)


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
    }
    if distance_m is not None:
        item["distance_m"] = round(distance_m, 2)
    return item
