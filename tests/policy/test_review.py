"""Approving and denying pending decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker.errors import Forbidden, InvalidInput
from broker.policy import (
    Decision,
    PolicyPack,
    Requester,
    ReviewError,
    approve_review,
    deny_review,
    evaluate,
    parse_pack,
)
from tests.policy.builders import NOW, camera, pack_data, shipped_pack, valid_request

CAMERAS = [camera("cam-1"), camera("cam-2", north_m=60)]


@pytest.fixture
def kr() -> PolicyPack:
    return shipped_pack("kr-pipa")


@pytest.fixture
def pending(kr: PolicyPack) -> Decision:
    basis = kr.basis("insurance_claim")
    assert basis is not None
    decision = evaluate(valid_request(basis), kr, CAMERAS, NOW)
    assert decision.outcome == "pending_review"
    return decision


def test_approve_grants_from_the_review_time(kr: PolicyPack, pending: Decision) -> None:
    at = NOW + timedelta(days=2)
    approved = approve_review(pending, kr, at, "officer-9", "  requester visible at 10:02  ")
    assert approved.outcome == "granted"
    assert approved.expires_at == at + timedelta(hours=168)
    assert approved.scope == pending.scope
    assert approved.decision_id == pending.decision_id
    assert approved.review_deadline == pending.review_deadline
    assert approved.reasons[: len(pending.reasons)] == pending.reasons
    last = approved.reasons[-1]
    assert (last.rule, last.passed) == ("review", True)
    assert "officer-9" in last.message and "requester visible at 10:02" in last.message
    assert approved.review is not None
    assert approved.review.approved and not approved.review.late
    assert approved.review.reason == "requester visible at 10:02"
    assert approved.mask_third_parties is True


def test_late_approval_is_marked(kr: PolicyPack, pending: Decision) -> None:
    approved = approve_review(pending, kr, NOW + timedelta(days=11), "officer-9", "backlog")
    assert approved.outcome == "granted"
    assert approved.review is not None and approved.review.late
    assert "after the review deadline" in approved.reasons[-1].message


def test_deny(pending: Decision) -> None:
    denied = deny_review(pending, NOW + timedelta(days=1), "officer-9", "requester not in frame")
    assert denied.outcome == "denied"
    assert denied.scope.is_empty and denied.expires_at is None
    assert denied.failed_reasons[-1].rule == "review"
    assert "requester not in frame" in denied.failed_reasons[-1].message
    assert denied.review is not None and not denied.review.approved


def test_requester_cannot_approve_own_request(kr: PolicyPack, pending: Decision) -> None:
    with pytest.raises(Forbidden, match="own request"):
        approve_review(pending, kr, NOW, pending.requester.client_id, "fine")


def test_requester_cannot_deny_own_request_either(pending: Decision) -> None:
    """A denial is a decision too: the requester could bury an awkward request of their own."""
    with pytest.raises(Forbidden, match="own request"):
        deny_review(pending, NOW, pending.requester.client_id, "never mind")


def test_court_request_needs_a_second_officer(kr: PolicyPack) -> None:
    basis = kr.basis("court_proceedings")
    assert basis is not None
    officer = Requester(role="privacy_officer", client_id="officer-1", agency="City")
    decision = evaluate(valid_request(basis, requester=officer), kr, CAMERAS, NOW)
    assert decision.outcome == "pending_review"
    with pytest.raises(Forbidden):
        approve_review(decision, kr, NOW, "officer-1", "court order 2025-Ga-123")
    assert approve_review(decision, kr, NOW, "officer-2", "order checked").outcome == "granted"


def test_approval_needs_the_deciding_pack(kr: PolicyPack, pending: Decision) -> None:
    data = pack_data(kr)
    data["version"] = "1.0.1"
    with pytest.raises(ReviewError, match="re-evaluate"):
        approve_review(pending, parse_pack(data), NOW, "officer-9", "ok")
    with pytest.raises(ReviewError):
        approve_review(pending, shipped_pack("eu-gdpr-led"), NOW, "officer-9", "ok")


@pytest.mark.parametrize(("reviewer", "reason"), [("", "ok"), ("officer-9", "  ")])
def test_review_needs_reviewer_and_reason(
    kr: PolicyPack, pending: Decision, reviewer: str, reason: str
) -> None:
    with pytest.raises(InvalidInput):
        approve_review(pending, kr, NOW, reviewer, reason)
    with pytest.raises(InvalidInput):
        deny_review(pending, NOW, reviewer, reason)


def test_only_pending_decisions_are_reviewed(kr: PolicyPack, pending: Decision) -> None:
    approved = approve_review(pending, kr, NOW, "officer-9", "ok")
    with pytest.raises(ReviewError, match="not pending"):
        approve_review(approved, kr, NOW, "officer-9", "again")
    with pytest.raises(ReviewError, match="not pending"):
        deny_review(approved, NOW, "officer-9", "changed my mind")


def test_review_cannot_precede_the_decision(kr: PolicyPack, pending: Decision) -> None:
    with pytest.raises(ReviewError, match="precede"):
        approve_review(pending, kr, NOW - timedelta(seconds=1), "officer-9", "ok")
