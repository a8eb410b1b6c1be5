"""Great-circle geometry shared by the spatial index, the policy scope and the tests.

One haversine implementation, so that the index and any brute-force check agree to the bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180.0


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """A lat/lon box; ``min_lon > max_lon`` never happens: wrapping boxes are split."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two WGS84 points on a spherical Earth."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_from(lat1: float, lon1: float) -> Callable[[float, float], float]:
    """``haversine_m(lat1, lon1, lat2, lon2)`` as a function of the second point, with the
    first point's terms worked out once: the same operations in the same order, so the same
    bits, for scans of many points around one."""
    phi1 = math.radians(lat1)
    cos_phi1 = math.cos(phi1)
    radians, sin, cos, sqrt, asin = math.radians, math.sin, math.cos, math.sqrt, math.asin
    diameter = 2 * EARTH_RADIUS_M

    def distance_m(lat2: float, lon2: float) -> float:
        phi2 = radians(lat2)
        a = sin((phi2 - phi1) / 2) ** 2 + cos_phi1 * cos(phi2) * sin(radians(lon2 - lon1) / 2) ** 2
        return diameter * asin(min(1.0, sqrt(a)))

    return distance_m


def bounding_boxes(lat: float, lon: float, radius_m: float) -> list[BoundingBox]:
    """Boxes that surely contain every point within ``radius_m`` of (lat, lon).

    Conservative (a 1 % margin plus a metre) so that an index probe followed by an exact
    haversine filter never misses a point; split in two across the antimeridian.
    """
    reach = radius_m * 1.01 + 1.0
    dlat = reach / METRES_PER_DEGREE_LAT
    min_lat = lat - dlat
    max_lat = lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return [BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)]
    # Longitude degrees shrink with latitude; use the widest latitude the box touches.
    widest = max(abs(min_lat), abs(max_lat))
    cos_lat = math.cos(math.radians(widest))
    dlon = reach / (METRES_PER_DEGREE_LAT * cos_lat) if cos_lat > 1e-9 else 360.0
    if dlon >= 180.0:
        return [BoundingBox(min_lat, max_lat, -180.0, 180.0)]
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        return [
            BoundingBox(min_lat, max_lat, west + 360.0, 180.0),
            BoundingBox(min_lat, max_lat, -180.0, east),
        ]
    if east > 180.0:
        return [
            BoundingBox(min_lat, max_lat, west, 180.0),
            BoundingBox(min_lat, max_lat, -180.0, east - 360.0),
        ]
    return [BoundingBox(min_lat, max_lat, west, east)]
