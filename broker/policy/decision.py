"""Decisions: the evaluator's answer with every reason, ready to be stamped on an event."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from broker.policy.pack import OnwardTransfer
from broker.policy.request import Requester, TimeWindow
from broker.policy.values import FrozenModel, Mode, UtcDatetime

Outcome = Literal["granted", "denied", "pending_review"]


class Reason(FrozenModel):
    """One rule that was checked; ``message`` says in plain English what was found."""

    rule: str
    passed: bool
    message: str


class Scope(FrozenModel):
    """What a grant covers: cameras nearest first and one clipped window; empty when denied."""

    camera_ids: tuple[str, ...] = ()
    window: TimeWindow | None = None

    @property
    def is_empty(self) -> bool:
        return not self.camera_ids or self.window is None


class ReviewRecord(FrozenModel):
    """Who settled a pending decision, when, and why; ``late`` if after the legal deadline."""

    reviewer: str = Field(min_length=1)
    reviewed_at: UtcDatetime
    approved: bool
    reason: str = Field(min_length=1)
    late: bool


class Decision(FrozenModel):
    """The pure result of evaluating one request against one pack (an OPA-style decision log)."""

    decision_id: str
    outcome: Outcome
    reasons: tuple[Reason, ...]
    scope: Scope
    decided_at: UtcDatetime
    expires_at: UtcDatetime | None
    review_deadline: UtcDatetime | None
    pack_id: str
    pack_version: str
    pack_digest: str
    input_digest: str
    cameras_digest: str
    legal_basis: str
    citation: str | None
    mode: Mode
    requester: Requester
    mask_third_parties: bool
    onward_transfer: OnwardTransfer
    restrictions: tuple[str, ...]
    review: ReviewRecord | None = None

    @property
    def failed_reasons(self) -> tuple[Reason, ...]:
        return tuple(reason for reason in self.reasons if not reason.passed)
