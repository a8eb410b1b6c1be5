"""The evaluator's fast paths give the very bits of the plain ones: digests are stamped on
recorded decisions, and a replay compares them years later."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from broker.common.geo import haversine_from, haversine_m
from broker.policy import CameraSite, sha256_digest
from broker.policy.evaluate import _cameras_digest

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
sites = st.builds(CameraSite, camera_id=st.text(min_size=1, max_size=40), lat=lats, lon=lons,
                  coverage_m=st.one_of(st.floats(min_value=0, max_value=5000), st.integers(0, 5000)),
                  status=st.sampled_from(["active", "decommissioned"]))


@given(st.lists(sites, max_size=30))
def test_the_camera_digest_is_the_canonical_json_digest(cameras):
    rows = sorted((c.camera_id, c.lat, c.lon, c.coverage_m, c.status) for c in cameras)
    assert _cameras_digest(cameras) == sha256_digest(
        [{"camera_id": c, "lat": lat, "lon": lon, "coverage_m": cov, "status": s}
         for c, lat, lon, cov, s in rows])


@given(lats, lons, lats, lons)
def test_haversine_from_a_point_is_haversine_to_the_bit(lat1, lon1, lat2, lon2):
    assert haversine_from(lat1, lon1)(lat2, lon2) == haversine_m(lat1, lon1, lat2, lon2)
