"""The analytics grid: nested, near-square cells of 250 m and their multiples, worldwide.

Rows are bands of latitude ``BASE_CELL_M`` high; columns are as wide in degrees as 250 m on
the ground at the centre of their *band* of ``BAND_ROWS`` rows (16 km), so that cells stay
near-square at any latitude and a coarse cell of 2^n fine cells (up to 16 km) is exactly the
union of the fine cells it holds: coarsening is integer division of both indices, which SQL
can do in a ``GROUP BY``. Indices are never negative (latitude from -90, longitude from -180).
Within one 16 km band a column's ground width varies by well under 1 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from broker.common.geo import METRES_PER_DEGREE_LAT, haversine_m

BASE_CELL_M = 250
"""The cell a request is stored under: the finest resolution analytics ever has."""
BAND_ROWS = 64
"""Rows per longitude band; coarse cells nest up to ``BASE_CELL_M * BAND_ROWS``."""
CELL_SIZES: tuple[int, ...] = tuple(BASE_CELL_M * 2**n for n in range(7))
"""250 m to 16 km: every size an analytics query may aggregate to."""
ROW_DEG = BASE_CELL_M / METRES_PER_DEGREE_LAT
_MIN_COS = 0.01  # near the poles columns stop widening; nobody plans cameras there


def _column_deg(band: int) -> float:
    centre_lat = -90.0 + (band + 0.5) * BAND_ROWS * ROW_DEG
    return BASE_CELL_M / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(centre_lat)), _MIN_COS))


def fine_cell(lat: float, lon: float) -> tuple[int, int]:
    """(row, column) of the 250 m cell holding the point."""
    row = max(0, math.floor((lat + 90.0) / ROW_DEG))
    column = max(0, math.floor((lon + 180.0) / _column_deg(row // BAND_ROWS)))
    return row, column


def factor(cell_m: int) -> int:
    """How many fine cells a side of a ``cell_m`` cell spans; ValueError for other sizes."""
    if cell_m not in CELL_SIZES:
        raise ValueError(f"cell size must be one of {', '.join(map(str, CELL_SIZES))} m")
    return cell_m // BASE_CELL_M


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of ``cell_m``: (row, column) in units of that size."""

    cell_m: int
    row: int
    column: int

    @classmethod
    def containing(cls, lat: float, lon: float, cell_m: int) -> Cell:
        f = factor(cell_m)
        row, column = fine_cell(lat, lon)
        return cls(cell_m, row // f, column // f)

    @property
    def id(self) -> str:
        return f"{self.cell_m}m:{self.row}:{self.column}"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) in degrees."""
        f = self.cell_m // BASE_CELL_M
        south = -90.0 + self.row * f * ROW_DEG
        width = _column_deg((self.row * f) // BAND_ROWS) * f
        west = -180.0 + self.column * width
        return south, west, min(90.0, south + f * ROW_DEG), min(180.0, west + width)

    @property
    def centre(self) -> tuple[float, float]:
        south, west, north, east = self.bounds
        return (south + north) / 2, (west + east) / 2

    def distance_m(self, lat: float, lon: float) -> float:
        """From a point to the nearest point of the cell (0 inside it)."""
        south, west, north, east = self.bounds
        return haversine_m(lat, lon, min(max(lat, south), north), min(max(lon, west), east))

    def ring(self) -> list[list[float]]:
        """The cell's outline as a closed GeoJSON ring of [lon, lat], counter-clockwise."""
        south, west, north, east = self.bounds
        return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def cells_within(lat: float, lon: float, reach_m: float, cell_m: int) -> list[Cell]:
    """Every cell of ``cell_m`` some point of which lies within ``reach_m`` of (lat, lon)."""
    f = factor(cell_m)
    dlat = (reach_m * 1.01 + 1.0) / METRES_PER_DEGREE_LAT
    low_row, _ = fine_cell(max(-90.0, lat - dlat), lon)
    high_row, _ = fine_cell(min(90.0, lat + dlat), lon)
    found = []
    for row in range(low_row // f, high_row // f + 1):
        width = _column_deg((row * f) // BAND_ROWS) * f
        cos_lat = max(math.cos(math.radians(min(abs(lat) + dlat, 90.0))), _MIN_COS)
        dlon = min(180.0, dlat / cos_lat)
        first = max(0, math.floor((lon - dlon + 180.0) / width))
        last = math.floor((min(180.0, lon + dlon) + 180.0) / width)
        for column in range(first, last + 1):
            cell = Cell(cell_m, row, column)
            if cell.distance_m(lat, lon) <= reach_m:
                found.append(cell)
    return found
