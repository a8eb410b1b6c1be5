"""Footage requests, their decisions and grants, and legal holds, as the API reads them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, RowMapping, insert, select, update

from broker.adapters.vault.personal_data import PERSONAL_CONTEXT, PersonalData
from broker.common.times import as_utc, rfc3339
from broker.domain import events
from broker.readmodel.projection import ReadModelView, ViewProjection
from broker.readmodel.rows import PendingRows
from broker.readmodel.tables import footage_requests, hold_cameras, holds


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


ERASED: dict[str, Any] = {"incident_location": None, "purpose": None}
CITIZEN_FIELDS = ("requester_name", "requester_contact", "description")


def with_personal(details: dict[str, Any], personal: dict[str, Any] | None,
                  citizen: bool) -> dict[str, Any]:
    """The API shape: public details plus the opened personal data, or a mark that it is gone."""
    merged = json.loads(json.dumps(details))
    opened = personal if personal is not None else ERASED
    merged["incident"]["location"] = opened.get("incident_location")
    merged["purpose"] = opened.get("purpose")
    for optional in ("claim_reference", "identity_proof", "consent_reference"):
        if optional in opened:
            merged[optional] = opened[optional]
    if personal is None and citizen:
        merged["citizen"] = {field: None for field in CITIZEN_FIELDS}
    elif any(field in opened for field in CITIZEN_FIELDS):
        merged["citizen"] = {field: opened.get(field) for field in CITIZEN_FIELDS}
    merged["personal_data"] = "present" if personal is not None else "erased"
    return merged


def open_personal(personal_data: PersonalData, row: RowMapping) -> dict[str, Any] | None:
    """The request's personal data, opened now; None once erased (its key shredded)."""
    if row["sealed_personal_data"] is None or row["subject_key_id"] is None:
        return None
    return personal_data.open(row["subject_key_id"], row["sealed_personal_data"], PERSONAL_CONTEXT)


class RequestView(ViewProjection):
    """Footage requests with their decision, grant and status. Personal data stays sealed here
    as in the event, and is opened on read: shredding the subject key erases every copy.

    A request filed in this batch is held in memory until the batch ends, so its decision and
    grant (usually the same batch) cost no UPDATE of their own."""

    def __init__(self, view: ReadModelView) -> None:
        super().__init__(view)
        self._rows = PendingRows(footage_requests)

    def flush(self) -> None:
        self._rows.flush(self.conn)

    def discard(self) -> None:
        self._rows.discard()

    def _change(self, event: Any, **values: Any) -> None:
        self._rows.change(self.conn, str(event.originator_id), **values)

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a request event."""

    @process_event.register(events.RequestSubmitted)
    def _submitted(self, event: Any, tracking: Tracking) -> None:
        requester = event.requester
        sealed = event.sealed_personal_data
        self._rows.add(
            id=str(event.originator_id), client_id=requester["client_id"],
            agency=requester["agency"], role=requester["role"],
            legal_basis=event.details["legal_basis"], mode=event.details["mode"],
            status="submitted", details=_dumps(event.details), submitted_at=event.at,
            sealed_personal_data=sealed, subject_key_id=event.subject_key_id,
            personal_erased_at=None if sealed is not None else event.at,
        )

    @process_event.register(events.RequestPersonalDataErased)
    def _personal_data_erased(self, event: Any, tracking: Tracking) -> None:
        """The key is shredded; the sealed copy here is unreadable, and dropped all the same."""
        self._change(event, sealed_personal_data=None, personal_erased_at=event.at)

    @process_event.register(events.RequestDecided)
    def _decided(self, event: Any, tracking: Tracking) -> None:
        decision = event.decision
        deadline = decision.get("review_deadline")
        self._change(
            event, decision=_dumps(decision), decided_at=event.at,
            review_deadline=datetime.fromisoformat(deadline) if deadline else None,
            status="pending_review" if decision["outcome"] == "pending_review" else "submitted",
        )

    @process_event.register(events.RequestReviewed)
    def _reviewed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, decision=_dumps(event.decision))

    @process_event.register(events.RequestGranted)
    def _granted(self, event: Any, tracking: Tracking) -> None:
        grant = {"id": event.grant_id, "camera_ids": event.camera_ids, "window": event.window,
                 "expires_at": event.expires_at, "mask_third_parties": event.mask_third_parties,
                 "onward_transfer": event.onward_transfer, "restrictions": event.restrictions}
        self._change(event, status="granted", grant_id=event.grant_id, grant=_dumps(grant),
                     expires_at=datetime.fromisoformat(event.expires_at))

    @process_event.register(events.RequestDenied)
    def _denied(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="denied")

    @process_event.register(events.RequestClosed)
    def _closed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="closed", closed_at=event.at)

    @process_event.register(events.RequestRevoked)
    def _revoked(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="revoked")

    @process_event.register(events.RequestExpired)
    def _expired(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="expired")

    @process_event.register(events.RequestWithdrawn)
    def _withdrawn(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="withdrawn")

    @process_event.register(events.RequestSuperseded)
    def _superseded(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="superseded", superseded_by=event.by_request_id)

    @process_event.register(events.RequestReviewOverdue)
    def _review_overdue(self, event: Any, tracking: Tracking) -> None:
        self._change(event, overdue_at=event.at)

    @process_event.register(events.RequestAccessTokenIssued)
    def _access_token_issued(self, event: Any, tracking: Tracking) -> None:
        self._change(event, access_token_hash=event.token_sha256)

    @process_event.register(events.RequestDelivered)
    def _delivered(self, event: Any, tracking: Tracking) -> None:
        self._change(event, delivered_at=event.at)


class HoldView(ViewProjection):
    """Legal holds and the cameras they keep."""

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a hold event."""

    @process_event.register(events.HoldPlaced)
    def _placed(self, event: Any, tracking: Tracking) -> None:
        hold_id = str(event.originator_id)
        self.conn.execute(insert(holds).values(
            id=hold_id, case_reference=event.case_reference, start=event.start, end=event.end,
            status="active", placed_by=event.placed_by, agency=event.agency,
            request_id=event.request_id, reason=event.reason, placed_at=event.at,
            until=event.until,
        ))
        self.conn.execute(insert(hold_cameras), [{"hold_id": hold_id, "camera_id": camera_id}
                                                 for camera_id in event.camera_ids])

    @process_event.register(events.HoldReleased)
    def _released(self, event: Any, tracking: Tracking) -> None:
        self.conn.execute(update(holds).where(holds.c.id == str(event.originator_id))
                          .values(status="released", released_at=event.at))


# queries ----------------------------------------------------------------------------------

def get_request_row(conn: Connection, request_id: str) -> RowMapping | None:
    query = select(footage_requests).where(footage_requests.c.id == request_id)
    return conn.execute(query).mappings().one_or_none()


def get_request_by_grant(conn: Connection, grant_id: str) -> RowMapping | None:
    query = select(footage_requests).where(footage_requests.c.grant_id == grant_id)
    return conn.execute(query).mappings().one_or_none()


def pending_reviews(conn: Connection, limit: int = 100) -> list[RowMapping]:
    query = (select(footage_requests).where(footage_requests.c.status == "pending_review")
             .order_by(footage_requests.c.review_deadline, footage_requests.c.id).limit(limit))
    return list(conn.execute(query).mappings())


def active_hold_ids_for_request(conn: Connection, request_id: str) -> list[str]:
    query = select(holds.c.id).where(holds.c.request_id == request_id, holds.c.status == "active")
    return [row[0] for row in conn.execute(query)]


def get_hold_row(conn: Connection, hold_id: str) -> RowMapping | None:
    return conn.execute(select(holds).where(holds.c.id == hold_id)).mappings().one_or_none()


def hold_camera_ids(conn: Connection, hold_id: str) -> list[str]:
    query = select(hold_cameras.c.camera_id).where(hold_cameras.c.hold_id == hold_id)
    return sorted(row[0] for row in conn.execute(query))


def grant_window(grant: dict[str, Any]) -> tuple[datetime, datetime]:
    """The ``[start, end)`` a grant covers, as aware UTC datetimes."""
    window = grant["window"]
    return as_utc(datetime.fromisoformat(window["start"])), as_utc(datetime.fromisoformat(window["end"]))


Row = RowMapping | Mapping[str, Any]
"""A ``footage_requests`` row, or the same fields from a request just recorded."""


def request_public(row: Row, personal: dict[str, Any] | None,
                   live_tokens: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The v1 shape of a request, with its personal data as opened by the caller (or None)."""
    details = with_personal(json.loads(row["details"]), personal,
                            citizen=row["role"] == "citizen_portal")
    grant = json.loads(row["grant"]) if row["grant"] else None  # a fresh copy, free to extend
    if grant is not None:
        grant["status"] = "active" if row["status"] == "granted" else row["status"]
        if live_tokens is not None:
            grant["live_tokens"] = live_tokens
    return {
        "id": row["id"],
        "status": row["status"],
        "requester": {"client_id": row["client_id"], "agency": row["agency"], "role": row["role"]},
        **details,
        "submitted_at": rfc3339(row["submitted_at"]),
        "decision": json.loads(row["decision"]) if row["decision"] else None,
        "grant": grant,
        "closed_at": rfc3339(row["closed_at"]) if row["closed_at"] else None,
        "review_overdue_since": rfc3339(row["overdue_at"]) if row["overdue_at"] else None,
        "superseded_by": row["superseded_by"],
    }


def hold_public(row: RowMapping, camera_ids: list[str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "case_reference": row["case_reference"],
        "camera_ids": camera_ids,
        "window": {"start": rfc3339(row["start"]), "end": rfc3339(row["end"])},
        "status": row["status"],
        "request_id": row["request_id"],
        "agency": row["agency"],
        "reason": row["reason"],
        "placed_at": rfc3339(row["placed_at"]),
        "released_at": rfc3339(row["released_at"]) if row["released_at"] else None,
        "until": rfc3339(row["until"]) if row["until"] else None,
    }




def hold_spans(conn: Connection, now: datetime) -> list[Any]:
    """Every hold with its cameras, in force or not (a released or lapsed hold explains a
    purge "after use")."""
    from broker.domain.retention import HoldSpan

    cameras_by_hold: dict[str, set[str]] = {}
    for hold_id, camera_id in conn.execute(select(hold_cameras.c.hold_id, hold_cameras.c.camera_id)):
        cameras_by_hold.setdefault(hold_id, set()).add(camera_id)
    return [HoldSpan(hold_id=row["id"], camera_ids=frozenset(cameras_by_hold.get(row["id"], ())),
                     start=as_utc(row["start"]), end=as_utc(row["end"]),
                     active=row["status"] == "active" and (
                         row["until"] is None or now < as_utc(row["until"])))
            for row in conn.execute(select(holds)).mappings()]


def granted_past_expiry(conn: Connection, now: datetime) -> list[str]:
    query = select(footage_requests.c.id).where(footage_requests.c.status == "granted",
                                                footage_requests.c.expires_at <= now)
    return [row[0] for row in conn.execute(query)]


def pending_past_deadline(conn: Connection, now: datetime) -> list[str]:
    query = select(footage_requests.c.id).where(footage_requests.c.status == "pending_review",
                                                footage_requests.c.review_deadline < now,
                                                footage_requests.c.overdue_at.is_(None))
    return [row[0] for row in conn.execute(query)]


def personal_data_past_retention(conn: Connection, now: datetime, record_retention_days: int) -> list[str]:
    from datetime import timedelta

    query = select(footage_requests.c.id).where(
        footage_requests.c.personal_erased_at.is_(None),
        footage_requests.c.submitted_at <= now - timedelta(days=record_retention_days),
    )
    return [row[0] for row in conn.execute(query)]


def subject_key_ids(conn: Connection) -> set[str]:
    """Every subject key a recorded request seals its personal data under."""
    query = select(footage_requests.c.subject_key_id).where(
        footage_requests.c.subject_key_id.is_not(None))
    return {row[0] for row in conn.execute(query)}
