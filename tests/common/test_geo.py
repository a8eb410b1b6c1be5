"""The one-origin haversine gives the very bits of the two-point one: the index's filter and
the evaluator's scope use it, brute-force checks use the other, and they must agree."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from broker.common.geo import haversine_from, haversine_m

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(lat1=lats, lon1=lons, others=st.lists(st.tuples(lats, lons), min_size=1, max_size=20))
def test_fixed_origin_distances_are_bit_identical(lat1, lon1, others):
    distance_to = haversine_from(lat1, lon1)
    assert [distance_to(lat2, lon2) for lat2, lon2 in others] == [
        haversine_m(lat1, lon1, lat2, lon2) for lat2, lon2 in others]


def test_a_known_distance():
    # Daejeon City Hall to Seoul City Hall, about 140 km on a spherical Earth.
    assert 139_000 < haversine_from(36.3504, 127.3845)(37.5663, 126.9779) < 141_000
