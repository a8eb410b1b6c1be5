"""``GET /v1/analytics/coverage``: JSON, GeoJSON and CSV, for privacy officers and operators."""

from __future__ import annotations

from datetime import timedelta

from broker.domain.roles import Role
from tests.analytics.city import SITES, build_city
from tests.api.conftest import bearer
from tests.conftest import T0

PERIOD = {"from": (T0 - timedelta(days=1)).isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
BLIND = {site.cell() for site in SITES if site.name in ("riverside", "north gate")}


def test_coverage_as_json_geojson_and_csv(api, broker, keys):
    build_city(broker)
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    report = api.get("/v1/analytics/coverage", params=PERIOD, headers=officer)
    assert report.status_code == 200, report.text
    assert {c["id"] for c in report.json()["cells"] if c["blind_spot"]} == BLIND
    geojson = api.get("/v1/analytics/coverage", params={**PERIOD, "format": "geojson"},
                      headers=bearer(keys[Role.OPERATOR]))
    assert geojson.status_code == 200 and geojson.headers["content-type"] == "application/geo+json"
    collection = geojson.json()
    assert collection["type"] == "FeatureCollection"
    assert {f["id"] for f in collection["features"] if f["properties"]["blind_spot"]} == BLIND
    ring = collection["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    csv = api.get("/v1/analytics/coverage", params={**PERIOD, "format": "csv", "cell_m": 500},
                  headers=officer)
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("cell,centre_lat,centre_lon,requests,blind_spot")
    assert all(line.startswith("500m:") for line in lines[1:]) and len(lines) > 1


def test_coverage_refuses_other_roles_small_k_and_odd_cells(api, keys):
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    assert api.get("/v1/analytics/coverage", headers=bearer(keys[Role.POLICE])).status_code == 403
    assert api.get("/v1/analytics/coverage").status_code == 401
    assert api.get("/v1/analytics/coverage", params={"min_count": 2},
                   headers=officer).status_code == 422
    assert api.get("/v1/analytics/coverage", params={"cell_m": 300},
                   headers=officer).status_code == 422
    assert api.get("/v1/analytics/coverage", params={"from": PERIOD["to"], "to": PERIOD["from"]},
                   headers=officer).status_code == 422


def test_replay_a_draft_over_http(api, broker, keys):
    from tests.analytics.history import ACTIVE_TOML

    build_city(broker)
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    body = {"pack": ACTIVE_TOML, "window": {"start": PERIOD["from"], "end": PERIOD["to"]},
            "examples": 3}
    answer = api.post("/v1/policy/replay", json=body, headers=officer)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["requests"] == report["replayed"] == report["unchanged"] == 28
    assert report["reproduced"]["cameras"] == 28 and report["changes"] == []
    # a pack that only admits fire-brigade requests: every police grant becomes a denial
    draft = ACTIVE_TOML.replace('roles = ["police"]\n', 'roles = ["fire"]\n', 1)
    changed = api.post("/v1/policy/replay", json={**body, "pack": draft}, headers=officer).json()
    (change,) = changed["changes"]
    assert (change["change"], change["count"], change["by_reason"], len(change["examples"])) == (
        "granted→denied", 16, {"role_allowed": 16}, 3)
    assert changed["reasons_changed"] == 12  # the denials stay denials, for one reason more
    assert api.post("/v1/policy/replay", json={**body, "pack": "id = 1"},
                    headers=officer).status_code == 422
    assert api.post("/v1/policy/replay", json=body,
                    headers=bearer(keys[Role.OPERATOR])).status_code == 403
