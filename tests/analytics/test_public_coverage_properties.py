"""Properties of what analytics publishes: no count under k is told or recoverable, for a cell,
a breakdown inside a cell, a district or a set of districts; the public report names no cell,
no camera and no coordinate, and its blind spots are the officer's report's."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from broker.common.geo import haversine_m
from broker.common.grid import Cell, fine_cell
from broker.readmodel.coverage import (
    CoverageQuery,
    coverage_report,
    no_camera_in_reach,
    suppressed_breakdown,
)
from broker.readmodel.public_coverage import pooled, public_coverage
from broker.readmodel.tables import analytics_camera_use, analytics_requests, cameras
from tests.analytics.city import offset
from tests.conftest import T0

K = st.integers(min_value=5, max_value=8)
COUNTS = st.dictionaries(st.sampled_from(["police", "fire", "disaster", "court", "citizen"]),
                         st.integers(min_value=1, max_value=20)).map(Counter)
DISTRICTS = ("서구", "유성구", "중구", "대덕구", "동구")


@pytest.fixture
def store() -> str:
    return "sqlite"  # the SQL is covered on both stores by test_coverage.py


@given(counts=COUNTS, k=K)
def test_a_breakdown_shows_no_entry_under_k_and_never_withholds_one_alone(counts, k):
    shown, withheld = suppressed_breakdown(counts, k)
    assert all(n >= k and counts[key] == n for key, n in shown.items())
    assert sum(shown.values()) + withheld == sum(counts.values())
    hidden = [key for key in counts if key not in shown]
    assert len(hidden) != 1 or not shown  # one hidden entry would be the total less the rest


@given(total=st.integers(min_value=0, max_value=40), data=st.data(), k=K)
def test_requests_without_a_camera_are_told_only_when_neither_side_is_under_k(total, data, k):
    no_camera = data.draw(st.integers(min_value=0, max_value=total))
    told = no_camera_in_reach(total, no_camera, k)
    if told is not None:
        assert told == no_camera >= k
        assert total - told == 0 or total - told >= k
    elif no_camera >= k and (total - no_camera == 0 or total - no_camera >= k):
        pytest.fail("a count that reveals nothing was withheld")


@given(counts=COUNTS, k=K)
def test_a_pool_of_districts_is_never_a_count_under_k(counts, k):
    listed, pool = pooled(counts, k)
    assert all(n >= k and counts[key] == n for key, n in listed.items())
    assert sum(listed.values()) + pool == sum(counts.values())
    assert pool == 0 or pool >= k or not listed
    # only the smallest districts of at least k are ever pooled with the small ones
    joined = [n for key, n in counts.items() if n >= k and key not in listed]
    assert not joined or not listed or max(joined) <= min(listed.values())


# the public report on any layout --------------------------------------------------------------

sites = st.lists(st.tuples(st.integers(0, 12),                       # requests at the site
                           st.booleans(),                            # a fixed camera there
                           st.sampled_from(range(len(DISTRICTS)))),  # the camera's district
                 min_size=1, max_size=12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=sites, erased=st.integers(0, 3))
def test_the_public_report_tells_no_count_under_k_and_no_place(broker, layout, erased):
    camera_rows, request_rows, centres = [], [], {}
    for i, (requests, has_camera, district) in enumerate(layout):
        cell = Cell.containing(*offset(0, i * 5 * 250), 250)  # no 50 m reaches a neighbour
        lat, lon = cell.centre
        centres[cell] = requests
        if has_camera:
            camera_rows.append(dict(
                id=f"cam-{i:02}", key=f"k{i}", name=f"camera {i}", agency="구청", purpose="p",
                purpose_category="crime_prevention",
                address=f"대전광역시 {DISTRICTS[district]} site-{i}", lat=lat, lon=lon,
                coverage_m=50.0, retention_days=30, installed=None, status="active",
                registered_at=T0, updated_at=T0, min_lat=lat, max_lat=lat, min_lon=lon,
                max_lon=lon))
        row, column = fine_cell(lat, lon)
        request_rows += [dict(request_id=f"r-{i}-{n}", position=n, submitted_at=T0,
                              legal_basis="crime_investigation", agency_kind="police",
                              outcome="granted", no_camera=0, superseded=0, cell_row=row,
                              cell_column=column) for n in range(requests)]
    request_rows += [dict(request_id=f"erased-{n}", position=n, submitted_at=T0,
                          legal_basis="crime_investigation", agency_kind="police",
                          outcome="granted", no_camera=0, superseded=0, cell_row=None,
                          cell_column=None) for n in range(erased)]
    with broker.readmodel.writer.begin() as conn:
        for table in (analytics_requests, cameras, analytics_camera_use):
            conn.execute(delete(table))
        if camera_rows:
            conn.execute(insert(cameras), camera_rows)
        if request_rows:
            conn.execute(insert(analytics_requests), request_rows)
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=1)
    with broker.readmodel.reader.connect() as conn:
        public = public_coverage(conn, start, end)
        full = coverage_report(conn, CoverageQuery(start=start, end=end), T0)
    k = public["min_count"]

    # requests by district: each located request in its nearest camera's district, exactly
    truth: Counter[str] = Counter()
    for cell, requests in centres.items():
        if requests:
            nearest = min(camera_rows, default=None, key=lambda c: (
                haversine_m(*cell.centre, c["lat"], c["lon"]), c["id"]))
            truth[nearest["address"].split()[1] if nearest else "unknown"] += requests
    listed = {item["district"]: item["requests"] for item in public["requests_by_district"]}
    pool = public["requests_in_other_districts"]
    assert all(truth[name] == n >= k for name, n in listed.items())
    assert sum(listed.values()) + pool == sum(truth.values())
    assert pool == 0 or pool >= k or not listed
    assert public["requests_without_location"] == erased

    # blind spots: the officer's report's, as a count and a sum of cells of at least k
    assert public["blind_spots"] == full["blind_spots"]["count"]
    assert public["requests_in_blind_spots"] == full["blind_spots"]["requests"]
    assert public["requests_in_blind_spots"] == 0 or public["requests_in_blind_spots"] >= k

    # nothing finer than a district: no cell, camera, address or coordinate
    text = json.dumps(public, ensure_ascii=False)
    assert "m:" not in text and "site-" not in text and "cam-" not in text
    for cell in centres:
        for value in cell.centre:
            assert repr(value) not in text and f"{value:.4f}" not in text
