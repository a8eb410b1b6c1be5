"""The audit trail, the provision ledger, chain verification and the transparency report."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from broker.entrypoints.api.schemas.common import Public


class AuditActor(Public):
    client_id: str | None = Field(description="an API client's id, person:<id> for a person, "
                                              "cli:<user> for the shell")
    role: str | None
    agency: str | None
    name: str | None = Field(default=None, description="the person's or client's name")


class AuditEvent(Public):
    position: int = Field(description="the event's leaf index in the Merkle tree")
    at: AwareDatetime
    event_type: str
    aggregate_id: str
    actor: AuditActor
    request_id: str | None
    grant_id: str | None
    clip_id: str | None
    camera_ids: list[str]
    legal_basis: str | None
    outcome: str | None
    detail: dict[str, Any] | None


class AuditPage(Public):
    items: list[AuditEvent]
    next_cursor: str | None


class LedgerCamera(Public):
    id: str
    name: str | None
    address: str | None


class LedgerEntry(Public):
    """One provision beyond the footage's purpose (PIPA Art. 18(4)-(5), Decree Art. 15)."""

    provided_at: AwareDatetime
    file_name: str
    recipient_agency: str
    recipient_role: str
    purpose: str
    legal_basis: str
    legal_ground: str | None
    items: str
    cameras: list[LedgerCamera]
    window_start: AwareDatetime
    window_end: AwareDatetime
    period_until: AwareDatetime
    method: str
    restrictions: str
    onward_transfer: str
    status: str
    views: int
    exports: int
    grant_id: str
    request_id: str


class LedgerPage(Public):
    items: list[LedgerEntry]
    next_cursor: str | None


class SigningKey(Public):
    algorithm: str
    key_name: str
    raw_base64: str
    vkey: str = Field(description="the log's C2SP verifier key: name+id+key in one string")


class ChainVerification(Public):
    ok: bool
    events_checked: int
    tree_size: int
    events_not_yet_in_tree: int
    checkpoints_verified: int
    first_bad_position: int | None
    first_bad_event: dict[str, Any] | None
    reason: str
    latest_checkpoint: str | None
    public_key: SigningKey


class CheckpointList(Public):
    items: list[str] = Field(description="signed notes (C2SP tlog-checkpoint), oldest first")
    origin: str
    log_key: str = Field(description="the log's C2SP verifier key (vkey)")
    key_name: str
    public_key_raw_base64: str
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class ConsistencyProof(Public):
    old_size: int
    new_size: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, base64 node hashes")


class OutcomeCounts(Public):
    """One row of a breakdown: its key, the total, and a count per outcome."""

    model_config = ConfigDict(extra="allow")
    key: str
    total: int


class Duration(Public):
    value: float
    unit: Literal["minutes", "hours", "days"]


class RequestFigures(Public):
    total: int
    by_outcome: dict[str, int] = Field(description=(
        "granted, denied, pending_review, and withdrawn or superseded requests apart"))
    by_month: list[OutcomeCounts]
    by_legal_basis: list[OutcomeCounts]
    by_agency_kind: list[OutcomeCounts]
    by_policy_pack: list[OutcomeCounts] = Field(
        description="decisions by the pack and version that made them (`kr-pipa 1.2.0`)")
    median_hours_to_decision: float | None
    median_minutes_to_decision: float | None = Field(description="over decided requests only")
    median_time_to_decision: Duration | None
    refusals: int = Field(description="denials: legal decisions, never incomplete filings")
    ended_by_requester: dict[str, int]
    reviews_overdue: int


class CitizenFigures(Public):
    filed: int
    granted: int


class PurgeFigures(Public):
    on_time: int
    late: int
    grace_minutes: float


class DistrictCount(Public):
    district: str
    requests: int


class CoverageFigures(Public):
    """Where requests were, told no finer than a district; blind spots only as a count."""

    cell_m: int
    min_count: int = Field(description="k: cells and districts with fewer requests are pooled")
    blind_spots: int = Field(description="cells with at least k requests no fixed camera reaches")
    requests_in_blind_spots: int
    requests_by_district: list[DistrictCount] = Field(
        description="each cell counted in the district of the camera nearest its centre; "
                    "districts under k are pooled")
    requests_in_other_districts: int = Field(
        description="the pooled districts: 0 or at least k (the smallest listed ones join a "
                    "smaller pool), unless no district reaches k")
    requests_without_location: int = Field(description="personal data erased, or no location")


class TransparencyReport(Public):
    year: int
    requests: RequestFigures
    citizen_requests: CitizenFigures
    clips_purged_for_retention: PurgeFigures
    coverage: CoverageFigures
