"""Properties of grant use through the real ASGI app."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.domain.roles import Role
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, crime_request
from tests.conftest import SHELL, T0
from tests.support.videos import padded, tiny_video

FIXTURES_OK = settings(max_examples=25, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])

clip_specs = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 300), st.integers(1, 30)),  # camera, start, minutes
    min_size=1, max_size=8,
)


@FIXTURES_OK
@given(clips=clip_specs, radius=st.integers(10, 400), start=st.integers(30, 240),
       length=st.integers(5, 200))
def test_a_grant_never_reaches_outside_its_decision(api, broker, keys, clips, radius, start, length):
    cameras = add_cameras(broker, count=6)
    for camera, minutes_ago, minutes in clips:
        broker.clips.ingest(SHELL,
            camera_id=UUID(cameras[camera]), start=T0 - timedelta(minutes=minutes_ago + minutes),
            end=T0 - timedelta(minutes=minutes_ago), chunks=[tiny_video()])
    police = bearer(keys[Role.POLICE])
    window = {"start": (T0 - timedelta(minutes=start)).isoformat(),
              "end": (T0 - timedelta(minutes=start) + timedelta(minutes=length)).isoformat()}
    body = api.post("/v1/requests", json=crime_request(radius_m=radius, window=window),
                    headers=police).json()
    if body["status"] != "granted":
        assert body["grant"] is None
        return
    scope = body["decision"]["scope"]
    scope_start = datetime.fromisoformat(scope["window"]["start"])
    scope_end = datetime.fromisoformat(scope["window"]["end"])
    assert scope_start >= datetime.fromisoformat(window["start"])
    assert scope_end <= datetime.fromisoformat(window["end"])
    listed = api.get(f"/v1/grants/{body['grant']['id']}/clips", headers=police).json()["items"]
    listed_ids = {item["id"] for item in listed}
    for item in listed:
        assert item["camera_id"] in scope["camera_ids"]
        assert datetime.fromisoformat(item["window"]["start"]) >= scope_start
        assert datetime.fromisoformat(item["window"]["end"]) <= scope_end
    with broker.readmodel.reader.connect() as conn:
        from sqlalchemy import select

        from broker.readmodel.tables import clips as clip_table

        every_clip = [row[0] for row in conn.execute(select(clip_table.c.id))]
    for clip_id in every_clip:
        status = api.get(f"/v1/grants/{body['grant']['id']}/clips/{clip_id}/content",
                         headers=police).status_code
        assert status == (200 if clip_id in listed_ids else 403)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("view"), st.integers(0, 999), st.integers(0, 999)),
        st.tuples(st.just("export"), st.just(0), st.just(0)),
    ),
    min_size=1, max_size=6,
)


@FIXTURES_OK
@given(ops=operations)
def test_every_view_and_export_is_an_event_with_client_and_grant(api, broker, keys, ops):
    camera = add_cameras(broker, count=1)[0]
    clip, _ = broker.clips.ingest(SHELL, camera_id=UUID(camera), start=T0 - timedelta(minutes=100),
                                     end=T0 - timedelta(minutes=99), chunks=[padded(2000, fill=bytes(1))])
    police = bearer(keys[Role.POLICE])
    request = api.post("/v1/requests", json=crime_request(), headers=police).json()
    grant_id = request["grant"]["id"]
    succeeded = {"view": 0, "export": 0}
    for kind, a, b in ops:
        if kind == "view":
            first, last = sorted((a, b))
            response = api.get(f"/v1/grants/{grant_id}/clips/{clip['id']}/content",
                               headers={**police, "Range": f"bytes={first}-{last}"})
        else:
            response = api.post(f"/v1/grants/{grant_id}/exports", headers=police)
        assert response.status_code in (200, 206)
        succeeded[kind] += 1
    events = [broker.app.mapper.to_domain_event(item)
              for item in broker.app.recorder.select_events(UUID(request["id"]))]
    views = [e for e in events if type(e).__name__ == "Viewed"]
    exports = [e for e in events if type(e).__name__ == "Exported"]
    assert (len(views), len(exports)) == (succeeded["view"], succeeded["export"])
    client_id = api.get(f"/v1/requests/{request['id']}", headers=police).json()["requester"]["client_id"]
    for event in views + exports:
        assert event.grant_id == grant_id and event.client_id == client_id
