"""Human and API views of a pack, so reviewers and clients see the rules that will judge them."""

from __future__ import annotations

from typing import Any

from broker.policy.pack import LegalBasis, PolicyPack, pack_digest


def _limits(basis: LegalBasis) -> dict[str, Any]:
    return {
        "max_radius_m": basis.max_radius_m,
        "max_window_minutes": basis.max_window_minutes,
        "max_lookback_days": basis.max_lookback_days,
        "grant_lifetime_hours": basis.grant_lifetime_hours,
        "review_deadline_days": basis.review_deadline_days,
    }


def pack_public_view(pack: PolicyPack) -> dict[str, Any]:
    """JSON-ready body of ``GET /v1/policy``: everything a requester needs to ask lawfully."""
    return {
        "id": pack.id,
        "version": pack.version,
        "digest": pack_digest(pack),
        "jurisdiction": pack.jurisdiction,
        "title": pack.title,
        "default_retention_days": pack.default_retention_days,
        "record_retention_days": pack.record_retention_days,
        "bases": [
            {
                "id": basis.id,
                "citation": basis.citation,
                "title": basis.title,
                "description": basis.description,
                "roles": list(basis.roles),
                "modes": list(basis.modes),
                "required_fields": list(basis.required_fields),
                "portal_reason": basis.portal_reason,
                "decision": basis.decision,
                "limits": _limits(basis),
                "mask_third_parties": basis.mask_third_parties,
                "onward_transfer": basis.onward_transfer,
                "restrictions": list(basis.restrictions),
            }
            for basis in pack.bases
        ],
    }


def describe(pack: PolicyPack) -> str:
    """Plain-text summary for ``broker policy check FILE``."""
    lines = [
        f"pack:         {pack.id} {pack.version}",
        f"title:        {pack.title}",
        f"jurisdiction: {pack.jurisdiction}",
        f"digest:       {pack_digest(pack)}",
        f"retention:    footage {pack.default_retention_days} days by default, "
        f"records {pack.record_retention_days} days",
        f"bases:        {len(pack.bases)}",
    ]
    for basis in pack.bases:
        if basis.decision == "review":
            decision = f"review within {basis.review_deadline_days} days"
        else:
            decision = "auto_grant"
        lines += [
            "",
            f"- {basis.id}: {basis.title}",
            f"    citation:  {basis.citation}",
            f"    roles:     {', '.join(basis.roles)}",
            f"    modes:     {', '.join(basis.modes)}",
            f"    decision:  {decision}; grant lasts {basis.grant_lifetime_hours} h",
            f"    limits:    radius {basis.max_radius_m:g} m,"
            f" window {basis.max_window_minutes} min,"
            f" look-back {basis.max_lookback_days} days",
            f"    requires:  {', '.join(basis.required_fields) or '(nothing extra)'}",
            f"    masking:   {'third parties masked' if basis.mask_third_parties else 'none'};"
            f" onward transfer {basis.onward_transfer}",
        ]
        lines += [f"    restrict:  {item}" for item in basis.restrictions]
    return "\n".join(lines) + "\n"
