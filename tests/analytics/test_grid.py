"""The analytics grid: near-square 250 m cells that nest exactly up to 16 km."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from broker.common.geo import haversine_m
from broker.common.grid import BASE_CELL_M, CELL_SIZES, Cell, cells_within, fine_cell

latitudes = st.floats(min_value=-70, max_value=70, allow_nan=False)
longitudes = st.floats(min_value=-179.9, max_value=179.9, allow_nan=False)


@given(latitudes, longitudes)
def test_a_point_lies_in_its_cell_at_every_size_and_the_cells_nest(lat, lon):
    row, column = fine_cell(lat, lon)
    for cell_m in CELL_SIZES:
        cell = Cell.containing(lat, lon, cell_m)
        south, west, north, east = cell.bounds
        assert south <= lat < north + 1e-9 and west <= lon < east + 1e-9
        f = cell_m // BASE_CELL_M
        assert (cell.row, cell.column) == (row // f, column // f)
        assert cell.distance_m(lat, lon) == 0.0


@given(latitudes, longitudes)
def test_cells_are_near_square_on_the_ground(lat, lon):
    south, west, north, east = Cell.containing(lat, lon, BASE_CELL_M).bounds
    height = haversine_m(south, west, north, west)
    width = haversine_m(lat, west, lat, east)
    assert abs(height - BASE_CELL_M) < 0.5
    assert abs(width - BASE_CELL_M) / BASE_CELL_M < 0.01


@given(latitudes, longitudes, st.floats(min_value=1, max_value=3000), st.sampled_from(CELL_SIZES[:3]))
def test_cells_within_a_reach_are_exactly_those_the_circle_touches(lat, lon, reach, cell_m):
    found = set(cells_within(lat, lon, reach, cell_m))
    assert Cell.containing(lat, lon, cell_m) in found
    assert all(cell.distance_m(lat, lon) <= reach for cell in found)
    # every neighbour of a found cell that the circle touches is found too
    for cell in list(found):
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                other = Cell(cell_m, cell.row + dr, cell.column + dc)
                if other.distance_m(lat, lon) <= reach * 0.999:
                    assert other in found
