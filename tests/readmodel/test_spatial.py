"""The spatial index answers exactly what a brute-force haversine scan answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.adapters.vault.kek import init_keyfile
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.common.geo import haversine_m
from broker.config import Settings
from broker.domain.camera import CameraSpec
from broker.readmodel.camera_view import cameras_near, sites_in_reach
from tests.conftest import SHELL

lats = st.floats(min_value=-80, max_value=80, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)


def near(lat: float, lon: float) -> st.SearchStrategy[tuple[float, float]]:
    """Points within a few km so that queries actually find something."""
    return st.tuples(
        st.floats(min_value=-0.05, max_value=0.05).map(lambda d: max(-80.0, min(80.0, lat + d))),
        st.floats(min_value=-0.05, max_value=0.05).map(
            lambda d: ((lon + d + 180.0) % 360.0) - 180.0),
    )


@st.composite
def scenario(draw):
    centre_lat, centre_lon = draw(lats), draw(lons)
    points = draw(st.lists(near(centre_lat, centre_lon), min_size=1, max_size=40))
    coverages = draw(st.lists(st.sampled_from([1.0, 50.0, 120.5, 2000.0]),
                              min_size=len(points), max_size=len(points)))
    query = draw(near(centre_lat, centre_lon))
    radius = draw(st.floats(min_value=1, max_value=5000))
    return points, coverages, query, radius


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=scenario())
def test_index_matches_brute_force(tmp_path_factory, data):
    points, coverages, (qlat, qlon), radius = data
    root: Path = tmp_path_factory.mktemp("spatial")
    init_keyfile(root / "keys")
    broker = build(Settings(data_dir=root / "var", keys_dir=root / "keys"),
                   FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
    try:
        specs = [
            CameraSpec(key=f"k{i}", name=f"c{i}", agency="a", purpose="p",
                       purpose_category="other", address="", lat=lat, lon=lon,
                       coverage_m=coverage, retention_days=30)
            for i, ((lat, lon), coverage) in enumerate(zip(points, coverages, strict=True))
        ]
        ids = [str(camera_id) for camera_id, _ in broker.cameras.upsert(SHELL, specs)]
        expected = sorted(
            (haversine_m(qlat, qlon, s.lat, s.lon), camera_id)
            for s, camera_id in zip(specs, ids, strict=True)
            if haversine_m(qlat, qlon, s.lat, s.lon) <= radius + s.coverage_m
        )
        with broker.readmodel.reader.connect() as conn:
            hits = cameras_near(conn, qlat, qlon, radius)
            sites = sites_in_reach(conn, qlat, qlon, radius)
        assert [(h.distance_m, h.row["id"]) for h in hits] == expected
        assert [(site.distance_m, site.camera_id) for site in sites] == expected
    finally:
        broker.close()
