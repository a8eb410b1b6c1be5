"""Coverage analytics: where requests were, where no camera is, which cameras nobody needs.

Everything here answers in aggregates over ``analytics_requests`` (``analytics_view.py``):

- **Cells** of the chosen size (250 m to 16 km, nested: ``broker.common.grid``) with the
  number of requests in the period, by legal basis and agency kind. A cell with fewer than
  ``min_count`` requests (k, at least 5) is **suppressed**: not listed, not drawn, not ranked;
  only the number of such cells and of their requests is told. Inside a listed cell, a basis
  or agency kind with fewer than k requests is withheld (counted in ``withheld``), and when
  only one would be withheld the next smallest is withheld with it, so that no count below k
  can be recovered by subtraction; the requests that found no camera in reach are told only
  when neither they nor the rest of the cell are under k.
- **Blind spots**: listed cells that no fixed camera's coverage reaches (drone stations are
  told apart: ``drone_reach``), with the distance from the cell's centre to the nearest fixed
  camera and that camera's address, the most requested first.
- **Idle cameras**: active cameras that no decision's scope named within their own
  retention period, as of now: footage that expired unrequested.
- **Drone stations**: what each one's reach takes in.

One ``GROUP BY`` over the period's index range does the counting (a city's million requests
in about a second); the rest works on cells and cameras, in memory.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from broker.common import csvout
from broker.common.geo import haversine_m
from broker.common.grid import BASE_CELL_M, Cell, cells_within, factor
from broker.common.times import as_utc, rfc3339
from broker.readmodel.tables import analytics_camera_use, analytics_requests, cameras

MIN_COUNT = 5
"""k: no cell with fewer requests is ever shown (a cell of one request can single a person out)."""
DRONE = "drone"


@dataclass(frozen=True)
class CoverageQuery:
    start: datetime
    end: datetime
    cell_m: int = BASE_CELL_M
    min_count: int = MIN_COUNT
    legal_basis: str | None = None
    agency_kind: str | None = None
    top: int = 10

    def __post_init__(self) -> None:
        factor(self.cell_m)  # ValueError for a size the grid does not nest
        if self.min_count < MIN_COUNT:
            raise ValueError(f"the minimum count per cell is at least {MIN_COUNT}")
        if self.end <= self.start:
            raise ValueError("'to' must be after 'from'")


@dataclass(frozen=True, slots=True)
class CameraPoint:
    id: str
    name: str
    address: str
    agency: str
    lat: float
    lon: float
    coverage_m: float
    retention_days: int
    drone: bool

    def brief(self, distance_m: float) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "address": self.address,
                "agency": self.agency, "distance_m": round(distance_m)}


@dataclass
class _Tally:
    total: int = 0
    no_camera: int = 0
    by_basis: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)


# counting ---------------------------------------------------------------------------------

def _period(query: CoverageQuery) -> list[Any]:
    r = analytics_requests.c
    conditions = [r.submitted_at >= query.start, r.submitted_at < query.end, r.superseded == 0]
    if query.legal_basis is not None:
        conditions.append(r.legal_basis == query.legal_basis)
    if query.agency_kind is not None:
        conditions.append(r.agency_kind == query.agency_kind)
    return conditions


def count_cells(conn: Connection, query: CoverageQuery) -> tuple[dict[Cell, _Tally], int]:
    """Requests per cell of the query's size, by basis and agency kind; and how many requests
    of the period have no cell (erased personal data, or no location)."""
    r = analytics_requests.c
    f = factor(query.cell_m)
    row, column = (r.cell_row // f, r.cell_column // f) if f > 1 else (r.cell_row, r.cell_column)
    grouped = (select(row.label("row"), column.label("column"), r.legal_basis, r.agency_kind,
                      func.count().label("n"), func.sum(r.no_camera).label("no_camera"))
               .where(*_period(query), r.cell_row.is_not(None))
               .group_by(row, column, r.legal_basis, r.agency_kind))
    tallies: dict[Cell, _Tally] = defaultdict(_Tally)
    for cell_row, cell_column, basis, kind, n, no_camera in conn.execute(grouped):
        tally = tallies[Cell(query.cell_m, int(cell_row), int(cell_column))]
        tally.total += n
        tally.no_camera += int(no_camera or 0)
        tally.by_basis[basis] += n
        tally.by_kind[kind] += n
    unlocated = conn.execute(select(func.count()).select_from(analytics_requests)
                             .where(*_period(query), r.cell_row.is_(None))).scalar_one()
    return dict(tallies), int(unlocated)


def suppressed_breakdown(counts: Counter[str], k: int) -> tuple[dict[str, int], int]:
    """The entries of at least k, and how many requests are withheld; a lone small entry is
    never withheld alone (the next smallest goes with it), so subtraction recovers nothing."""
    shown = {key: n for key, n in counts.items() if n >= k}
    hidden = [key for key in counts if key not in shown]
    if len(hidden) == 1 and shown:
        smallest = min(shown, key=lambda key: (shown[key], key))
        del shown[smallest]
    return dict(sorted(shown.items())), sum(counts.values()) - sum(shown.values())


def no_camera_in_reach(total: int, no_camera: int, k: int) -> int | None:
    """How many of a listed cell's requests found no camera in reach, told only when neither
    they nor the rest (the cell's total less them) are a count from 1 to k - 1."""
    split = Counter({key: n for key, n in (("none", no_camera), ("some", total - no_camera))
                     if n})
    shown, _ = suppressed_breakdown(split, k)
    return shown.get("none")


# cameras ----------------------------------------------------------------------------------

def active_cameras(conn: Connection) -> list[CameraPoint]:
    c = cameras.c
    query = select(c.id, c.name, c.address, c.agency, c.lat, c.lon, c.coverage_m,
                   c.retention_days, c.purpose_category).where(c.status == "active")
    return [CameraPoint(id=row.id, name=row.name, address=row.address, agency=row.agency,
                        lat=row.lat, lon=row.lon, coverage_m=row.coverage_m,
                        retention_days=row.retention_days, drone=row.purpose_category == DRONE)
            for row in conn.execute(query)]


def reached_cells(points: Iterable[CameraPoint], wanted: Iterable[Cell],
                  cell_m: int) -> dict[Cell, list[CameraPoint]]:
    """For each wanted cell, the cameras whose coverage circle reaches into it."""
    wanted = set(wanted)
    reach: dict[Cell, list[CameraPoint]] = defaultdict(list)
    for point in points:
        for cell in cells_within(point.lat, point.lon, point.coverage_m, cell_m):
            if cell in wanted:
                reach[cell].append(point)
    return reach


class NearestCamera:
    """Nearest-camera lookups over a bucket grid of camera positions (~1 km buckets)."""

    BUCKET_DEG = 0.01

    def __init__(self, points: Sequence[CameraPoint]) -> None:
        self._points = points
        self._buckets: dict[tuple[int, int], list[CameraPoint]] = defaultdict(list)
        for point in points:
            self._buckets[self._key(point.lat, point.lon)].append(point)

    def _key(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.BUCKET_DEG), math.floor(lon / self.BUCKET_DEG)

    def nearest(self, lat: float, lon: float) -> tuple[CameraPoint, float] | None:
        if not self._points:
            return None
        row, column = self._key(lat, lon)
        # A bucket r rings away is at least (r - 1) buckets away on both axes.
        ring_m = self.BUCKET_DEG * 111_195.0 * max(math.cos(math.radians(min(abs(lat) + 1, 90))),
                                                   0.01)
        best: tuple[CameraPoint, float] | None = None
        for r in range(0, 200):
            if best is not None and (r - 1) * ring_m > best[1]:
                return best
            for key in _ring(row, column, r):
                for point in self._buckets.get(key, ()):
                    distance = haversine_m(lat, lon, point.lat, point.lon)
                    if best is None or (distance, point.id) < (best[1], best[0].id):
                        best = (point, distance)
        # Farther than 200 buckets (about 200 km): look at every camera.
        return min(((p, haversine_m(lat, lon, p.lat, p.lon)) for p in self._points),
                   key=lambda hit: (hit[1], hit[0].id))


def _ring(row: int, column: int, r: int) -> Iterable[tuple[int, int]]:
    if r == 0:
        yield row, column
        return
    for dc in range(-r, r + 1):
        yield row - r, column + dc
        yield row + r, column + dc
    for dr in range(-r + 1, r):
        yield row + dr, column - r
        yield row + dr, column + r


def idle_cameras(conn: Connection, points: Sequence[CameraPoint], now: datetime) -> list[dict[str, Any]]:
    """Active cameras no decision's scope named within their own retention, as of ``now``."""
    last = {camera_id: as_utc(at) for camera_id, at in conn.execute(
        select(analytics_camera_use.c.camera_id, analytics_camera_use.c.last_requested_at))}
    idle = []
    for point in points:
        requested = last.get(point.id)
        if requested is None or requested < now - timedelta(days=point.retention_days):
            idle.append({"id": point.id, "name": point.name, "address": point.address,
                         "agency": point.agency, "retention_days": point.retention_days,
                         "last_requested_at": rfc3339(requested) if requested else None,
                         "location": {"lat": point.lat, "lon": point.lon}})
    return sorted(idle, key=lambda item: (item["last_requested_at"] or "", item["id"]))


# the report -------------------------------------------------------------------------------

def coverage_report(conn: Connection, query: CoverageQuery, now: datetime) -> dict[str, Any]:
    k = query.min_count
    tallies, unlocated = count_cells(conn, query)
    shown = {cell: tally for cell, tally in tallies.items() if tally.total >= k}
    points = active_cameras(conn)
    fixed = [p for p in points if not p.drone]
    drones = [p for p in points if p.drone]
    covered = reached_cells(fixed, shown, query.cell_m)
    drone_reach = reached_cells(drones, shown, query.cell_m)
    nearest = NearestCamera(fixed)

    cells: list[dict[str, Any]] = []
    blind: list[tuple[dict[str, Any], tuple[CameraPoint, float] | None]] = []
    for cell in sorted(shown, key=lambda c: (c.row, c.column)):
        tally = shown[cell]
        by_basis, withheld_basis = suppressed_breakdown(tally.by_basis, k)
        by_kind, withheld_kind = suppressed_breakdown(tally.by_kind, k)
        lat, lon = cell.centre
        is_blind = cell not in covered
        hit = nearest.nearest(lat, lon) if is_blind else None
        item: dict[str, Any] = {
            "id": cell.id, "centre": {"lat": round(lat, 6), "lon": round(lon, 6)},
            "bounds": [round(v, 6) for v in cell.bounds],
            "requests": tally.total,
            "by_legal_basis": by_basis, "by_agency_kind": by_kind,
            "withheld": {"legal_basis": withheld_basis, "agency_kind": withheld_kind},
            "no_camera_in_reach": no_camera_in_reach(tally.total, tally.no_camera, k),
            "covered": not is_blind,
            "blind_spot": is_blind,
            "nearest_camera_m": round(hit[1]) if hit else None,
            "drone_reach": sorted(p.id for p in drone_reach.get(cell, ())),
        }
        cells.append(item)
        if is_blind:
            blind.append((item, hit))
    blind.sort(key=lambda pair: (-pair[0]["requests"], pair[0]["id"]))

    suppressed = [tally.total for cell, tally in tallies.items() if tally.total < k]
    drone_cells: dict[str, list[Cell]] = defaultdict(list)
    for cell, reaching in drone_reach.items():
        for point in reaching:
            drone_cells[point.id].append(cell)
    blind_ids = {item["id"] for item, _ in blind}
    idle = idle_cameras(conn, points, now)
    return {
        "period": {"from": rfc3339(query.start), "to": rfc3339(query.end)},
        "cell_m": query.cell_m,
        "min_count": k,
        "filters": {"legal_basis": query.legal_basis, "agency_kind": query.agency_kind},
        "requests": {
            "total": sum(t.total for t in tallies.values()) + unlocated,
            "in_listed_cells": sum(t.total for t in shown.values()),
            "in_suppressed_cells": sum(suppressed),
            "without_cell": unlocated,
        },
        "cells": cells,
        "suppressed_cells": len(suppressed),
        "blind_spots": {
            "count": len(blind),
            "requests": sum(item["requests"] for item, _ in blind),
            "top": [{"cell": item["id"], "centre": item["centre"], "requests": item["requests"],
                     "nearest_camera": hit[0].brief(hit[1]) if hit else None,
                     "drone_reach": item["drone_reach"]}
                    for item, hit in blind[:query.top]],
        },
        "idle_cameras": {"as_of": rfc3339(now), "count": len(idle), "items": idle},
        "drone_stations": [_drone(point, drone_cells.get(point.id, []), shown, blind_ids)
                           for point in sorted(drones, key=lambda p: p.id)],
        "cameras": {"active": len(points), "fixed": len(fixed), "drone_stations": len(drones)},
    }


def _drone(point: CameraPoint, reached: list[Cell], shown: dict[Cell, _Tally],
           blind_ids: set[str]) -> dict[str, Any]:
    """What a drone station's reach takes in, counted over listed cells only (adding the
    suppressed ones would let a reader subtract them back out)."""
    return {"id": point.id, "name": point.name, "address": point.address,
            "reach_m": point.coverage_m, "location": {"lat": point.lat, "lon": point.lon},
            "cells_in_reach": len(reached),
            "requests_in_reach": sum(shown[cell].total for cell in reached),
            "blind_spots_in_reach": sum(1 for cell in reached if cell.id in blind_ids)}


# renderings -------------------------------------------------------------------------------

def to_geojson(report: dict[str, Any]) -> dict[str, Any]:
    """RFC 7946: one Polygon feature per listed cell; suppressed cells are not drawn."""
    features = []
    for item in report["cells"]:
        south, west, north, east = item["bounds"]
        properties = {key: value for key, value in item.items() if key not in ("bounds", "centre")}
        features.append({
            "type": "Feature", "id": item["id"],
            "geometry": {"type": "Polygon", "coordinates": [[[west, south], [east, south],
                                                             [east, north], [west, north],
                                                             [west, south]]]},
            "properties": properties})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"period": report["period"], "cell_m": report["cell_m"],
                           "min_count": report["min_count"],
                           "suppressed_cells": report["suppressed_cells"],
                           "blind_spots": report["blind_spots"]["count"]}}


CSV_HEADER = ("cell", "centre_lat", "centre_lon", "requests", "blind_spot", "nearest_camera_m",
              "drone_reach", "no_camera_in_reach", "by_legal_basis", "withheld_legal_basis",
              "by_agency_kind", "withheld_agency_kind")


def to_csv(report: dict[str, Any]) -> bytes:
    """One row per listed cell; breakdowns as ``key=count`` lists."""
    def pairs(counts: dict[str, int]) -> str:
        return "; ".join(f"{key}={n}" for key, n in counts.items())

    rows = [(item["id"], str(item["centre"]["lat"]), str(item["centre"]["lon"]),
             str(item["requests"]), "yes" if item["blind_spot"] else "no",
             "" if item["nearest_camera_m"] is None else str(item["nearest_camera_m"]),
             " ".join(item["drone_reach"]),
             "" if item["no_camera_in_reach"] is None else str(item["no_camera_in_reach"]),
             pairs(item["by_legal_basis"]), str(item["withheld"]["legal_basis"]),
             pairs(item["by_agency_kind"]), str(item["withheld"]["agency_kind"]))
            for item in report["cells"]]
    return csvout.render(CSV_HEADER, rows)
