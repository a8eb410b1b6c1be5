from __future__ import annotations

from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.test_auth import assert_problem
from tests.conftest import SHELL

CITY_HALL = {"lat": 36.3504, "lon": 127.3845}


def camera_body(**overrides):
    body = {"name": "둔산동 방범 1", "agency": "대전광역시 서구청", "location": CITY_HALL}
    body.update(overrides)
    return body


def test_operator_registers_and_anyone_authenticated_finds_it(api, keys):
    operator = bearer(keys[Role.OPERATOR])
    created = api.post("/v1/cameras", json=camera_body(key="seo-1"), headers=operator)
    assert created.status_code == 201, created.text
    camera = created.json()
    assert camera["location"] == CITY_HALL
    assert camera["retention_days"] == 30 and camera["status"] == "active"
    assert camera["registered_at"].endswith("Z")

    found = api.get(
        "/v1/cameras", params={"lat": 36.35, "lon": 127.3845, "radius_m": 100},
        headers=bearer(keys[Role.FIRE]),
    ).json()
    assert [item["id"] for item in found["items"]] == [camera["id"]]
    assert 40 < found["items"][0]["distance_m"] < 50
    assert found["next_cursor"] is None
    assert api.get(f"/v1/cameras/{camera['id']}", headers=operator).json()["id"] == camera["id"]


def test_same_key_twice_is_a_conflict(api, keys):
    operator = bearer(keys[Role.OPERATOR])
    assert api.post("/v1/cameras", json=camera_body(key="k"), headers=operator).status_code == 201
    assert_problem(api.post("/v1/cameras", json=camera_body(key="k"), headers=operator), 409)


def test_invalid_bodies_are_422_problems_naming_the_field(api, keys):
    operator = bearer(keys[Role.OPERATOR])
    cases = [
        camera_body(location={"lat": 91, "lon": 127}),
        camera_body(coverage_m=0),
        camera_body(retention_days=0),
        camera_body(unexpected="field"),
        camera_body(installed="June 2017"),
        {"name": "no location", "agency": "x"},
    ]
    for body in cases:
        problem = assert_problem(api.post("/v1/cameras", json=body, headers=operator), 422)
        assert problem["errors"]


def test_search_parameters_are_validated(api, keys):
    police = bearer(keys[Role.POLICE])
    for params in ({"lat": 36.35, "lon": 127.38}, {"lat": 99, "lon": 127.38, "radius_m": 10},
                   {"lat": 36.35, "lon": 127.38, "radius_m": 0},
                   {"lat": 36.35, "lon": 127.38, "radius_m": 10, "cursor": "%%%"}):
        assert_problem(api.get("/v1/cameras", params=params, headers=police), 422)


def test_unknown_camera_is_404(api, keys):
    response = api.get("/v1/cameras/00000000-0000-0000-0000-000000000000",
                       headers=bearer(keys[Role.POLICE]))
    assert_problem(response, 404)


def test_search_is_nearest_first_and_pages_with_a_cursor(api, keys):
    operator = bearer(keys[Role.OPERATOR])
    for i in range(7):
        location = {"lat": 36.35 + i * 0.0002, "lon": 127.38}
        body = camera_body(key=f"c{i}", name=f"cam {i}", location=location)
        assert api.post("/v1/cameras", json=body, headers=operator).status_code == 201
    seen: list[str] = []
    distances: list[float] = []
    cursor = None
    while True:
        params = {"lat": 36.35, "lon": 127.38, "radius_m": 500, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/v1/cameras", params=params, headers=operator).json()
        seen += [item["name"] for item in page["items"]]
        distances += [item["distance_m"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"cam {i}" for i in range(7)]
    assert distances == sorted(distances)


def test_decommissioned_cameras_leave_the_search(api, broker, keys):
    operator = bearer(keys[Role.OPERATOR])
    camera = api.post("/v1/cameras", json=camera_body(key="gone"), headers=operator).json()
    from uuid import UUID

    broker.cameras.decommission(SHELL, UUID(camera["id"]), "removed from pole")
    found = api.get("/v1/cameras", params={**CITY_HALL, "radius_m": 100}, headers=operator)
    assert found.json()["items"] == []
    assert api.get(f"/v1/cameras/{camera['id']}", headers=operator).json()["status"] == (
        "decommissioned"
    )


def test_import_reports_rows_warnings_and_moves(api, keys):
    operator = bearer(keys[Role.OPERATOR])
    header = ("관리번호,관리기관명,소재지도로명주소,카메라대수,보관일수,설치연월,위도,경도,"
              "카메라화소수,데이터기준일자\r\n")
    first = header + ("M-1,서구청,둔산로 1,2,0,2017-  ,36.355,127.3837,200,2024-06-30\r\n"
                      "M-2,서구청,둔산로 2,1,30,2016-03,,,200,2024-06-30\r\n")
    response = api.post("/v1/cameras/import", content=first.encode("cp949"),
                        headers={**operator, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["layout"] == "korea_localdata"
    assert report["row_counts"] == {"imported": 0, "with_warnings": 1, "rejected": 1}
    assert report["cameras"] == {"created": 2, "updated": 0, "unchanged": 0, "moved": 0}
    assert [w["line"] for w in report["warnings"]] == [2, 2]
    assert report["errors"] == [{"line": 3, "reason": "위도 (lat) is empty; 경도 (lon) is empty"}]
    moved = first.replace("36.355,127.3837", "36.3551,127.3837")
    report = api.post("/v1/cameras/import", content=moved.encode("utf-8"),
                      headers={**operator, "Content-Type": "text/csv"}).json()
    assert report["cameras"]["moved"] == 2
    assert {m["key"] for m in report["moved"]} == {"mn-M-1#1", "mn-M-1#2"}
    camera_id = report["moved"][0]["camera_id"]
    camera = api.get(f"/v1/cameras/{camera_id}", headers=operator).json()
    assert (camera["management_number"], camera["pixels"], camera["data_date"]) == ("M-1", 200, "2024-06-30")
    assert camera["retention_days"] == 30 and camera["installed"] is None


def test_register_takes_the_register_columns(api, keys):
    operator = bearer(keys[Role.OPERATOR])
    body = camera_body(key="r-1", management_number="M-9", pixels=400, phone="042-000",
                       direction="정문", lot_address="둔산동 1", data_date="2024-06-30",
                       agency_code="3000000")
    camera = api.post("/v1/cameras", json=body, headers=operator).json()
    assert (camera["management_number"], camera["pixels"], camera["direction"], camera["data_date"]) == (
        "M-9", 400, "정문", "2024-06-30")
