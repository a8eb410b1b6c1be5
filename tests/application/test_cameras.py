"""Importing real registers through the application: counts, re-imports, the next release."""

from __future__ import annotations

import json
import sqlite3
from uuid import UUID

import pytest

from broker.bootstrap import build
from broker.domain.camera import Camera, camera_id_for
from broker.domain.roles import Role
from broker.errors import InvalidInput, NotFound
from broker.readmodel import camera_view
from tests.conftest import SHELL, actor
from tests.support.cctv_files import next_release, register

SITE = "서구청,둔산로 100,생활방범"
HEADER = "관리기관명,소재지도로명주소,설치목적구분,카메라대수,보관일수,설치연월,위도,경도,데이터기준일자"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return "\r\n".join([header, *rows]).encode("cp949")


def _row(broker, key: str):
    with broker.readmodel.reader.connect() as conn:
        return camera_view.get_camera_row(conn, str(camera_id_for(key)))


@pytest.fixture
def sample():
    return register(600, seed=3)


def test_a_real_register_imports_every_usable_row(broker, sample) -> None:
    report = broker.cameras.import_csv(SHELL, sample.encoded("cp949"))
    assert report.layout == "korea_standard" and report.encoding == "cp949"
    assert report.rows == len(sample.sites)
    assert len(report.errors) == sample.rejected
    assert report.rows_with_warnings == sample.with_warnings
    assert report.rows_imported == len(sample.usable) - sample.with_warnings
    assert (report.created, report.updated, report.unchanged) == (sample.camera_count, 0, 0)
    assert report.moved == [] and report.not_in_file == []
    body = report.as_dict()
    assert body["row_counts"] == {"imported": report.rows_imported,
                                  "with_warnings": sample.with_warnings, "rejected": sample.rejected}
    with broker.readmodel.reader.connect() as conn:
        rows = camera_view.list_cameras(conn, limit=100_000)
    assert len(rows) == sample.camera_count
    assert {row["data_date"] for row in rows} == {sample.data_date}
    assert all(row["retention_days"] == broker.policy.default_retention_days or row["retention_days"] == 30
               for row in rows)


def test_reimporting_the_same_file_records_nothing(broker, sample) -> None:
    data = sample.encoded("utf-8")
    broker.cameras.import_csv(SHELL, data)
    before = broker.app.recorder.max_notification_id()
    report = broker.cameras.import_csv(SHELL, sample.encoded("cp949"))
    assert (report.created, report.updated, report.unchanged) == (0, 0, sample.camera_count)
    assert broker.app.recorder.max_notification_id() == before


@pytest.mark.parametrize("layout", ["standard", "localdata"])
def test_the_next_release_updates_the_same_cameras(broker, sample, layout) -> None:
    broker.cameras.import_csv(SHELL, sample.encoded("cp949", layout))
    following, changes = next_release(sample)
    report = broker.cameras.import_csv(SHELL, following.encoded("utf-8-sig", layout))
    assert report.created == 0
    assert report.updated == changes["moved"] + changes["retention_changed"]
    assert report.unchanged == sample.camera_count - changes["removed_cameras"] - report.updated
    assert len(report.moved) == changes["moved"]
    assert all(1.0 < move.distance_m < 2.0 for move in report.moved)
    assert len(report.not_in_file) == changes["removed_cameras"]
    with broker.readmodel.reader.connect() as conn:
        rows = camera_view.list_cameras(conn, limit=100_000)
    in_file = {row["id"] for row in rows} - {camera_id for camera_id, _, _ in report.not_in_file}
    assert {row["data_date"] for row in rows if row["id"] in in_file} == {following.data_date}
    # The release's date came with one import record, not one change per camera.
    imports = [e for e in broker.app.recorder.select_notifications(start=1, limit=10**6)
               if e.topic == "footage-broker:CameraImport.Recorded"]
    assert len(imports) == 2


def test_a_metre_across_a_cell_edge_is_the_same_camera_moved(broker) -> None:
    # 36.355474 sits just below a grid edge (cells are 0.00005 degrees); 36.355476 just above.
    broker.cameras.import_csv(SHELL, _csv(f"{SITE},1,30,2016-03,36.3554740,127.3837,2024-06-30"))
    report = broker.cameras.import_csv(
        SHELL, _csv(f"{SITE},1,30,2016-03,36.3554760,127.3837,2024-06-30"))
    assert (report.created, report.updated) == (0, 1)
    assert [round(m.distance_m, 2) for m in report.moved] == [0.22]
    assert report.not_in_file == []


def test_a_site_moved_further_without_a_management_number_is_a_new_camera(broker) -> None:
    broker.cameras.import_csv(SHELL, _csv(f"{SITE},2,30,2016-03,36.355,127.3837,2024-06-30"))
    report = broker.cameras.import_csv(
        SHELL, _csv(f"{SITE},2,30,2016-03,36.3553,127.3837,2024-06-30"))  # 33 m north
    assert (report.created, report.updated, len(report.not_in_file)) == (2, 0, 2)


def test_a_management_number_follows_its_camera_anywhere(broker) -> None:
    header = ("관리번호,관리기관명,소재지도로명주소,설치목적구분,카메라대수,위도,경도,"
              "카메라화소수,관리기관전화번호")
    before = "M-7,서구청,둔산로 100,생활방범,1,36.355,127.3837,200,042-1"
    after = "M-7,서구청,둔산로 120,어린이보호,1,36.3553,127.3837,400,042-2"
    broker.cameras.import_csv(SHELL, _csv(before, header=header))
    report = broker.cameras.import_csv(SHELL, _csv(after, header=header))
    assert (report.created, report.updated) == (0, 1)
    assert [round(m.distance_m) for m in report.moved] == [33]
    row = _row(broker, "mn-M-7#1")
    assert (row["address"], row["purpose_category"], row["pixels"], row["phone"]) == (
        "둔산로 120", "child_protection", 400, "042-2")


def test_an_english_key_is_the_camera_key(broker) -> None:
    from broker.domain.camera import CameraSpec

    broker.cameras.register(SHELL, CameraSpec(
        key="seo-1", name="gate", agency="Seo-gu Office", purpose="crime", purpose_category="other",
        address="", lat=36.35, lon=127.38, coverage_m=50.0, retention_days=30))
    report = broker.cameras.import_csv(SHELL, b"key,agency,lat,lon,retention_days,phone\n"
                                              b"seo-1,Seo-gu Office,36.35,127.38,14,042-1\n")
    assert (report.created, report.updated) == (0, 1)
    assert (_row(broker, "seo-1")["retention_days"], _row(broker, "seo-1")["phone"]) == (14, "042-1")


def test_cameras_are_found_by_key_id_or_management_number(broker) -> None:
    header = "관리번호,관리기관명,소재지도로명주소,카메라대수,위도,경도"
    broker.cameras.import_csv(SHELL, _csv("M-1,서구청,둔산로 1,1,36.355,127.3837",
                                          "M-2,서구청,둔산로 2,2,36.356,127.3837", header=header))
    one = camera_id_for("mn-M-1#1")
    assert broker.cameras.resolve(SHELL, "mn-M-1#1") == one
    assert broker.cameras.resolve(SHELL, str(one)) == one
    assert broker.cameras.resolve(SHELL, "M-1") == one
    with pytest.raises(InvalidInput, match="names 2 cameras"):
        broker.cameras.resolve(SHELL, "M-2")
    with pytest.raises(NotFound, match="broker cameras find"):
        broker.cameras.resolve(SHELL, "nope")
    near = broker.cameras.find(SHELL, near=(36.356, 127.3837), radius_m=20)
    assert [c["key"] for c in near] == ["mn-M-2#1", "mn-M-2#2"]
    assert [c["key"] for c in broker.cameras.find(SHELL, text="둔산로 1")] == ["mn-M-1#1"]
    with pytest.raises(InvalidInput):
        broker.cameras.find(SHELL, near=(99.0, 127.0))


def test_operators_only(broker) -> None:
    from broker.errors import Forbidden

    with pytest.raises(Forbidden):
        broker.cameras.find(actor(Role.POLICE))


def test_events_stored_before_the_register_columns_still_load(tmp_path, keys_dir, clock) -> None:
    from broker.config import Settings

    settings = Settings(data_dir=tmp_path / "old", keys_dir=keys_dir)
    broker = build(settings, clock)
    broker.cameras.import_csv(SHELL, _csv(f"{SITE},1,30,2016-03,36.355,127.3837,2024-06-30"))
    broker.close()
    # Rewrite the stored event as it was before issue #15: without the register columns.
    db = sqlite3.connect(settings.events_db_path)
    topic, state = db.execute("SELECT topic, state FROM stored_events WHERE originator_version = 1 "
                              "AND topic LIKE '%Camera.Registered'").fetchone()
    old = {k: v for k, v in json.loads(state).items()
           if k not in ("management_number", "agency_code", "lot_address", "pixels", "direction",
                        "phone", "data_date")}
    db.execute("UPDATE stored_events SET state = ? WHERE topic = ?", (json.dumps(old).encode(), topic))
    db.commit()
    db.close()
    settings.readmodel_db_path.unlink()
    broker = build(settings, clock)  # the read model is rebuilt from the events
    try:
        camera_id = next(iter(broker.cameras.find(SHELL)))["id"]
        camera = broker.app.load(UUID(camera_id), Camera, "camera")
        assert (camera.pixels, camera.phone, camera.management_number) == (None, "", None)
        assert _row(broker, camera.key)["lot_address"] == ""
    finally:
        broker.close()
