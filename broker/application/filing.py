"""Filing a request, for agencies and citizens alike: is it complete, what would be decided,
and the request aggregate with its personal data sealed and the pack's decision recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import uuid4

from broker.adapters.vault.keystore import PendingKey
from broker.adapters.vault.personal_data import PERSONAL_CONTEXT, subject_key_id
from broker.application.context import Context
from broker.common.times import rfc3339
from broker.domain.request import FootageRequest
from broker.errors import InvalidInput
from broker.policy import (
    Decision,
    EvaluationRequest,
    RequestField,
    Site,
    evaluate,
    missing_fields,
)
from broker.readmodel import camera_view

FieldLocations = Mapping[RequestField, list[str]]
"""Where each policy field sits in the body a client sent (``["body", "incident", "kind"]``)."""


def require_complete(request: EvaluationRequest, ctx: Context, locations: FieldLocations) -> None:
    """422 naming every field the basis requires and the request lacks; nothing is recorded.

    Incomplete is not denied: a denial is a legal decision, a forgotten field is a slip.
    """
    missing = missing_fields(request, ctx.policy)
    if missing:
        raise InvalidInput(
            f"incomplete for legal basis {request.legal_basis!r}: "
            f"{', '.join(item.field for item in missing)} missing; nothing was recorded",
            errors=[{"loc": locations.get(item.field, ["body", item.field]), "msg": item.rule}
                    for item in missing])


def preview(request: EvaluationRequest, ctx: Context) -> dict[str, Any]:
    """The decision a filing would get now, without recording or sealing anything; the scope
    is given as counts only (no camera ids, no footage)."""
    decision = decide(request, ctx, f"dry_{uuid4().hex}")
    window = decision.scope.window
    return {
        "dry_run": True,
        "legal_basis": decision.legal_basis,
        "citation": decision.citation,
        "outcome": decision.outcome,
        "reasons": [reason.model_dump(mode="json") for reason in decision.reasons],
        "scope": {"cameras": len(decision.scope.camera_ids),
                  "window": {"start": rfc3339(window.start), "end": rfc3339(window.end)}
                  if window else None},
        "review_deadline": rfc3339(decision.review_deadline) if decision.review_deadline else None,
        "expires_at": rfc3339(decision.expires_at) if decision.expires_at else None,
        "mask_third_parties": decision.mask_third_parties,
    }


def decide(request: EvaluationRequest, ctx: Context, decision_id: str) -> Decision:
    """The pure evaluator, with the cameras the read model says are in reach now."""
    sites: Sequence[Site] = ()
    if request.incident_location is not None:
        sites = sites_near(ctx, request.incident_location.lat, request.incident_location.lon,
                           request.radius_m)
    return evaluate(request, ctx.policy, sites, ctx.clock.now(), decision_id=decision_id)


def request_details(request: EvaluationRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request as the v1 API spells it, split in two: what may stand in the event in the
    clear, and personal data (caller location, free text about persons, identity references)
    that is sealed under the subject's key."""
    location = request.incident_location
    public: dict[str, Any] = {
        "legal_basis": request.legal_basis,
        "mode": request.mode,
        "incident": {
            "reference": request.incident_reference,
            "kind": request.incident_kind,
            "occurred_at": request.occurred_at.isoformat() if request.occurred_at else None,
        },
        "radius_m": request.radius_m,
        "window": {"start": request.window.start.isoformat(),
                   "end": request.window.end.isoformat()},
    }
    personal: dict[str, Any] = {
        "incident_location": {"lat": location.lat, "lon": location.lon} if location else None,
        "purpose": request.purpose,
    }
    for optional in ("claim_reference", "identity_proof", "consent_reference"):
        value = getattr(request, optional)
        if value is not None:
            personal[optional] = value
    return public, personal


def judged_request(ctx: Context, request: EvaluationRequest, extra_personal: dict[str, Any],
                   supersedes: str | None = None) -> tuple[FootageRequest, PendingKey]:
    """A new request aggregate with its personal data sealed under a fresh subject key (to be
    stored with it: ``record(..., keys=[key])``) and the pack's decision; ``supersedes`` names
    the pending request an amendment replaces."""
    now = ctx.clock.now()
    request_id = uuid4()
    public, personal = request_details(request)
    if supersedes is not None:
        public["supersedes"] = supersedes
    key_id = subject_key_id("footage_request", request_id)
    sealed, pending_key = ctx.personal_data.seal_new(key_id, {**personal, **extra_personal},
                                                     PERSONAL_CONTEXT)
    footage_request = FootageRequest(
        id=request_id, requester=request.requester.model_dump(mode="json"), details=public,
        sealed_personal_data=sealed, subject_key_id=key_id, at=now,
    )
    decision = decide(request, ctx, f"dec_{footage_request.id.hex}")
    footage_request.decide(decision.model_dump(mode="json"), at=now)
    return footage_request, pending_key


def sites_near(ctx: Context, lat: float, lon: float, radius_m: float) -> list[camera_view.Site]:
    """Cameras whose coverage reaches within a radius of a point (the read model's spatial index)."""
    with ctx.readmodel.reader.connect() as conn:
        return camera_view.sites_in_reach(conn, lat, lon, radius_m)
