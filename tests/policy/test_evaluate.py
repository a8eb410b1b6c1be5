"""The evaluator rule by rule, and a table over every basis of the shipped packs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from broker.common.geo import haversine_m
from broker.policy import (
    MODES,
    ROLES,
    RULES,
    CameraSite,
    Decision,
    EvaluationRequest,
    GeoPoint,
    LegalBasis,
    PolicyPack,
    Requester,
    TimeWindow,
    evaluate,
    pack_digest,
    parse_pack,
)
from tests.policy.builders import (
    CENTRE,
    NOW,
    SHIPPED,
    camera,
    minimal_pack_data,
    shipped_pack,
    valid_request,
)

CAMERAS = [camera("cam-centre"), camera("cam-north", north_m=120), camera("cam-far", east_m=5000)]


def failed(decision: Decision) -> set[str]:
    return {reason.rule for reason in decision.failed_reasons}


def reason(decision: Decision, rule: str) -> str:
    return next(r.message for r in decision.reasons if r.rule == rule)


def assert_denied_for(decision: Decision, rule: str) -> None:
    assert decision.outcome == "denied"
    assert rule in failed(decision), decision.reasons
    assert decision.scope.is_empty
    assert decision.expires_at is None and decision.review_deadline is None


def basis_of(pack_name: str, basis_id: str) -> tuple[PolicyPack, LegalBasis]:
    pack = shipped_pack(pack_name)
    basis = pack.basis(basis_id)
    assert basis is not None
    return pack, basis


def expected_outcome(basis: LegalBasis) -> str:
    return "granted" if basis.decision == "auto_grant" else "pending_review"


# --- table over the shipped packs ------------------------------------------------------

CASES = [(name, basis.id) for name in SHIPPED for basis in shipped_pack(name).bases]
CASE_IDS = [f"{name}:{basis_id}" for name, basis_id in CASES]


@pytest.mark.parametrize(("pack_name", "basis_id"), CASES, ids=CASE_IDS)
def test_every_allowed_role_and_mode_passes(pack_name: str, basis_id: str) -> None:
    pack, basis = basis_of(pack_name, basis_id)
    for role in basis.roles:
        for mode in basis.modes:
            request = valid_request(
                basis.model_copy(update={"modes": (mode,)}),
                requester=Requester(role=role, client_id="c", agency="a"),
            )
            decision = evaluate(request, pack, CAMERAS, NOW)
            assert decision.outcome == expected_outcome(basis), decision.failed_reasons
            assert [r.rule for r in decision.reasons] == list(RULES)
            assert decision.citation == basis.citation
            assert decision.mask_third_parties == basis.mask_third_parties
            assert decision.scope.camera_ids[0] == "cam-centre"


@pytest.mark.parametrize(("pack_name", "basis_id"), CASES, ids=CASE_IDS)
def test_disallowed_roles_are_denied(pack_name: str, basis_id: str) -> None:
    pack, basis = basis_of(pack_name, basis_id)
    others = [role for role in ROLES if role not in basis.roles]
    assert others
    for role in others:
        request = valid_request(basis, requester=Requester(role=role, client_id="c", agency="a"))
        decision = evaluate(request, pack, CAMERAS, NOW)
        assert_denied_for(decision, "role_allowed")
        assert failed(decision) == {"role_allowed"}
        assert role in reason(decision, "role_allowed")


@pytest.mark.parametrize(("pack_name", "basis_id"), CASES, ids=CASE_IDS)
def test_disallowed_modes_are_denied(pack_name: str, basis_id: str) -> None:
    pack, basis = basis_of(pack_name, basis_id)
    for mode in (m for m in MODES if m not in basis.modes):
        allowed = valid_request(basis)
        decision = evaluate(allowed.model_copy(update={"mode": mode}), pack, CAMERAS, NOW)
        assert_denied_for(decision, "mode_allowed")


@pytest.mark.parametrize(("pack_name", "basis_id"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("blank", [None, "   "])
def test_missing_required_fields_are_denied(pack_name: str, basis_id: str, blank: str | None) -> None:
    pack, basis = basis_of(pack_name, basis_id)
    assert basis.required_fields
    for name in basis.required_fields:
        if blank is not None and name in {"incident_location", "occurred_at"}:
            continue  # not strings: only None can be missing
        request = valid_request(basis, **{name: blank})
        decision = evaluate(request, pack, CAMERAS, NOW)
        assert_denied_for(decision, "required_fields")
        assert name in reason(decision, "required_fields")


@pytest.mark.parametrize(("pack_name", "basis_id"), CASES, ids=CASE_IDS)
def test_radius_over_the_limit_is_denied(pack_name: str, basis_id: str) -> None:
    pack, basis = basis_of(pack_name, basis_id)
    at_limit = evaluate(valid_request(basis, radius_m=basis.max_radius_m), pack, CAMERAS, NOW)
    assert at_limit.outcome == expected_outcome(basis)
    over = evaluate(valid_request(basis, radius_m=basis.max_radius_m + 1), pack, CAMERAS, NOW)
    assert_denied_for(over, "radius_limit")
    assert failed(over) == {"radius_limit"}


@pytest.mark.parametrize(("pack_name", "basis_id"), CASES, ids=CASE_IDS)
def test_window_over_the_limit_is_denied(pack_name: str, basis_id: str) -> None:
    pack, basis = basis_of(pack_name, basis_id)
    limit = timedelta(minutes=basis.max_window_minutes)
    exact = TimeWindow(start=NOW - limit, end=NOW)
    assert evaluate(valid_request(basis, window=exact), pack, CAMERAS, NOW).outcome != "denied"
    too_long = TimeWindow(start=NOW - limit - timedelta(seconds=1), end=NOW)
    decision = evaluate(valid_request(basis, window=too_long), pack, CAMERAS, NOW)
    assert_denied_for(decision, "window_length")
    assert failed(decision) == {"window_length"}


@pytest.mark.parametrize(("pack_name", "basis_id"), CASES, ids=CASE_IDS)
def test_window_before_the_lookback_is_denied(pack_name: str, basis_id: str) -> None:
    pack, basis = basis_of(pack_name, basis_id)
    earliest = NOW - timedelta(days=basis.max_lookback_days)
    ok = TimeWindow(start=earliest, end=earliest + timedelta(minutes=10))
    assert evaluate(valid_request(basis, window=ok), pack, CAMERAS, NOW).outcome != "denied"
    early = TimeWindow(start=earliest - timedelta(minutes=1), end=earliest + timedelta(minutes=5))
    decision = evaluate(valid_request(basis, window=early), pack, CAMERAS, NOW)
    assert_denied_for(decision, "window_lookback")
    assert failed(decision) == {"window_lookback"}


# --- single rules ----------------------------------------------------------------------


@pytest.fixture
def kr() -> PolicyPack:
    return shipped_pack("kr-pipa")


@pytest.fixture
def crime(kr: PolicyPack) -> LegalBasis:
    basis = kr.basis("crime_investigation")
    assert basis is not None
    return basis


def test_granted_decision_fields(kr: PolicyPack, crime: LegalBasis) -> None:
    decision = evaluate(valid_request(crime), kr, CAMERAS, NOW)
    assert decision.outcome == "granted"
    assert decision.expires_at == NOW + timedelta(hours=crime.grant_lifetime_hours)
    assert decision.review_deadline is None
    assert decision.decided_at == NOW
    assert decision.pack_id == "kr-pipa" and decision.pack_version == kr.version
    assert decision.pack_digest == pack_digest(kr)
    assert decision.legal_basis == "crime_investigation"
    assert decision.citation == "PIPA Art. 18(2) item 7"
    assert decision.onward_transfer == crime.onward_transfer
    assert decision.restrictions == crime.restrictions
    assert decision.scope.camera_ids == ("cam-centre", "cam-north")
    assert decision.decision_id.startswith("dec_")
    assert all(r.passed for r in decision.reasons)


def test_pending_review_has_deadline_and_no_expiry(kr: PolicyPack) -> None:
    basis = kr.basis("data_subject_access")
    assert basis is not None
    decision = evaluate(valid_request(basis), kr, CAMERAS, NOW)
    assert decision.outcome == "pending_review"
    assert decision.review_deadline == NOW + timedelta(days=10)
    assert decision.expires_at is None
    assert decision.mask_third_parties is True
    assert not decision.scope.is_empty


def test_unknown_basis_is_denied_and_unchecked_rules_fail(kr: PolicyPack) -> None:
    request = EvaluationRequest(
        requester=Requester(role="police", client_id="c", agency="a"),
        legal_basis="curiosity",
        mode="recorded",
        radius_m=50,
        window=TimeWindow(start=NOW - timedelta(minutes=10), end=NOW),
        incident_location=CENTRE,
    )
    decision = evaluate(request, kr, CAMERAS, NOW)
    assert_denied_for(decision, "basis_known")
    assert "'curiosity' is not in policy pack kr-pipa" in reason(decision, "basis_known")
    assert failed(decision) == {
        "basis_known",
        "role_allowed",
        "mode_allowed",
        "required_fields",
        "radius_limit",
        "window_length",
        "window_lookback",
    }
    assert decision.citation is None
    assert decision.mask_third_parties is True
    assert decision.onward_transfer == "prohibited"


def test_window_end_not_after_start(kr: PolicyPack, crime: LegalBasis) -> None:
    for end in (NOW - timedelta(hours=1), NOW - timedelta(hours=2)):
        window = TimeWindow(start=NOW - timedelta(hours=1), end=end)
        decision = evaluate(valid_request(crime, window=window), kr, CAMERAS, NOW)
        assert_denied_for(decision, "window_order")


def test_recorded_window_entirely_in_future(kr: PolicyPack, crime: LegalBasis) -> None:
    for start in (NOW, NOW + timedelta(hours=1)):
        window = TimeWindow(start=start, end=start + timedelta(hours=1))
        decision = evaluate(valid_request(crime, window=window), kr, CAMERAS, NOW)
        assert_denied_for(decision, "window_timing")
        assert failed(decision) == {"window_timing"}


def test_recorded_window_is_clipped_to_now(kr: PolicyPack, crime: LegalBasis) -> None:
    window = TimeWindow(start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=2))
    decision = evaluate(valid_request(crime, window=window), kr, CAMERAS, NOW)
    assert decision.outcome == "granted"
    assert decision.scope.window == TimeWindow(start=window.start, end=NOW)


def test_live_window_starts_now(kr: PolicyPack) -> None:
    basis = kr.basis("imminent_danger")
    assert basis is not None
    window = TimeWindow(start=NOW - timedelta(minutes=15), end=NOW + timedelta(minutes=45))
    request = valid_request(basis, mode="live", window=window)
    decision = evaluate(request, kr, CAMERAS, NOW)
    assert decision.outcome == "granted"
    assert decision.scope.window == TimeWindow(start=NOW, end=window.end)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (NOW + timedelta(minutes=1), NOW + timedelta(minutes=30)),  # in the future
        (NOW - timedelta(minutes=30), NOW),  # already over
    ],
)
def test_live_window_must_be_open_now(kr: PolicyPack, start: datetime, end: datetime) -> None:
    basis = kr.basis("imminent_danger")
    assert basis is not None
    request = valid_request(basis, mode="live", window=TimeWindow(start=start, end=end))
    assert_denied_for(evaluate(request, kr, CAMERAS, NOW), "window_timing")


def test_non_positive_radius(kr: PolicyPack, crime: LegalBasis) -> None:
    for radius in (0.0, -10.0):
        decision = evaluate(valid_request(crime, radius_m=radius), kr, CAMERAS, NOW)
        assert_denied_for(decision, "radius_limit")
        assert "positive" in reason(decision, "radius_limit")


def test_no_camera_in_scope(kr: PolicyPack, crime: LegalBasis) -> None:
    for cameras in ([], [camera("far", east_m=3000)], [camera("off", status="decommissioned")]):
        decision = evaluate(valid_request(crime), kr, cameras, NOW)
        assert_denied_for(decision, "cameras_in_scope")
        assert failed(decision) == {"cameras_in_scope"}


def test_reach_is_radius_plus_coverage(kr: PolicyPack, crime: LegalBasis) -> None:
    near = camera("edge", north_m=130, coverage_m=50)
    distance = haversine_m(CENTRE.lat, CENTRE.lon, near.lat, near.lon)
    inside = valid_request(crime, radius_m=distance - 50 + 0.01)
    outside = valid_request(crime, radius_m=distance - 50 - 0.01)
    assert evaluate(inside, kr, [near], NOW).scope.camera_ids == ("edge",)
    assert_denied_for(evaluate(outside, kr, [near], NOW), "cameras_in_scope")


def test_scope_nearest_first_and_without_duplicates(kr: PolicyPack, crime: LegalBasis) -> None:
    cameras = [
        camera("b", north_m=200),
        camera("a", east_m=100),
        camera("c", north_m=-50),
        camera("a", east_m=300),
        camera("d", north_m=10, status="decommissioned"),
    ]
    decision = evaluate(valid_request(crime, radius_m=300), kr, cameras, NOW)
    assert decision.scope.camera_ids == ("c", "a", "b")


def test_location_absent_when_not_required() -> None:
    data = minimal_pack_data()
    pack = parse_pack(data)
    basis = pack.basis("crime_investigation")
    assert basis is not None and "incident_location" not in basis.required_fields
    request = valid_request(basis, incident_location=None)
    decision = evaluate(request, pack, CAMERAS, NOW)
    assert_denied_for(decision, "cameras_in_scope")
    assert "no incident location" in reason(decision, "cameras_in_scope")


def test_decision_id_is_deterministic_or_given(kr: PolicyPack, crime: LegalBasis) -> None:
    request = valid_request(crime)
    first = evaluate(request, kr, CAMERAS, NOW)
    assert first == evaluate(request, kr, CAMERAS, NOW)
    later = evaluate(request, kr, CAMERAS, NOW + timedelta(seconds=1))
    assert later.decision_id != first.decision_id
    assert later.input_digest != first.input_digest
    assert evaluate(request, kr, CAMERAS, NOW, decision_id="req-7").decision_id == "req-7"


def test_camera_order_does_not_matter(kr: PolicyPack, crime: LegalBasis) -> None:
    request = valid_request(crime)
    assert evaluate(request, kr, CAMERAS, NOW) == evaluate(request, kr, CAMERAS[::-1], NOW)


def test_time_zones_do_not_change_the_decision(kr: PolicyPack, crime: LegalBasis) -> None:
    seoul = timezone(timedelta(hours=9))
    request = valid_request(crime)
    data = request.model_dump()
    data["window"] = {
        "start": request.window.start.astimezone(seoul),
        "end": request.window.end.astimezone(seoul),
    }
    assert request.occurred_at is not None
    data["occurred_at"] = request.occurred_at.astimezone(seoul)
    shifted = EvaluationRequest.model_validate(data)
    assert shifted.window.start.utcoffset() == timedelta(0)
    assert evaluate(request, kr, CAMERAS, NOW) == evaluate(shifted, kr, CAMERAS, NOW.astimezone(seoul))


def test_naive_times_are_rejected(kr: PolicyPack, crime: LegalBasis) -> None:
    request = valid_request(crime)
    with pytest.raises(ValueError, match="timezone"):
        evaluate(request, kr, CAMERAS, NOW.replace(tzinfo=None))
    with pytest.raises(ValidationError):
        TimeWindow(start=datetime(2025, 1, 1), end=datetime(2025, 1, 2))


def test_request_validation() -> None:
    with pytest.raises(ValidationError):
        GeoPoint(lat=91, lon=0)
    with pytest.raises(ValidationError):
        CameraSite(camera_id="x", lat=0, lon=0, coverage_m=-1, status="active")
    with pytest.raises(ValidationError):
        Requester(role="mayor", client_id="c", agency="a")  # type: ignore[arg-type]
