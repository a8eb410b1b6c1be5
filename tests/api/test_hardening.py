"""Attacks that once got through, each reproduced: hostile input, loose access, sloppy HTTP."""

from __future__ import annotations

import base64
import stat
from datetime import timedelta, timezone
from uuid import UUID

import pytest

from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, crime_request
from tests.api.test_auth import assert_problem
from tests.api.test_citizens import citizen_body
from tests.api.test_grants import content_url, scene  # noqa: F401 - the fixture
from tests.conftest import T0
from tests.support.videos import tiny_video

OVERFLOWING = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
"""Valid RFC 3339, but outside what a datetime holds once converted to UTC."""


# no server errors on any input ------------------------------------------------------------------

@pytest.mark.parametrize("moment", [*OVERFLOWING, "1900-01-01T00:00:00Z"])
def test_times_that_overflow_or_lie_far_outside_are_422(api, broker, keys, moment):
    add_cameras(broker, count=1)
    police, officer = bearer(keys[Role.POLICE]), bearer(keys[Role.PRIVACY_OFFICER])
    portal, operator = bearer(keys[Role.CITIZEN_PORTAL]), bearer(keys[Role.OPERATOR])
    assert_problem(api.post("/v1/requests", headers=police, json=crime_request(
        window={"start": moment, "end": (T0 - timedelta(hours=1)).isoformat()})), 422)
    incident = {**crime_request()["incident"], "occurred_at": moment}
    assert_problem(api.post("/v1/requests", headers=police,
                            json=crime_request(incident=incident)), 422)
    assert_problem(api.post("/v1/citizen-requests", headers=portal,
                            json=citizen_body(occurred_at=moment)), 422)
    assert_problem(api.get("/v1/audit/events", headers=officer, params={"from": moment}), 422)
    assert_problem(api.get("/v1/audit/ledger", headers=officer, params={"to": moment}), 422)
    assert_problem(api.post("/v1/clips", headers=operator, content=b"x", params={
        "camera_id": str(UUID(int=1)), "start": moment, "end": T0.isoformat()}), 422)


def test_malformed_cursors_are_422(api, keys):
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    huge = base64.urlsafe_b64encode(f"2026-11-20T09:00:00+00:00|{10**30}".encode()).decode()
    assert_problem(api.get("/v1/audit/events", headers=officer, params={"cursor": huge}), 422)
    nan = base64.urlsafe_b64encode(b"nan|x").decode()
    assert_problem(api.get("/v1/cameras", headers=bearer(keys[Role.POLICE]), params={
        "lat": 36.35, "lon": 127.38, "radius_m": 100, "cursor": nan}), 422)


def test_json_bodies_are_limited_before_parsing_and_before_authentication(api):
    big = b"[" + b"0," * (1 << 20) + b"0]"  # 2 MiB of JSON
    refused = api.post("/v1/requests", content=big, headers={"Content-Type": "application/json"})
    assert_problem(refused, 413)  # not 401: nothing was parsed or looked up

    def chunked():  # no Content-Length: counted as it arrives
        yield b"["
        for _ in range(4096):
            yield b"0," * 256
        yield b"0]"

    assert_problem(api.post("/v1/requests", content=chunked(),
                            headers={"Content-Type": "application/json"}), 413)


# access rules as documented ---------------------------------------------------------------------

@pytest.mark.parametrize("text", ["cam\x00era", "cam\x1b[2Jera", "\x7f"])
def test_text_with_control_characters_is_422_on_every_store(api, keys, text):
    """Found by the fuzzer on PostgreSQL: a NUL in a camera's name was a 500 (no text column
    there holds NUL). Refused at the edge, with the field named, whatever the store."""
    body = {"name": text, "agency": "서구청", "location": {"lat": 36.35, "lon": 127.38}}
    refused = api.post("/v1/cameras", json=body, headers=bearer(keys[Role.OPERATOR]))
    assert_problem(refused, 422)
    assert "name" in refused.text and "control characters" in refused.text


def test_a_nul_in_the_query_is_400_before_any_route(api, keys):
    refused = api.get("/v1/cameras?lat=36.35&lon=127.38&radius_m=100&cursor=a%00b",
                      headers=bearer(keys[Role.POLICE]))
    assert_problem(refused, 400)
    assert api.get("/v1/cameras", params={"lat": 36.35, "lon": 127.38, "radius_m": 100},
                   headers=bearer(keys[Role.POLICE])).status_code == 200


def test_the_portal_key_alone_cannot_read_a_citizen_request(api, broker, keys):
    add_cameras(broker, count=1)
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    filed = api.post("/v1/citizen-requests", json=citizen_body(), headers=portal).json()
    refused = api.get(f"/v1/requests/{filed['id']}", headers=portal)
    assert_problem(refused, 403)
    assert "김민준" not in refused.text and "010-1234-5678" not in refused.text
    oversight = api.get(f"/v1/requests/{filed['id']}", headers=bearer(keys[Role.PRIVACY_OFFICER]))
    assert oversight.json()["citizen"]["requester_name"] == "김민준"


def test_reusing_an_idempotency_key_for_other_footage_is_a_conflict(api, broker, keys):
    camera = add_cameras(broker, count=1)[0]
    headers = {**bearer(keys[Role.OPERATOR]), "Idempotency-Key": "vms-seg-1"}
    params = {"camera_id": camera, "start": (T0 - timedelta(minutes=2)).isoformat(),
              "end": (T0 - timedelta(minutes=1)).isoformat()}
    first = api.post("/v1/clips", params=params, content=tiny_video(1), headers=headers)
    assert first.status_code == 201
    assert api.post("/v1/clips", params=params, content=tiny_video(1),
                    headers=headers).status_code == 200
    assert_problem(api.post("/v1/clips", params=params, content=tiny_video(2),
                            headers=headers), 409)
    later = {**params, "start": (T0 - timedelta(minutes=3)).isoformat()}
    assert_problem(api.post("/v1/clips", params=later, content=tiny_video(1), headers=headers), 409)


def test_files_of_the_embedded_stores_are_private(api, broker, keys):
    add_cameras(broker, count=1)
    api.post("/v1/requests", json=crime_request(), headers=bearer(keys[Role.POLICE]))
    data_dir = broker.settings.data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    found = list(data_dir.rglob("*"))
    embedded = {"events.db", "readmodel.db", "keystore.db"}
    assert embedded <= {path.name for path in found} or broker.settings.event_store == "postgres"
    for path in found:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(data_dir)} is {oct(mode)}"


def test_times_keep_their_instant_whatever_their_offset(api, broker, keys):
    """A +14:00 start used to be stored with its offset dropped: fourteen hours off."""
    camera = add_cameras(broker, count=1)[0]
    start = (T0 - timedelta(hours=3)).astimezone(timezone(timedelta(hours=14)))
    held = api.post("/v1/holds", headers=bearer(keys[Role.POLICE]), json={
        "case_reference": "2026-형-1", "camera_ids": [camera], "reason": "evidence",
        "window": {"start": start.isoformat(), "end": (T0 - timedelta(hours=1)).isoformat()}})
    assert held.status_code == 201, held.text
    assert held.json()["window"]["start"] == (T0 - timedelta(hours=3)).isoformat().replace(
        "+00:00", "Z")


def test_a_clip_whose_purge_is_half_done_is_gone_not_an_error(api, broker, scene):  # noqa: F811
    """Killed after shredding the key and before recording the purge: readers get 410."""
    from broker.domain.clip import Clip

    clip = broker.app.load(UUID(scene["inside"][0]), Clip, "clip")
    broker.vault.keystore.shred(clip.key_id)
    assert_problem(api.get(content_url(scene, scene["inside"][0]), headers=scene["police"]), 410)
    assert_problem(api.post(f"/v1/grants/{scene['grant']}/exports", headers=scene["police"]), 410)


def test_holds_are_bounded_in_window_and_in_term(api, broker, keys, clock):
    from tests.conftest import ingest_clip

    camera = add_cameras(broker, count=1)[0]
    police, officer = bearer(keys[Role.POLICE]), bearer(keys[Role.PRIVACY_OFFICER])

    def hold(headers: dict[str, str], start, end, until=None):
        body = {"case_reference": "2026-형-9", "camera_ids": [camera], "reason": "evidence",
                "window": {"start": start.isoformat(), "end": end.isoformat()}}
        if until is not None:
            body["until"] = until.isoformat()
        return api.post("/v1/holds", headers=headers, json=body)

    assert_problem(hold(police, T0 - timedelta(days=400), T0 - timedelta(hours=1)), 422)
    assert_problem(hold(police, T0 - timedelta(hours=2), T0 + timedelta(hours=1)), 422)
    assert_problem(hold(police, T0 - timedelta(hours=2), T0 - timedelta(hours=1),
                        until=T0 + timedelta(days=91)), 403)
    long = hold(officer, T0 - timedelta(hours=2), T0 - timedelta(hours=1),
                until=T0 + timedelta(days=365))
    assert long.status_code == 201 and long.json()["until"].startswith("2027-11-20")
    clip = ingest_clip(broker, UUID(camera), T0 - timedelta(hours=5), T0 - timedelta(hours=4))
    short = hold(police, T0 - timedelta(hours=5), T0 - timedelta(hours=4))
    assert short.status_code == 201
    assert short.json()["until"].startswith("2027-02-18")  # the pack's 90 days by default
    clock.advance(timedelta(days=31))
    assert broker.sweeps.purge().purged == 0  # past retention, but the short hold is in force
    clock.advance(timedelta(days=60))
    assert broker.sweeps.purge().purged == 1  # its term ran out: nobody has to remember it
    [purged] = [e for e in broker.app.recorder.select_events(clip.id)
                if e.topic.endswith("Clip.Purged")]
    assert broker.app.mapper.to_domain_event(purged).reason == "after_use"


# HTTP as RFC 9110 and RFC 9457 describe it ------------------------------------------------------

def test_unsatisfiable_range_says_the_size(api, scene):  # noqa: F811
    clip_id, body = scene["inside"]
    refused = api.get(content_url(scene, clip_id), headers={**scene["police"],
                                                           "Range": f"bytes={len(body)}-"})
    assert_problem(refused, 416)
    assert refused.headers["content-range"] == f"bytes */{len(body)}"


def test_range_unit_is_case_insensitive(api, scene):  # noqa: F811
    clip_id, body = scene["inside"]
    ranged = api.get(content_url(scene, clip_id), headers={**scene["police"], "Range": "BYTES=0-9"})
    assert ranged.status_code == 206 and ranged.content == body[:10]


def test_if_range_resumes_only_the_same_representation(api, scene):  # noqa: F811
    clip_id, body = scene["inside"]
    whole = api.get(content_url(scene, clip_id), headers=scene["police"])
    etag, modified = whole.headers["etag"], whole.headers["last-modified"]
    assert etag.startswith('"') and len(etag) == 66
    for validator in (etag, modified):
        resumed = api.get(content_url(scene, clip_id), headers={
            **scene["police"], "Range": "bytes=100-", "If-Range": validator})
        assert resumed.status_code == 206 and resumed.content == body[100:]
    for stale in ('"0000"', 'W/' + etag, "Tue, 01 Jan 2019 00:00:00 GMT"):
        fresh = api.get(content_url(scene, clip_id), headers={
            **scene["police"], "Range": "bytes=100-", "If-Range": stale})
        assert fresh.status_code == 200 and fresh.content == body


def test_head_gives_the_headers_and_no_footage_and_records_no_view(api, broker, scene):  # noqa: F811
    clip_id, body = scene["inside"]

    def views() -> int:
        return sum(1 for e in broker.app.recorder.select_events(UUID(scene["request"]))
                   if e.topic.endswith("FootageRequest.Viewed"))

    before = views()
    head = api.head(content_url(scene, clip_id), headers=scene["police"])
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(body)) and head.headers["etag"]
    assert views() == before
    assert api.head(content_url(scene, clip_id), headers={}).status_code == 401


def test_problem_types_resolve_and_instances_name_the_occurrence(api, keys):
    first = api.get(f"/v1/requests/{UUID(int=7)}", headers=bearer(keys[Role.POLICE])).json()
    second = api.get(f"/v1/requests/{UUID(int=7)}", headers=bearer(keys[Role.POLICE])).json()
    assert first["instance"] != second["instance"]
    assert first["instance"].startswith("urn:uuid:")
    page = api.get(first["type"])
    assert page.status_code == 200 and "Not found" in page.text

