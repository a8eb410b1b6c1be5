"""The evaluator: a pure function from (request, pack, cameras, now) to a Decision with reasons.

Deny by default: a decision is ``granted`` or ``pending_review`` only when every rule in
``RULES`` passed; any rule that cannot be checked (an unknown basis) counts as failed.

Over-limit radius, window length or look-back are *denied*, not clipped, so that what a
requester asked for is exactly what was judged. The only clipping is of the scope window
to footage that can exist: up to ``now`` for recorded footage, from ``now`` for live.
The limits are re-applied to the scope window anyway, as a second line of defence.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from broker.common.geo import haversine_from
from broker.common.times import rfc3339
from broker.policy.completeness import is_missing
from broker.policy.decision import Decision, Outcome, Reason, Scope
from broker.policy.digest import sha256_digest
from broker.policy.pack import LegalBasis, PolicyPack, pack_digest
from broker.policy.request import EvaluationRequest, GeoPoint, Site, TimeWindow
from broker.policy.values import to_utc

_json_str = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses

RULES: tuple[str, ...] = (
    "basis_known",
    "role_allowed",
    "mode_allowed",
    "required_fields",
    "radius_limit",
    "window_order",
    "window_length",
    "window_lookback",
    "window_timing",
    "cameras_in_scope",
)
"""Every decision carries exactly one reason per rule, in this order (before any review)."""

_UNCHECKED = "cannot be checked without a known legal basis"


def evaluate(
    request: EvaluationRequest,
    pack: PolicyPack,
    cameras: Sequence[Site],
    now: datetime,
    *,
    decision_id: str | None = None,
) -> Decision:
    """Judge ``request`` under ``pack`` at ``now``; never raises for a bad request, only denies.

    ``now`` must be timezone-aware (a naive clock is a programming error: ValueError).
    Without ``decision_id`` one is derived from the pack, input and camera digests, so that
    evaluating the same thing twice gives equal decisions.
    """
    now = to_utc(now)
    basis = pack.basis(request.legal_basis)
    reach = cameras_in_reach(request.incident_location, request.radius_m, cameras)
    reasons = (
        _check_basis(request, pack, basis),
        _check_role(request, basis),
        _check_mode(request, basis),
        _check_required_fields(request, basis),
        _check_radius(request, basis),
        _check_window_order(request),
        _check_window_length(request, basis),
        _check_window_lookback(request, basis, now),
        _check_window_timing(request, now),
        _check_cameras(request, reach),
    )

    outcome: Outcome = "denied"
    scope = Scope()
    expires_at: datetime | None = None
    review_deadline: datetime | None = None
    if basis is not None and all(reason.passed for reason in reasons):
        scope = Scope(
            camera_ids=tuple(camera_id for _, camera_id in reach),
            window=_scope_window(request, basis, now),
        )
        if basis.decision == "auto_grant":
            outcome = "granted"
            expires_at = now + timedelta(hours=basis.grant_lifetime_hours)
        else:
            outcome = "pending_review"
            # Validation gives every review basis a deadline; without one it is due at once.
            review_deadline = now + timedelta(days=basis.review_deadline_days or 0)

    the_pack_digest = pack_digest(pack)
    input_digest = sha256_digest({"request": request.model_dump(mode="json"), "now": _iso(now)})
    cameras_digest = _cameras_digest(cameras)
    if decision_id is None:
        derived = sha256_digest({"pack": the_pack_digest, "input": input_digest, "cameras": cameras_digest})
        decision_id = "dec_" + derived.removeprefix("sha256:")[:32]

    return Decision(
        decision_id=decision_id,
        outcome=outcome,
        reasons=reasons,
        scope=scope,
        decided_at=now,
        expires_at=expires_at,
        review_deadline=review_deadline,
        pack_id=pack.id,
        pack_version=pack.version,
        pack_digest=the_pack_digest,
        input_digest=input_digest,
        cameras_digest=cameras_digest,
        legal_basis=request.legal_basis,
        citation=basis.citation if basis else None,
        mode=request.mode,
        requester=request.requester,
        mask_third_parties=basis.mask_third_parties if basis else True,
        onward_transfer=basis.onward_transfer if basis else "prohibited",
        restrictions=basis.restrictions if basis else (),
    )


def cameras_in_reach(
    location: GeoPoint | None, radius_m: float, cameras: Sequence[Site]
) -> list[tuple[float, str]]:
    """(distance, camera id) of active cameras whose coverage reaches within ``radius_m``.

    A camera is in reach when ``haversine(incident, camera) <= radius_m + coverage_m``.
    Nearest first, ties by id; a repeated id counts once, at its nearest position, so the
    answer does not depend on the order of ``cameras``.
    """
    if location is None:
        return []
    nearest: dict[str, float] = {}
    distance_to = haversine_from(location.lat, location.lon)
    for camera in cameras:
        if camera.status != "active":
            continue
        distance = distance_to(camera.lat, camera.lon)
        if distance <= radius_m + camera.coverage_m and distance < nearest.get(camera.camera_id, math.inf):
            nearest[camera.camera_id] = distance
    return sorted((distance, camera_id) for camera_id, distance in nearest.items())


def _scope_window(request: EvaluationRequest, basis: LegalBasis, now: datetime) -> TimeWindow:
    """The request window clipped to what exists and, defensively, to the basis limits."""
    start = max(request.window.start, now - timedelta(days=basis.max_lookback_days))
    end = request.window.end
    if request.mode == "recorded":
        end = min(end, now)
    else:
        start = max(start, now)
    end = min(end, start + timedelta(minutes=basis.max_window_minutes))
    return TimeWindow(start=start, end=end)


def _check_basis(request: EvaluationRequest, pack: PolicyPack, basis: LegalBasis | None) -> Reason:
    rule = "basis_known"
    if basis is None:
        known = ", ".join(b.id for b in pack.bases)
        return Reason(
            rule=rule,
            passed=False,
            message=f"legal basis {request.legal_basis!r} is not in policy pack "
            f"{pack.id} {pack.version} (known bases: {known})",
        )
    return Reason(
        rule=rule,
        passed=True,
        message=f"legal basis {basis.id!r} ({basis.citation}) is in policy pack {pack.id} {pack.version}",
    )


def _check_role(request: EvaluationRequest, basis: LegalBasis | None) -> Reason:
    rule = "role_allowed"
    if basis is None:
        return Reason(rule=rule, passed=False, message=f"the requester's role {_UNCHECKED}")
    role = str(request.requester.role)  # a Role is a StrEnum: its value, not its repr
    if role in basis.roles:
        return Reason(rule=rule, passed=True, message=f"role {role!r} may invoke {basis.id!r}")
    return Reason(
        rule=rule,
        passed=False,
        message=f"role {role!r} may not invoke {basis.id!r} (allowed roles: {', '.join(basis.roles)})",
    )


def _check_mode(request: EvaluationRequest, basis: LegalBasis | None) -> Reason:
    rule = "mode_allowed"
    if basis is None:
        return Reason(rule=rule, passed=False, message=f"the access mode {_UNCHECKED}")
    if request.mode in basis.modes:
        return Reason(rule=rule, passed=True, message=f"{request.mode} access is allowed on {basis.id!r}")
    return Reason(
        rule=rule,
        passed=False,
        message=f"{request.mode} access is not allowed on {basis.id!r} "
        f"(allowed modes: {', '.join(basis.modes)})",
    )


def _check_required_fields(request: EvaluationRequest, basis: LegalBasis | None) -> Reason:
    rule = "required_fields"
    if basis is None:
        return Reason(rule=rule, passed=False, message=f"the required fields {_UNCHECKED}")
    missing = [name for name in basis.required_fields if is_missing(getattr(request, name))]
    if missing:
        return Reason(
            rule=rule,
            passed=False,
            message=f"missing required field(s) for {basis.id!r}: {', '.join(missing)}",
        )
    if not basis.required_fields:
        return Reason(rule=rule, passed=True, message=f"{basis.id!r} requires no extra fields")
    return Reason(
        rule=rule,
        passed=True,
        message=f"all fields required by {basis.id!r} are present: {', '.join(basis.required_fields)}",
    )


def _check_radius(request: EvaluationRequest, basis: LegalBasis | None) -> Reason:
    rule = "radius_limit"
    if basis is None:
        return Reason(rule=rule, passed=False, message=f"the radius {_UNCHECKED}")
    radius, limit = request.radius_m, basis.max_radius_m
    if radius <= 0:
        return Reason(rule=rule, passed=False, message=f"radius must be positive, got {_m(radius)}")
    if radius > limit:
        return Reason(
            rule=rule,
            passed=False,
            message=f"radius {_m(radius)} exceeds the limit of {_m(limit)} for {basis.id!r}",
        )
    return Reason(rule=rule, passed=True, message=f"radius {_m(radius)} is within the limit of {_m(limit)}")


def _check_window_order(request: EvaluationRequest) -> Reason:
    rule = "window_order"
    start, end = request.window.start, request.window.end
    if end <= start:
        return Reason(
            rule=rule,
            passed=False,
            message=f"window end {_iso(end)} is not after its start {_iso(start)}",
        )
    return Reason(rule=rule, passed=True, message=f"window is {_iso(start)} to {_iso(end)}")


def _check_window_length(request: EvaluationRequest, basis: LegalBasis | None) -> Reason:
    rule = "window_length"
    if basis is None:
        return Reason(rule=rule, passed=False, message=f"the window length {_UNCHECKED}")
    minutes = request.window.duration.total_seconds() / 60
    limit = basis.max_window_minutes
    if minutes <= 0:
        return Reason(rule=rule, passed=False, message="window has no length")
    if minutes > limit:
        return Reason(
            rule=rule,
            passed=False,
            message=f"window of {_num(minutes)} minutes exceeds the limit of {limit} minutes "
            f"for {basis.id!r}",
        )
    return Reason(
        rule=rule,
        passed=True,
        message=f"window of {_num(minutes)} minutes is within the limit of {limit} minutes",
    )


def _check_window_lookback(request: EvaluationRequest, basis: LegalBasis | None, now: datetime) -> Reason:
    rule = "window_lookback"
    if basis is None:
        return Reason(rule=rule, passed=False, message=f"the look-back {_UNCHECKED}")
    earliest = now - timedelta(days=basis.max_lookback_days)
    if request.window.start < earliest:
        return Reason(
            rule=rule,
            passed=False,
            message=f"window starts at {_iso(request.window.start)}, before the look-back limit "
            f"of {basis.max_lookback_days} days for {basis.id!r} (earliest {_iso(earliest)})",
        )
    return Reason(
        rule=rule,
        passed=True,
        message=f"window starts within the look-back limit of {basis.max_lookback_days} days",
    )


def _check_window_timing(request: EvaluationRequest, now: datetime) -> Reason:
    rule = "window_timing"
    start, end = request.window.start, request.window.end
    if request.mode == "recorded":
        if start >= now:
            return Reason(
                rule=rule,
                passed=False,
                message=f"window starts at {_iso(start)}, not before now ({_iso(now)}): "
                "no recorded footage exists for it yet",
            )
        return Reason(rule=rule, passed=True, message="window starts in the past")
    if start > now:
        return Reason(
            rule=rule,
            passed=False,
            message=f"live window starts in the future at {_iso(start)}; ask when it begins",
        )
    if end <= now:
        return Reason(
            rule=rule,
            passed=False,
            message=f"live window ended at {_iso(end)}; ask for recorded footage instead",
        )
    return Reason(rule=rule, passed=True, message="live window is open now")


def _check_cameras(request: EvaluationRequest, reach: list[tuple[float, str]]) -> Reason:
    rule = "cameras_in_scope"
    if request.incident_location is None:
        return Reason(rule=rule, passed=False, message="no incident location, so no camera can be in scope")
    if not reach:
        return Reason(
            rule=rule,
            passed=False,
            message=f"no active camera's coverage reaches within {_m(request.radius_m)} "
            "of the incident location",
        )
    distance, nearest = reach[0]
    return Reason(
        rule=rule,
        passed=True,
        message=f"{len(reach)} active camera(s) reach the incident location; nearest "
        f"{nearest!r} at {distance:.1f} m",
    )


def _cameras_digest(cameras: Sequence[Site]) -> str:
    """Digest of the camera set, order-blind like the scope itself."""
    rows = sorted(
        (camera.camera_id, camera.lat, camera.lon, camera.coverage_m, camera.status)
        for camera in cameras
    )
    if all(type(lat) is float and type(lon) is float and type(cov) is float
           and math.isfinite(lat + lon + cov) for _, lat, lon, cov, _ in rows):
        # The canonical JSON of these rows, written out directly: json.dumps with sorted keys
        # spells a finite float as its repr and a string as encode_basestring does, and the
        # keys of each row sort as below (tests/policy hold the two spellings equal).
        text = "[" + ",".join(
            f'{{"camera_id":{_json_str(c)},"coverage_m":{cov!r},"lat":{lat!r},"lon":{lon!r},'
            f'"status":{_json_str(st)}}}' for c, lat, lon, cov, st in rows) + "]"
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return sha256_digest(
        [{"camera_id": c, "lat": lat, "lon": lon, "coverage_m": cov, "status": st}
         for c, lat, lon, cov, st in rows]
    )


def _iso(moment: datetime) -> str:
    return rfc3339(to_utc(moment))


def _num(value: float) -> str:
    return f"{value:.10g}"


def _m(value: float) -> str:
    return f"{_num(value)} m"
