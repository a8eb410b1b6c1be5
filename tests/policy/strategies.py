"""Hypothesis strategies: packs (shipped and generated), requests that are mostly lawful, cameras."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from broker.policy import (
    MODES,
    ONWARD_TRANSFERS,
    REQUEST_FIELDS,
    ROLES,
    CameraSite,
    EvaluationRequest,
    GeoPoint,
    LegalBasis,
    PolicyPack,
    Requester,
    TimeWindow,
)
from tests.policy.builders import (
    CENTRE,
    FIELD_VALUES,
    NOW,
    SHIPPED,
    camera,
    offset,
    shipped_pack,
)

SHIPPED_PACKS = tuple(shipped_pack(name) for name in SHIPPED)
ZONES = (UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30)))


@dataclass(frozen=True)
class Scenario:
    pack: PolicyPack
    request: EvaluationRequest
    cameras: tuple[CameraSite, ...]
    now: datetime


@st.composite
def legal_bases(draw: st.DrawFn, basis_id: str) -> LegalBasis:
    decision = draw(st.sampled_from(["auto_grant", "review"]))
    mask = draw(st.booleans())
    onward = draw(st.sampled_from([o for o in ONWARD_TRANSFERS if mask or o != "unrestricted"]))
    return LegalBasis(
        id=basis_id,
        citation="Test Act Art. 1",
        title="Generated basis",
        description="Generated for property tests.",
        roles=tuple(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True))),
        modes=tuple(draw(st.lists(st.sampled_from(MODES), min_size=1, unique=True))),
        required_fields=tuple(draw(st.lists(st.sampled_from(REQUEST_FIELDS), max_size=4, unique=True))),
        max_radius_m=draw(st.floats(min_value=1.0, max_value=2000.0)),
        max_window_minutes=draw(st.integers(min_value=1, max_value=600)),
        max_lookback_days=draw(st.integers(min_value=1, max_value=40)),
        decision=decision,
        review_deadline_days=draw(st.integers(1, 60)) if decision == "review" else None,
        grant_lifetime_hours=draw(st.integers(min_value=1, max_value=200)),
        mask_third_parties=mask,
        onward_transfer=onward,
    )


@st.composite
def packs(draw: st.DrawFn) -> PolicyPack:
    if draw(st.booleans()):
        return draw(st.sampled_from(SHIPPED_PACKS))
    ids = draw(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta"]), min_size=1, unique=True))
    return PolicyPack(
        id="generated",
        version="0",
        jurisdiction="XX",
        title="Generated pack",
        record_retention_days=365,
        bases=tuple(draw(legal_bases(basis_id)) for basis_id in ids),
    )


def near(centre: GeoPoint, max_m: float) -> st.SearchStrategy[GeoPoint]:
    offsets = st.floats(min_value=-max_m, max_value=max_m)
    return st.builds(offset, offsets, offsets, st.just(centre))


def cameras_near(centre: GeoPoint) -> st.SearchStrategy[list[CameraSite]]:
    one = st.builds(
        camera,
        camera_id=st.sampled_from([f"cam-{i}" for i in range(12)]),
        north_m=st.floats(min_value=-800, max_value=800),
        east_m=st.floats(min_value=-800, max_value=800),
        coverage_m=st.floats(min_value=0, max_value=250),
        status=st.sampled_from(["active", "active", "active", "decommissioned"]),
        centre=st.just(centre),
    )
    return st.lists(one, max_size=15)


def _maybe(draw: st.DrawFn, lawful: Any, other: st.SearchStrategy[Any], p_lawful: float) -> Any:
    """``lawful`` with probability ``p_lawful``, else a draw from ``other``."""
    return lawful if draw(st.floats(0, 1)) < p_lawful else draw(other)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    pack = draw(packs())
    zone = draw(st.sampled_from(ZONES))
    now = (NOW + timedelta(seconds=draw(st.integers(0, 10**7)))).astimezone(zone)
    basis = draw(st.sampled_from(pack.bases))
    # One lawfulness level per scenario, so that grants are common enough to test.
    p = draw(st.sampled_from([1.0, 0.97, 0.8]))
    basis_id = _maybe(draw, basis.id, st.sampled_from(["unknown", "", "CRIME"]), p)
    role = _maybe(draw, draw(st.sampled_from(basis.roles)), st.sampled_from(ROLES), p)
    mode = _maybe(draw, draw(st.sampled_from(basis.modes)), st.sampled_from(MODES), p)

    limit_s = basis.max_window_minutes * 60
    lookback_s = basis.max_lookback_days * 86400
    if mode == "live" and draw(st.floats(0, 1)) < p:
        start = now - timedelta(seconds=draw(st.integers(0, limit_s // 2)))
        end = start + timedelta(seconds=draw(st.integers(1, limit_s)))
    elif draw(st.floats(0, 1)) < p:
        start = now - timedelta(seconds=draw(st.integers(1, lookback_s)))
        end = start + timedelta(seconds=draw(st.integers(1, limit_s)))
    else:
        start = now + timedelta(seconds=draw(st.integers(-lookback_s - 86400, 86400)))
        end = start + timedelta(seconds=draw(st.integers(-3600, limit_s + 3600)))
    window = TimeWindow(start=start.astimezone(zone), end=end.astimezone(zone))

    radius = _maybe(
        draw,
        draw(st.floats(min_value=1.0, max_value=basis.max_radius_m)),
        st.floats(min_value=-10.0, max_value=2500.0),
        p,
    )
    location = _maybe(draw, draw(near(CENTRE, 400)), st.none(), p)
    fields: dict[str, Any] = {}
    for name in REQUEST_FIELDS:
        if name == "incident_location":
            continue
        present = FIELD_VALUES[name]
        if name == "occurred_at":
            fields[name] = _maybe(draw, now - timedelta(hours=1), st.none(), p)
        else:
            fields[name] = _maybe(draw, present, st.sampled_from([None, "", "  "]), p)

    request = EvaluationRequest(
        requester=Requester(role=role, client_id="client-1", agency="Agency"),
        legal_basis=basis_id,
        mode=mode,
        radius_m=radius,
        window=window,
        incident_location=location,
        **fields,
    )
    around = location or CENTRE
    cameras = draw(cameras_near(around))
    if draw(st.booleans()):
        cameras.append(camera("cam-close", north_m=draw(st.floats(-30, 30)), centre=around))
    return Scenario(pack=pack, request=request, cameras=tuple(cameras), now=now)
