"""Invariants of the evaluator over generated packs, requests and cameras."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
from hypothesis import event, find, given, settings
from hypothesis import strategies as st

from broker.common.geo import haversine_m
from broker.policy import RULES, Decision, approve_review, evaluate
from tests.policy.strategies import Scenario, scenarios

PROPERTY = settings(max_examples=300, deadline=None)


def run(s: Scenario) -> Decision:
    decision = evaluate(s.request, s.pack, s.cameras, s.now)
    event(f"outcome: {decision.outcome}")
    return decision


def in_reach(s: Scenario) -> dict[str, float]:
    """Brute force: nearest distance of every active camera whose coverage reaches."""
    location = s.request.incident_location
    reach: dict[str, float] = {}
    if location is None:
        return reach
    for cam in s.cameras:
        if cam.status != "active":
            continue
        distance = haversine_m(location.lat, location.lon, cam.lat, cam.lon)
        if distance <= s.request.radius_m + cam.coverage_m:
            reach[cam.camera_id] = min(distance, reach.get(cam.camera_id, math.inf))
    return reach


@PROPERTY
@given(scenarios())
def test_nothing_granted_or_pending_without_basis_role_and_limits(s: Scenario) -> None:
    decision = run(s)
    if decision.outcome == "denied":
        return
    basis = s.pack.basis(s.request.legal_basis)
    assert basis is not None
    assert s.request.requester.role in basis.roles
    assert s.request.mode in basis.modes
    for name in basis.required_fields:
        value = getattr(s.request, name)
        assert value is not None and (not isinstance(value, str) or value.strip())
    assert 0 < s.request.radius_m <= basis.max_radius_m
    window = s.request.window
    assert window.start < window.end
    assert window.duration <= timedelta(minutes=basis.max_window_minutes)
    assert window.start >= s.now - timedelta(days=basis.max_lookback_days)
    assert all(reason.passed for reason in decision.reasons)
    assert decision.outcome == ("granted" if basis.decision == "auto_grant" else "pending_review")
    assert decision.citation == basis.citation


@PROPERTY
@given(scenarios())
def test_scope_is_the_cameras_in_reach_and_the_window_within_limits(s: Scenario) -> None:
    decision = run(s)
    reach = in_reach(s)
    ids = decision.scope.camera_ids
    assert set(ids) <= set(reach)
    assert len(set(ids)) == len(ids)
    if decision.outcome == "denied":
        return
    assert set(ids) == set(reach)
    distances = [reach[camera_id] for camera_id in ids]
    assert distances == sorted(distances)

    basis = s.pack.basis(s.request.legal_basis)
    assert basis is not None
    scope, asked = decision.scope.window, s.request.window
    assert scope is not None
    assert asked.start <= scope.start < scope.end <= asked.end
    assert scope.duration <= timedelta(minutes=basis.max_window_minutes)
    assert scope.start >= s.now - timedelta(days=basis.max_lookback_days)
    if s.request.mode == "recorded":
        assert scope.end <= s.now
    else:
        assert scope.start >= s.now


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_evaluation_is_deterministic_and_camera_order_blind(s: Scenario, rnd: random.Random) -> None:
    first = run(s)
    assert first == evaluate(s.request, s.pack, s.cameras, s.now)
    shuffled = list(s.cameras)
    rnd.shuffle(shuffled)
    assert first == evaluate(s.request, s.pack, shuffled, s.now)


@PROPERTY
@given(scenarios())
def test_decision_shape(s: Scenario) -> None:
    decision = run(s)
    assert [reason.rule for reason in decision.reasons] == list(RULES)
    assert all(reason.message for reason in decision.reasons)
    if decision.outcome == "denied":
        assert decision.failed_reasons
        assert decision.scope.is_empty
        assert decision.scope.camera_ids == () and decision.scope.window is None
        assert decision.expires_at is None and decision.review_deadline is None
        return
    basis = s.pack.basis(s.request.legal_basis)
    assert basis is not None
    assert not decision.scope.is_empty
    if decision.outcome == "granted":
        assert decision.expires_at == s.now + timedelta(hours=basis.grant_lifetime_hours)
        assert decision.review_deadline is None
    else:
        assert basis.review_deadline_days is not None
        assert decision.review_deadline == s.now + timedelta(days=basis.review_deadline_days)
        assert decision.expires_at is None


@PROPERTY
@given(scenarios())
def test_approval_grants_exactly_the_reviewed_scope(s: Scenario) -> None:
    decision = run(s)
    if decision.outcome != "pending_review":
        return
    later = s.now + timedelta(days=3)
    approved = approve_review(decision, s.pack, later, "officer-9", "requester appears in frame")
    basis = s.pack.basis(s.request.legal_basis)
    assert basis is not None
    assert approved.outcome == "granted"
    assert approved.scope == decision.scope
    assert approved.expires_at == later + timedelta(hours=basis.grant_lifetime_hours)
    assert all(reason.passed for reason in approved.reasons)


@pytest.mark.parametrize("outcome", ["granted", "denied", "pending_review"])
def test_the_generator_reaches_every_outcome(outcome: str) -> None:
    """Guard against a strategy so strict (or lax) that a property holds vacuously."""
    found = find(
        scenarios(),
        lambda s: evaluate(s.request, s.pack, s.cameras, s.now).outcome == outcome,
        settings=settings(max_examples=2000, deadline=None, database=None),
    )
    assert evaluate(found.request, found.pack, found.cameras, found.now).outcome == outcome
