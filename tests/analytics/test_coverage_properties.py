"""Property: on any generated layout, the blind spots are exactly the cells with at least k
requests and no fixed camera, and every cell under k is suppressed (read model, direct rows)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from broker.common.grid import Cell, fine_cell
from broker.readmodel.coverage import CoverageQuery, coverage_report
from broker.readmodel.tables import analytics_camera_use, analytics_requests, cameras
from tests.analytics.city import offset
from tests.conftest import T0


@pytest.fixture
def store() -> str:
    return "sqlite"  # the SQL itself is covered on both stores by test_coverage.py


layouts = st.tuples(
    st.sampled_from([250, 500, 1000]),
    st.integers(min_value=5, max_value=7),
    st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=1, max_size=12),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=layouts)
def test_blind_spots_and_suppression_on_any_layout(broker, layout):
    cell_m, k, sites = layout
    camera_rows, request_rows = [], []
    expected_blind, expected_listed, expected_suppressed = set(), set(), 0
    for i, (requests, has_camera) in enumerate(sites):
        # sites five cells apart on a line: no camera's 50 m reaches a neighbour's cell
        cell = Cell.containing(*offset(0, i * 5 * cell_m), cell_m)
        lat, lon = cell.centre
        if has_camera:
            camera_rows.append(dict(
                id=f"cam-{i}", key=f"k{i}", name=f"cam {i}", agency="a", purpose="p",
                purpose_category="crime_prevention", address=f"site {i}", lat=lat, lon=lon,
                coverage_m=50.0, retention_days=30, installed=None, status="active",
                registered_at=T0, updated_at=T0, min_lat=lat, max_lat=lat, min_lon=lon,
                max_lon=lon))
        row, column = fine_cell(lat, lon)
        request_rows += [dict(request_id=f"r-{i}-{n}", position=n, submitted_at=T0,
                              legal_basis="crime_investigation", agency_kind="police",
                              outcome="granted", no_camera=0, superseded=0, cell_row=row,
                              cell_column=column) for n in range(requests)]
        if requests >= k:
            expected_listed.add(cell.id)
            if not has_camera:
                expected_blind.add(cell.id)
        elif requests:
            expected_suppressed += 1
    with broker.readmodel.writer.begin() as conn:
        for table in (analytics_requests, cameras, analytics_camera_use):
            conn.execute(delete(table))
        if camera_rows:
            conn.execute(insert(cameras), camera_rows)
        if request_rows:
            conn.execute(insert(analytics_requests), request_rows)
    query = CoverageQuery(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1),
                          cell_m=cell_m, min_count=k)
    with broker.readmodel.reader.connect() as conn:
        report = coverage_report(conn, query, T0)
    assert {cell["id"] for cell in report["cells"]} == expected_listed
    assert {cell["id"] for cell in report["cells"] if cell["blind_spot"]} == expected_blind
    assert report["suppressed_cells"] == expected_suppressed
    assert all(cell["requests"] >= k for cell in report["cells"])
    if camera_rows:
        assert all(spot["nearest_camera"] is not None for spot in report["blind_spots"]["top"])
