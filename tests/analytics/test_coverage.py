"""Coverage analytics on a generated city with known blind spots, through the application."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from broker.config import Settings
from broker.domain.camera import camera_id_for
from broker.domain.roles import Role
from broker.errors import Forbidden, InvalidInput
from broker.readmodel import coverage
from broker.readmodel.coverage import suppressed_breakdown
from broker.readmodel.tables import analytics_requests
from tests.analytics.city import BLIND, SITES, build_city, camera_key, drone_id
from tests.conftest import SHELL, T0, actor

SITE = {site.name: site for site in SITES}
DAY = (T0 - timedelta(days=1), T0 + timedelta(days=1))


@pytest.fixture
def city(broker):
    broker.locations = build_city(broker)
    return broker


def test_the_blind_spots_are_exactly_the_requested_cells_no_fixed_camera_reaches(city):
    report = city.analytics.coverage(SHELL, *DAY)
    listed = {cell["id"]: cell for cell in report["cells"]}
    assert set(listed) == {SITE[name].cell() for name in ("city hall", "market", *BLIND)}
    assert {cell["id"] for cell in report["cells"] if cell["blind_spot"]} == {
        SITE[name].cell() for name in BLIND}
    top = report["blind_spots"]["top"]
    assert [spot["cell"] for spot in top] == [SITE["riverside"].cell(), SITE["north gate"].cell()]
    assert [spot["requests"] for spot in top] == [8, 5]
    nearest = top[0]["nearest_camera"]
    assert nearest["address"].startswith("대전광역시 서구 city hall")
    assert 1800 < nearest["distance_m"] < 2200
    assert report["blind_spots"] == {**report["blind_spots"], "count": 2, "requests": 13}
    # the drone station reaches the north gate, not the riverside
    assert top[1]["drone_reach"] == [drone_id()] and top[0]["drone_reach"] == []
    (drone,) = report["drone_stations"]
    assert drone | {"cells_in_reach": 1, "requests_in_reach": 5, "blind_spots_in_reach": 1} == drone
    # requests at blind spots beyond the drone found no camera; the counts say so (k = 5)
    assert listed[SITE["riverside"].cell()]["no_camera_in_reach"] == 8
    assert listed[SITE["city hall"].cell()]["no_camera_in_reach"] is None


def test_cells_under_the_minimum_count_are_suppressed(city):
    report = city.analytics.coverage(SHELL, *DAY)
    assert report["suppressed_cells"] == 1
    assert report["requests"] == {"total": 28, "in_listed_cells": 24, "in_suppressed_cells": 4,
                                  "without_cell": 0}
    south_park = SITE["south park"].cell()
    rendered = json.dumps(report) + json.dumps(coverage.to_geojson(report))
    rendered += coverage.to_csv(report).decode("utf-8-sig")
    assert south_park not in rendered
    # a higher k suppresses more; the market (5 requests) and the north gate go at k = 6
    strict = city.analytics.coverage(SHELL, *DAY, min_count=6)
    assert {cell["id"] for cell in strict["cells"]} == {SITE["city hall"].cell(),
                                                        SITE["riverside"].cell()}
    with pytest.raises(InvalidInput):
        city.analytics.coverage(SHELL, *DAY, min_count=4)


def test_coarser_cells_aggregate_the_fine_ones(city):
    fine = city.analytics.coverage(SHELL, *DAY)
    for cell_m in (500, 1000, 4000):
        coarse = city.analytics.coverage(SHELL, *DAY, cell_m=cell_m)
        assert coarse["requests"]["total"] == fine["requests"]["total"]
        assert all(cell["id"].startswith(f"{cell_m}m:") for cell in coarse["cells"])
        assert sum(c["requests"] for c in coarse["cells"]) + coarse["requests"][
            "in_suppressed_cells"] == 28
    # at 16 km the centre is one cell, which cameras reach: no blind spot is left; the south
    # park lies in the next band of latitude, alone with its 4 requests, and stays suppressed
    city_wide = city.analytics.coverage(SHELL, *DAY, cell_m=16000)
    assert [cell["requests"] for cell in city_wide["cells"]] == [24]
    assert city_wide["blind_spots"]["count"] == 0 and city_wide["suppressed_cells"] == 1
    with pytest.raises(InvalidInput):
        city.analytics.coverage(SHELL, *DAY, cell_m=300)


def test_filters_and_the_period(city):
    assert city.analytics.coverage(SHELL, *DAY, agency_kind="fire")["requests"]["total"] == 0
    police = city.analytics.coverage(SHELL, *DAY, legal_basis="crime_investigation",
                                     agency_kind="police")
    assert police["requests"]["total"] == 28
    assert city.analytics.coverage(SHELL, T0 + timedelta(seconds=1),
                                   T0 + timedelta(days=1))["requests"]["total"] == 0
    assert city.analytics.coverage(SHELL)["requests"]["total"] == 28  # the past year by default
    with pytest.raises(InvalidInput):
        city.analytics.coverage(SHELL, T0, T0)


def test_idle_cameras_are_those_no_decision_named_within_their_retention(city, clock):
    idle = city.analytics.coverage(SHELL, *DAY)["idle_cameras"]
    assert [item["id"] for item in idle["items"]] == [str(camera_id_for(camera_key(SITE["depot"], 0)))]
    clock.advance(timedelta(days=31))  # every camera keeps 30 days: now all are idle
    assert city.analytics.coverage(SHELL, *DAY)["idle_cameras"]["count"] == 7


def test_only_privacy_officers_and_operators_see_it(city):
    for role in (Role.PRIVACY_OFFICER, Role.OPERATOR):
        assert city.analytics.coverage(actor(role), *DAY)["cells"]
    for role in (Role.POLICE, Role.AUDITOR, Role.CITIZEN_PORTAL):
        with pytest.raises(Forbidden):
            city.analytics.coverage(actor(role), *DAY)


def test_erasing_personal_data_drops_the_cell_and_a_rebuild_cannot_bring_it_back(
        city, clock, tmp_path, keys_dir):
    clock.advance(timedelta(days=city.policy.record_retention_days + 1))
    assert city.sweeps.erase_personal_data() == 28
    report = city.analytics.coverage(SHELL, *DAY)
    assert report["cells"] == [] and report["requests"]["without_cell"] == 28
    with city.readmodel.reader.connect() as conn:
        assert {tuple(row) for row in conn.execute(
            select(analytics_requests.c.cell_row, analytics_requests.c.cell_column))} == {(None, None)}
    # a read model projected afresh from the same events and keystore learns no cell either
    from broker.bootstrap import build

    rebuilt = build(Settings(data_dir=tmp_path / "var", keys_dir=keys_dir,
                             readmodel_url=f"sqlite:///{tmp_path / 'rebuilt.db'}"), clock)
    try:
        if city.readmodel.dialect == "sqlite":
            again = rebuilt.analytics.coverage(SHELL, *DAY)
            assert again["cells"] == [] and again["requests"]["without_cell"] == 28
    finally:
        rebuilt.close()


def test_no_request_location_ever_leaves(city):
    """The report, its GeoJSON and CSV hold cell geometry and counts, never a coordinate that
    a request carried (requests are jittered around cell centres); the table has none."""
    report = city.analytics.coverage(SHELL, *DAY)
    rendered = (json.dumps(report) + json.dumps(coverage.to_geojson(report))
                + coverage.to_csv(report).decode("utf-8-sig"))
    for lat, lon in city.locations:
        for value in (lat, lon):
            assert repr(value) not in rendered and f"{value:.6f}" not in rendered
    with city.readmodel.reader.connect() as conn:
        rows = list(conn.execute(select(analytics_requests)).mappings())
    names = [column.name for column in analytics_requests.columns]
    assert rows and all(set(row) == set(names) for row in rows)
    assert not any("lat" in name or "lon" in name for name in names)


def test_a_lone_small_breakdown_entry_is_never_withheld_alone():
    assert suppressed_breakdown(Counter(police=9), 5) == ({"police": 9}, 0)
    assert suppressed_breakdown(Counter(police=6, fire=1), 5) == ({}, 7)
    assert suppressed_breakdown(Counter(police=9, fire=6, disaster=1), 5) == ({"police": 9}, 7)
    assert suppressed_breakdown(Counter(police=9, fire=1, disaster=1), 5) == ({"police": 9}, 2)


def test_the_transparency_report_tells_blind_spots_and_districts_only(city):
    report = city.oversight.transparency(T0.year)
    assert report["coverage"] == {
        "cell_m": 250, "min_count": 5, "blind_spots": 2, "requests_in_blind_spots": 13,
        # the north gate's nearest camera is the drone station, filed under the city itself
        "requests_by_district": [{"district": "서구", "requests": 23},
                                 {"district": "대전광역시", "requests": 5}],
        "requests_in_other_districts": 0, "requests_without_location": 0}
    assert report["requests"]["by_policy_pack"] == [
        {"key": "kr-pipa 1.2.0", "total": 28, "denied": 12, "granted": 16}]
    text = json.dumps(report, ensure_ascii=False)
    assert "250m:" not in text and "city hall" not in text


@pytest.mark.parametrize(("address", "agency", "district"), [
    ("대전광역시 서구 둔산로 100", "서구청", "서구"),
    ("서울특별시 강남구 테헤란로 1", "", "강남구"),
    ("경기도 수원시 팔달구 효원로 1", "", "팔달구"),
    ("경기도 수원시 효원로 1", "", "수원시"),
    ("세종특별자치시 한누리대로 2130", "", "세종특별자치시"),
    ("충청남도 예산군 삽교읍", "", "예산군"),
    ("12 High Street", "Camden Council", "Camden Council"),
    ("", "", "unknown"),
])
def test_districts_come_from_camera_addresses(address, agency, district):
    from broker.readmodel.public_coverage import district_of

    assert district_of(address, agency) == district


def test_a_seal_that_fails_authentication_gives_no_cell_and_stalls_nothing(broker):
    from broker.adapters.vault.errors import IntegrityError

    class Tampered:
        def open(self, *args, **kwargs):
            raise IntegrityError("sealed value failed authentication")

    analytics = next(p for p in broker.projector._projections
                     if type(p).__name__ == "AnalyticsView")
    analytics._personal_data = Tampered()  # what analytics opens, and nothing else
    build_city(broker)
    report = broker.analytics.coverage(SHELL, *DAY)
    assert report["requests"]["without_cell"] == 28 and report["cells"] == []
