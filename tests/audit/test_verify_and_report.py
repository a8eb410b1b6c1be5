from __future__ import annotations

from datetime import timedelta

from broker.domain.roles import Role
from broker.merkle import verify_checkpoint
from tests.api.conftest import bearer
from tests.audit.test_trail import scenario
from tests.conftest import SHELL


def test_verify_endpoint_signs_a_checkpoint_an_outsider_can_check(api, broker, keys):
    scenario(api, broker, keys)
    report = api.get("/v1/audit/verify", headers=bearer(keys[Role.AUDITOR])).json()
    assert report["ok"] is True and report["first_bad_position"] is None
    assert report["events_checked"] == report["tree_size"] > 10
    public = broker.signing_key.public_key()
    head = verify_checkpoint(report["latest_checkpoint"], public, report["public_key"]["key_name"])
    assert head.tree_size == report["tree_size"]


def test_transparency_report_is_public_and_aggregate(api, broker, keys, clock):
    s = scenario(api, broker, keys)
    _, second = broker.clients.register(SHELL, name="second", role="privacy_officer", agency="대전")
    clock.advance(timedelta(hours=5))
    api.post(f"/v1/reviews/{s['pending']['id']}", json={"decision": "approve", "reason": "order"},
             headers=bearer(second))
    report = api.get("/v1/reports/transparency", params={"year": 2026}).json()
    requests = report["requests"]
    assert requests["total"] == 3
    assert requests["by_outcome"] == {"denied": 1, "granted": 2}
    bases = {row["key"]: row for row in requests["by_legal_basis"]}
    assert bases["crime_investigation"]["total"] == 2
    kinds = {row["key"] for row in requests["by_agency_kind"]}
    assert kinds == {"police", "fire", "privacy_officer"}
    assert requests["by_month"][0]["key"] == "2026-11"
    # Two decided at once, one after 5 hours of review: the median is 0.
    assert requests["median_hours_to_decision"] == 0
    assert report["citizen_requests"] == {"filed": 0, "granted": 0}
    text = str(report)
    assert s["granted"]["id"] not in text and "agency of police" not in text
    assert api.get("/v1/reports/transparency", params={"year": 1999}).status_code == 422
