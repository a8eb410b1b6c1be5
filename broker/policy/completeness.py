"""Is a request complete for its basis? A missing field is the requester's slip, not a legal
decision: it is refused before anything is recorded, naming each field and the rule that
wants it. A complete request that is not allowed (role, limits, an unknown basis) is judged
by ``evaluate`` and recorded as a reasoned denial."""

from __future__ import annotations

from dataclasses import dataclass

from broker.policy.pack import PolicyPack, RequestField
from broker.policy.request import EvaluationRequest


@dataclass(frozen=True, slots=True)
class MissingField:
    field: RequestField
    rule: str


def missing_fields(request: EvaluationRequest, pack: PolicyPack) -> tuple[MissingField, ...]:
    """The fields the request's basis requires and the request lacks (blank text counts as
    missing); none for an unknown basis, which is a decision for the evaluator."""
    basis = pack.basis(request.legal_basis)
    if basis is None:
        return ()
    return tuple(
        MissingField(name, f"required by legal basis {basis.id!r} ({basis.citation})")
        for name in basis.required_fields if is_missing(getattr(request, name)))


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
