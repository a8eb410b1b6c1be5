"""Settling a pending decision: pure functions the review use case calls with its own clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from broker.errors import Conflict, Forbidden, InvalidInput
from broker.policy.decision import Decision, Reason, ReviewRecord, Scope
from broker.policy.pack import PolicyPack, pack_digest
from broker.policy.values import to_utc


class ReviewError(Conflict):
    """A review the decision's state does not allow: not pending, another pack, too early.

    Reviewing one's own request raises ``Forbidden``, a missing reviewer or reason ``InvalidInput``,
    so that the API answers each with its own status.
    """


def approve_review(
    decision: Decision, pack: PolicyPack, now: datetime, reviewer: str, reason: str
) -> Decision:
    """Turn a pending decision into a grant that expires ``grant_lifetime_hours`` after ``now``.

    The pack must be the one that judged the request (same digest): the lifetime comes from
    it. The scope stays as reviewed. An approval after the deadline is still recorded (late
    access beats none) and marked late.
    """
    now = _check_common(decision, now, reviewer, reason)
    if pack.id != decision.pack_id or pack_digest(pack) != decision.pack_digest:
        raise ReviewError(
            f"decision was made under {decision.pack_id} {decision.pack_version} "
            f"({decision.pack_digest}); re-evaluate under the current pack instead"
        )
    basis = pack.basis(decision.legal_basis)
    if basis is None:  # impossible when the digests match; kept for deny-by-default
        raise ReviewError(f"legal basis {decision.legal_basis!r} is not in the pack")
    late = decision.review_deadline is not None and now > decision.review_deadline
    record = ReviewRecord(
        reviewer=reviewer.strip(), reviewed_at=now, approved=True, reason=reason.strip(), late=late
    )
    note = " after the review deadline" if late else ""
    return decision.model_copy(
        update={
            "outcome": "granted",
            "expires_at": now + timedelta(hours=basis.grant_lifetime_hours),
            "reasons": (
                *decision.reasons,
                Reason(
                    rule="review",
                    passed=True,
                    message=f"approved by {record.reviewer}{note}: {record.reason}",
                ),
            ),
            "review": record,
        }
    )


def deny_review(decision: Decision, now: datetime, reviewer: str, reason: str) -> Decision:
    """Turn a pending decision into a denial with the reviewer's reason and an empty scope."""
    now = _check_common(decision, now, reviewer, reason)
    late = decision.review_deadline is not None and now > decision.review_deadline
    record = ReviewRecord(
        reviewer=reviewer.strip(), reviewed_at=now, approved=False, reason=reason.strip(), late=late
    )
    return decision.model_copy(
        update={
            "outcome": "denied",
            "scope": Scope(),
            "expires_at": None,
            "reasons": (
                *decision.reasons,
                Reason(
                    rule="review",
                    passed=False,
                    message=f"denied by {record.reviewer}: {record.reason}",
                ),
            ),
            "review": record,
        }
    )


def _check_common(decision: Decision, now: datetime, reviewer: str, reason: str) -> datetime:
    """Rules of every review: pending, a named reviewer who is not the requester, a reason."""
    now = to_utc(now)
    if decision.outcome != "pending_review":
        raise ReviewError(f"decision {decision.decision_id} is {decision.outcome}, not pending")
    if not reviewer.strip():
        raise InvalidInput("a reviewer must be named")
    if reviewer.strip() == decision.requester.client_id:
        raise Forbidden("nobody reviews their own request, to approve or to deny it")
    if not reason.strip():
        raise InvalidInput("a review needs a reason")
    if now < decision.decided_at:
        raise ReviewError("a review cannot precede the decision it settles")
    return now
