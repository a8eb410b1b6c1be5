"""Requests that help the requester: incomplete is a 422 with nothing recorded, not a denial;
a dry run says what the real filing will be answered; amend and withdraw; discovery."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.adapters.vault.kek import init_keyfile
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.config import BUNDLED_PACKS, Settings
from broker.domain.roles import Role
from broker.entrypoints.api.main import create_app
from broker.policy import load_pack
from tests.api.conftest import bearer
from tests.api.helpers import add_cameras, crime_request
from tests.api.test_auth import assert_problem
from tests.api.test_citizens import citizen_body
from tests.conftest import SHELL, T0

PACKS = {name: load_pack(BUNDLED_PACKS / f"{name}.toml") for name in ("kr-pipa", "eu-gdpr-led")}
AGENCY_LOC = {"incident_reference": ["body", "incident", "reference"],
              "incident_kind": ["body", "incident", "kind"],
              "incident_location": ["body", "incident", "location"],
              "occurred_at": ["body", "incident", "occurred_at"], "purpose": ["body", "purpose"]}
PORTAL_LOC = {"identity_proof": ["body", "identity_proof"],
              "claim_reference": ["body", "claim_reference"],
              "consent_reference": ["body", "consent_reference"],
              "incident_kind": ["body", "incident_kind"], "incident_location": ["body", "location"],
              "occurred_at": ["body", "occurred_at"], "purpose": ["body", "description"]}
CASES = [(pack, basis.id, field) for pack, loaded in PACKS.items() for basis in loaded.bases
         for field in basis.required_fields]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One broker per pack, with cameras and a key per role (module-wide: many cases)."""
    brokers = {}
    for name in PACKS:
        root: Path = tmp_path_factory.mktemp(name)
        init_keyfile(root / "keys")
        broker = build(Settings(data_dir=root / "var", keys_dir=root / "keys", policy_pack=Path(name)),
                       FixedClock(T0))
        add_cameras(broker)
        keys = {role: broker.clients.register(SHELL, name=role.value, role=role, agency="대전")[1]
                for role in Role}
        brokers[name] = (broker, TestClient(create_app(broker), raise_server_exceptions=False), keys)
    yield brokers
    for broker, client, _ in brokers.values():
        client.close()
        broker.close()


def complete_body(pack: str, basis_id: str) -> tuple[str, dict, Role]:
    """A body that files under the basis with every field its basis could require."""
    basis = PACKS[pack].basis(basis_id)
    assert basis is not None
    if basis.portal_reason:
        body = citizen_body(reason=basis.portal_reason, consent_reference="consent-2026-7",
                            radius_m=min(50, basis.max_radius_m))
        return "/v1/citizen-requests", body, Role.CITIZEN_PORTAL
    body = crime_request(legal_basis=basis_id, radius_m=min(150, basis.max_radius_m))
    return "/v1/requests", body, Role(basis.roles[0])


def without(body: dict, loc: list[str]) -> dict:
    trimmed = copy.deepcopy(body)
    node = trimmed
    for key in loc[1:-1]:
        node = node[key]
    node.pop(loc[-1], None)
    return trimmed


@pytest.mark.parametrize(("pack", "basis_id", "field"), CASES)
def test_a_missing_required_field_is_a_422_naming_it_and_records_nothing(served, pack, basis_id,
                                                                        field):
    broker, api, keys = served[pack]
    path, body, role = complete_body(pack, basis_id)
    loc = (PORTAL_LOC if path.startswith("/v1/citizen") else AGENCY_LOC)[field]
    before = broker.app.recorder.max_notification_id()
    refused = api.post(path, json=without(body, loc), headers=bearer(keys[role]))
    problem = assert_problem(refused, 422)
    assert any(error["loc"] == loc for error in problem["errors"]), problem
    assert broker.app.recorder.max_notification_id() == before
    assert api.post(path, json=body, headers=bearer(keys[role])).status_code == 201


def test_blank_text_counts_as_missing(served):
    _, api, keys = served["kr-pipa"]
    refused = api.post("/v1/requests", json=crime_request(purpose="   "),
                       headers=bearer(keys[Role.POLICE]))
    assert assert_problem(refused, 422)["errors"][0]["loc"] == ["body", "purpose"]


def test_a_complete_request_that_is_not_allowed_is_still_a_recorded_denial(served):
    _broker, api, keys = served["kr-pipa"]
    for body in (crime_request(legal_basis="crime"), crime_request(radius_m=5000)):
        denied = api.post("/v1/requests", json=body, headers=bearer(keys[Role.POLICE]))
        assert denied.status_code == 201 and denied.json()["status"] == "denied"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(basis=st.sampled_from([b.id for b in PACKS["kr-pipa"].bases]),
       radius=st.floats(min_value=10, max_value=800),
       start_hours=st.floats(min_value=0.2, max_value=30 * 24),
       minutes=st.floats(min_value=1, max_value=600))
def test_a_dry_run_answers_what_the_real_filing_then_gets(served, basis, radius, start_hours,
                                                         minutes):
    broker, api, keys = served["kr-pipa"]
    path, body, role = complete_body("kr-pipa", basis)
    start = T0 - timedelta(hours=start_hours)
    body["window"] = {"start": start.isoformat(),
                      "end": (start + timedelta(minutes=minutes)).isoformat()}
    body["radius_m"] = radius
    headers = bearer(keys[role])
    before = broker.app.recorder.max_notification_id()
    preview = api.post(path, params={"dry_run": "true"}, json=body, headers=headers)
    assert preview.status_code == 200, preview.text
    assert broker.app.recorder.max_notification_id() == before  # nothing recorded
    assert "camera_ids" not in preview.text
    filed = api.post(path, json=body, headers=headers)
    assert filed.status_code == 201
    decision = broker.requests.get(SHELL, UUID(filed.json()["id"]))["decision"]
    seen = preview.json()
    assert seen["outcome"] == decision["outcome"]
    assert [r["message"] for r in seen["reasons"]] == [r["message"] for r in decision["reasons"]]
    assert seen["scope"]["cameras"] == len(decision["scope"]["camera_ids"])


def test_dry_runs_are_rate_limited(served):
    broker, api, _ = served["eu-gdpr-led"]
    _, key = broker.clients.register(SHELL, name="busy", role=Role.POLICE, agency="x")
    body = crime_request(legal_basis="criminal_investigation")
    answers = [api.post("/v1/requests", params={"dry_run": "true"}, json=body,
                        headers=bearer(key)).status_code for _ in range(31)]
    assert answers[:30] == [200] * 30
    assert answers[30] == 429


def test_amend_replaces_a_pending_request_and_keeps_the_old_one(served):
    _broker, api, keys = served["kr-pipa"]
    officer = bearer(keys[Role.PRIVACY_OFFICER])
    filed = api.post("/v1/requests", json=crime_request(legal_basis="court_proceedings",
                                                        radius_m=100), headers=officer).json()
    assert filed["status"] == "pending_review"
    amended = api.post(f"/v1/requests/{filed['id']}/amend", headers=officer,
                       json=crime_request(legal_basis="court_proceedings", radius_m=80))
    assert amended.status_code == 201
    new = amended.json()
    assert new["supersedes"] == filed["id"] and new["radius_m"] == 80
    old = api.get(f"/v1/requests/{filed['id']}", headers=officer).json()
    assert old["status"] == "superseded" and old["superseded_by"] == new["id"]
    assert_problem(api.post(f"/v1/requests/{filed['id']}/amend", headers=officer,
                            json=crime_request(legal_basis="court_proceedings")), 409)
    withdrawn = api.post(f"/v1/requests/{new['id']}/withdraw", headers=officer).json()
    assert withdrawn["status"] == "withdrawn"
    assert_problem(api.post(f"/v1/requests/{new['id']}/withdraw", headers=officer), 409)


def test_a_citizen_amends_with_its_token_and_gets_a_new_one(served):
    _, api, keys = served["kr-pipa"]
    portal = bearer(keys[Role.CITIZEN_PORTAL])
    filed = api.post("/v1/citizen-requests", json=citizen_body(), headers=portal).json()
    amended = api.post(f"/v1/citizen-requests/{filed['id']}/amend", json=citizen_body(radius_m=30),
                       headers={**portal, "X-Access-Token": filed["access_token"]})
    assert amended.status_code == 201
    new = amended.json()
    assert new["access_token"] != filed["access_token"]
    old = api.get(f"/v1/citizen-requests/{filed['id']}",
                  headers={**portal, "X-Access-Token": filed["access_token"]}).json()
    assert old["status"] == "superseded" and old["superseded_by"] == new["id"]


def test_each_pack_files_citizen_reasons_under_its_own_bases(served):
    _, api, keys = served["eu-gdpr-led"]
    filed = api.post("/v1/citizen-requests", json=citizen_body(description="rear-end at the crossing"),
                     headers=bearer(keys[Role.CITIZEN_PORTAL]))
    assert filed.status_code == 201 and filed.json()["legal_basis"] == "legal_claims"


def test_a_portal_builds_its_form_from_the_policy(served):
    _, api, keys = served["kr-pipa"]
    bases = {b["id"]: b for b in api.get("/v1/policy", headers=bearer(keys[Role.POLICE])).json()["bases"]}
    claim = bases["insurance_claim"]
    assert claim["files_at"] == "POST /v1/citizen-requests"
    schema = claim["request_schema"]
    assert {"claim_reference", "incident_kind", "identity_proof"} <= set(schema["required"])
    assert schema["properties"]["reason"] == {"const": "insurance_claim"}
    assert schema["properties"]["radius_m"]["maximum"] == 200
    crime = bases["crime_investigation"]["request_schema"]
    assert crime["properties"]["legal_basis"] == {"const": "crime_investigation"}
    assert set(crime["$defs"]["Incident"]["required"]) == {"reference", "kind", "location",
                                                           "occurred_at"}


def test_the_report_counts_refusals_as_refusals_and_times_decided_requests_only(api, broker, keys,
                                                                             clock):
    add_cameras(broker)
    police, officer = bearer(keys[Role.POLICE]), bearer(keys[Role.PRIVACY_OFFICER])
    _, second = broker.clients.register(SHELL, name="second", role=Role.PRIVACY_OFFICER, agency="대전")
    court = crime_request(legal_basis="court_proceedings", radius_m=100)
    withdrawn = api.post("/v1/requests", json=court, headers=officer).json()
    api.post(f"/v1/requests/{withdrawn['id']}/withdraw", headers=officer)
    amended = api.post("/v1/requests", json=court, headers=officer).json()
    api.post(f"/v1/requests/{amended['id']}/amend", json=court, headers=officer)
    reviewed = api.post("/v1/requests", json=court, headers=officer).json()
    clock.advance(timedelta(minutes=12))
    api.post(f"/v1/reviews/{reviewed['id']}", headers=bearer(second),
             json={"decision": "approve", "reason": "court order 2026가합1"})
    api.post("/v1/requests", json=crime_request(radius_m=5000), headers=police)  # a refusal
    api.post("/v1/requests", json=crime_request(purpose=None), headers=police)  # incomplete: 422
    report = api.get("/v1/reports/transparency", params={"year": T0.year}).json()["requests"]
    assert report["refusals"] == 1 and report["by_outcome"]["denied"] == 1
    assert report["ended_by_requester"] == {"withdrawn": 1, "superseded": 1}
    assert report["by_outcome"]["pending_review"] == 1  # the amended version, still pending
    assert report["median_minutes_to_decision"] == 6.0  # the auto-denial (0) and the review (12)
    assert report["median_time_to_decision"]["unit"] == "minutes"
