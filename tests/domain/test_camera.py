from __future__ import annotations

from datetime import UTC, datetime

import pytest

from broker.domain.camera import Camera, CameraSpec, camera_id_for
from broker.domain.errors import DomainConflict, DomainInvalid

AT = datetime(2026, 1, 1, tzinfo=UTC)


def register(**overrides) -> Camera:
    values = dict(key="site#1", name="cam", agency="서구청", purpose="생활방범",
                  purpose_category="crime_prevention", address="둔산동", lat=36.35, lon=127.38,
                  coverage_m=50.0, retention_days=30, installed=None)
    values.update(overrides)
    return Camera.register(CameraSpec(**values), at=AT)


def test_id_is_derived_from_the_key():
    assert register().id == camera_id_for("site#1") == register().id


def test_events_have_stable_explicit_topics():
    camera = register()
    camera.relocate(36.36, 127.39, 60.0, AT)
    camera.change_retention(14, AT)
    camera.decommission("removed", AT)
    topics = [type(e).TOPIC for e in camera.collect_events()]
    assert topics == [
        "footage-broker:Camera.Registered",
        "footage-broker:Camera.Relocated",
        "footage-broker:Camera.RetentionChanged",
        "footage-broker:Camera.Decommissioned",
    ]


def test_no_op_changes_record_nothing():
    camera = register()
    camera.collect_events()
    camera.relocate(36.35, 127.38, 50.0, AT)
    camera.change_retention(30, AT)
    assert camera.collect_events() == []


@pytest.mark.parametrize(
    "overrides",
    [{"lat": 90.5}, {"lon": -181}, {"lat": float("nan")}, {"coverage_m": 0},
     {"coverage_m": 10_000}, {"retention_days": 0}, {"key": " "}, {"agency": ""}],
)
def test_invalid_cameras_are_refused(overrides):
    with pytest.raises(DomainInvalid):
        register(**overrides)


def test_decommissioned_camera_cannot_change():
    camera = register()
    camera.decommission("removed", AT)
    with pytest.raises(DomainConflict):
        camera.relocate(1, 1, 50, AT)
    with pytest.raises(DomainConflict):
        camera.change_retention(10, AT)
    with pytest.raises(DomainConflict):
        camera.decommission("again", AT)


def test_details_change_only_what_differs():
    camera = register(pixels=200, phone="042-1")
    camera.collect_events()
    camera.change_details({"pixels": 200, "phone": "042-2", "direction": "정문"}, AT)
    (changed,) = camera.collect_events()
    assert type(changed).TOPIC == "footage-broker:Camera.DetailsChanged"
    assert changed.changes == {"phone": "042-2", "direction": "정문"}
    assert (camera.phone, camera.direction, camera.pixels) == ("042-2", "정문", 200)
    camera.change_details({"phone": "042-2"}, AT)
    assert camera.collect_events() == []


@pytest.mark.parametrize("details", [{"installed": "2017"}, {"installed": "2017-13"},
                                     {"data_date": "2024-02-30"}, {"pixels": 0}, {"colour": "red"}])
def test_malformed_details_are_refused(details):
    with pytest.raises(DomainInvalid):
        register().change_details(details, AT)


def test_register_columns_are_checked_at_registration():
    with pytest.raises(DomainInvalid):
        register(data_date="30/06/2024")
    assert register(data_date="2024-06-30", management_number="M-1").data_date == "2024-06-30"
