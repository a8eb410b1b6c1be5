"""The console shows and reads times in the city's zone; the record keeps UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from broker.entrypoints.web import zones
from broker.errors import InvalidInput

SEOUL = ZoneInfo("Asia/Seoul")


def test_a_korean_pack_shows_seoul_time_and_reads_what_a_person_types_as_seoul_time():
    assert zones.zone_for("", "KR") == SEOUL and zones.zone_for("", "EU") == ZoneInfo("UTC")
    assert zones.zone_for("Europe/Berlin", "KR") == ZoneInfo("Europe/Berlin")
    token = zones.current.set(SEOUL)
    try:
        assert zones.shown("2026-11-20T15:30:00Z") == "2026-11-21 00:30 KST"
        assert zones.for_input(datetime(2026, 11, 20, 15, 30, tzinfo=UTC)) == "2026-11-21T00:30"
        assert zones.shown("not a time") == "not a time"
    finally:
        zones.current.reset(token)
    assert zones.read("2026-11-21T00:30", SEOUL) == datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    assert zones.read("2026-11-21T00:30:00+00:00", SEOUL) == datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
    assert zones.read("", SEOUL) is None
    with pytest.raises(InvalidInput):
        zones.read("tomorrow", SEOUL)


def test_a_zone_that_does_not_exist_stops_the_start_not_every_page():
    with pytest.raises(ValueError, match="not a time zone"):
        zones.zone_for("Mars/Olympus", "KR")


def test_the_portal_says_its_zone(web):
    page = web.get("/portal/").text
    assert "(KST)" in page and "(UTC)" not in page
