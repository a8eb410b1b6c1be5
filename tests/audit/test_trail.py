"""The audit trail answers privacy officers' questions, and records that they asked."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from broker.domain.roles import Role
from broker.readmodel.audit_query import AuditFilter, query_events
from broker.readmodel.tables import audit_event_cameras, audit_events
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, court_request, crime_request
from tests.api.test_auth import assert_problem
from tests.api.test_grants import ingest
from tests.conftest import SHELL, T0
from tests.support.videos import tiny_video


def scenario(api, broker, keys):
    cameras = add_cameras(broker)
    clip_id, _ = ingest(broker, cameras[0], start_minutes_ago=100)
    police = bearer(keys[Role.POLICE])
    granted = api.post("/v1/requests", json=crime_request(), headers=police).json()
    api.get(f"/v1/grants/{granted['grant']['id']}/clips/{clip_id}/content", headers=police)
    api.post(f"/v1/grants/{granted['grant']['id']}/exports", headers=police)
    denied = api.post("/v1/requests", json=crime_request(), headers=bearer(keys[Role.FIRE])).json()
    pending = api.post("/v1/requests", json=court_request(),
                       headers=bearer(keys[Role.PRIVACY_OFFICER])).json()
    return {"cameras": cameras, "clip": clip_id, "granted": granted, "denied": denied,
            "pending": pending}


def test_who_viewed_camera_x_last_week_and_on_what_basis(api, broker, keys):
    s = scenario(api, broker, keys)
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    params = {"camera_id": s["cameras"][0], "event_type": "FootageRequest.Viewed",
              "from": (T0 - timedelta(days=7)).isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    items = api.get("/v1/audit/events", params=params, headers=officer).json()["items"]
    assert len(items) == 1
    viewed = items[0]
    assert viewed["actor"]["role"] == "police"
    assert viewed["actor"]["agency"] == "agency of police"
    assert viewed["legal_basis"] == "crime_investigation"
    assert viewed["clip_id"] == s["clip"] and viewed["grant_id"] == s["granted"]["grant"]["id"]
    assert viewed["camera_ids"] == [s["cameras"][0]]


def test_every_audit_query_is_itself_recorded(api, broker, keys):
    auditor = bearer(keys[Role.AUDITOR])
    api.get("/v1/audit/events", params={"legal_basis": "crime_investigation"}, headers=auditor)
    recorded = api.get("/v1/audit/events", params={"event_type": "AuditAccess.Queried"},
                       headers=auditor).json()["items"]
    assert recorded[0]["actor"]["role"] == "auditor"
    assert recorded[0]["detail"]["filters"]["legal_basis"] == "crime_investigation"
    assert len(recorded) == 2  # the second query recorded itself before answering


def test_only_oversight_roles_read_the_trail(api, keys):
    for role in (Role.POLICE, Role.OPERATOR, Role.CITIZEN_PORTAL):
        for path in ("/v1/audit/events", "/v1/audit/ledger", "/v1/audit/verify"):
            assert_problem(api.get(path, headers=bearer(keys[role])), 403)


def test_ledger_has_every_granted_provision_and_no_denied_one(api, broker, keys):
    s = scenario(api, broker, keys)
    _, second = broker.clients.register(SHELL, name="second", role="privacy_officer", agency="대전")
    api.post(f"/v1/reviews/{s['pending']['id']}", json={"decision": "approve", "reason": "order"},
             headers=bearer(second))
    rows = api.get("/v1/audit/ledger", headers=bearer(keys[Role.AUDITOR])).json()["items"]
    assert {row["request_id"] for row in rows} == {s["granted"]["id"], s["pending"]["id"]}
    police_row = next(r for r in rows if r["request_id"] == s["granted"]["id"])
    assert police_row["legal_ground"] == "PIPA Art. 18(2) item 7"
    assert police_row["views"] == 1 and police_row["exports"] == 1
    assert "export" in police_row["method"] and police_row["restrictions"]
    assert police_row["recipient_agency"] == "agency of police"


def test_csv_opens_in_a_spreadsheet(api, broker, keys):
    add_cameras(broker)
    _, key = broker.clients.register(SHELL, name="대전 112", role="police", agency='대전경찰청, "112" 상황실')
    api.post("/v1/requests", json=crime_request(), headers=bearer(key))
    response = api.get("/v1/audit/events", params={"format": "csv", "event_type": "FootageRequest.Submitted"},
                       headers=bearer(keys[Role.PRIVACY_OFFICER]))
    assert response.headers["content-type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "position"
    agency_column = rows[0].index("actor_agency")
    assert rows[1][agency_column] == '대전경찰청, "112" 상황실'
    assert '"대전경찰청, ""112"" 상황실"' in raw.decode("utf-8-sig")
    ledger = api.get("/v1/audit/ledger", params={"format": "csv"},
                     headers=bearer(keys[Role.PRIVACY_OFFICER])).content
    assert ledger.startswith(b"\xef\xbb\xbf") and "공공 CCTV" in ledger.decode("utf-8-sig")


def test_pages_follow_the_cursor_without_gaps_or_repeats(api, broker, keys):
    scenario(api, broker, keys)
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "event_type": "Camera.Registered"}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/v1/audit/events", params=params, headers=officer).json()
        seen += [item["position"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5


def brute_force(conn, flt: AuditFilter) -> list[int]:
    cameras: dict[int, set[str]] = {}
    for camera_id, position in conn.execute(select(audit_event_cameras.c.camera_id,
                                                   audit_event_cameras.c.position)):
        cameras.setdefault(position, set()).add(camera_id)
    out = []
    ordered = select(audit_events).order_by(audit_events.c.at, audit_events.c.position)
    for row in conn.execute(ordered).mappings():
        at = row["at"].replace(tzinfo=T0.tzinfo)
        if ((flt.camera_id is None or flt.camera_id in cameras.get(row["position"], set()))
                and (flt.agency is None or row["actor_agency"] == flt.agency)
                and (flt.client_id is None or row["actor_client_id"] == flt.client_id)
                and (flt.request_id is None or row["request_id"] == flt.request_id)
                and (flt.event_type is None or row["event_type"] == flt.event_type)
                and (flt.legal_basis is None or row["legal_basis"] == flt.legal_basis)
                and (flt.start is None or at >= flt.start)
                and (flt.end is None or at < flt.end)):
            out.append(row["position"])
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_filters_match_a_brute_force_scan(api, broker, keys, clock, data):
    if broker.app.recorder.max_notification_id() < 40:
        scenario(api, broker, keys)
        clock.advance(timedelta(hours=3))
        add_cameras(broker, count=2)
        broker.clips.ingest(SHELL, camera_id=UUID(add_cameras(broker, count=1)[0]),
                                         start=clock.now() - timedelta(minutes=5),
                                         end=clock.now() - timedelta(minutes=4), chunks=[tiny_video()])
    with broker.readmodel.reader.connect() as conn:
        rows = list(conn.execute(select(audit_events)).mappings())
        camera_ids = sorted({c for (c,) in conn.execute(select(audit_event_cameras.c.camera_id))})

        def pick(values):
            return data.draw(st.one_of(st.none(), st.sampled_from(sorted({v for v in values if v}))))

        times = sorted(row["at"].replace(tzinfo=T0.tzinfo) for row in rows)
        flt = AuditFilter(
            camera_id=pick(camera_ids), agency=pick(r["actor_agency"] for r in rows),
            client_id=pick(r["actor_client_id"] for r in rows),
            request_id=pick(r["request_id"] for r in rows),
            event_type=pick(r["event_type"] for r in rows),
            legal_basis=pick(r["legal_basis"] for r in rows),
            start=data.draw(st.one_of(st.none(), st.sampled_from(times))),
            end=data.draw(st.one_of(st.none(), st.sampled_from(times))),
        )
        got, cursor = [], None
        while True:
            items, cursor = query_events(conn, flt, after=cursor, limit=4)
            got += [item["position"] for item in items]
            if cursor is None:
                break
        assert got == brute_force(conn, flt)
