"""What the city learns from its requests, kept so that nobody's location is.

A request's incident location is personal data, sealed under the request's subject key (see
SECURITY.md). Coverage analytics over a city's history cannot open a million seals per query
(each is a keystore lookup and an AES-GCM open, and every opening spreads plaintext around),
so this view opens each seal **once**, as the request is projected, and keeps only:

- the **250 m grid cell** of the incident (``broker.common.grid``), never the coordinates;
- the legal basis, the requester's role (agency kind), the outcome, whether no camera was in
  reach, and the submission time: all already in the clear in the event.

Is one request's 250 m cell still personal data? Yes, taken alone: with its time and basis it
can single out an incident, and so a person. Hence:

- the cell lives in the read model only, never in an event, and is **dropped** when the
  request's personal data is erased (``FootageRequest.PersonalDataErased``); a read model
  rebuilt afterwards cannot recover it, because the seal can no longer be opened;
- analytics answers in **aggregates only**, and suppresses every cell with fewer than
  ``k >= 5`` requests (``readmodel/coverage.py``);
- the coordinates are held only in memory, for the one computation of the cell.

Beside the cells, this view keeps the camera registry's history (every registration, move and
decommissioning, at its log position) so that a policy replay can judge each request against
the cameras as they stood when it was filed, and when each camera was last named in a
decision's scope ("cameras never requested within their retention").
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from sqlalchemy import func, insert, select, update

from broker.adapters.vault.errors import IntegrityError
from broker.adapters.vault.personal_data import PERSONAL_CONTEXT, PersonalData
from broker.common.grid import fine_cell
from broker.domain import events
from broker.readmodel.projection import ReadModelView, ViewProjection
from broker.readmodel.tables import (
    analytics_camera_history,
    analytics_camera_use,
    analytics_requests,
    cameras,
)

logger = logging.getLogger("broker.readmodel.analytics")


def incident_cell(personal: dict[str, Any] | None) -> tuple[int | None, int | None]:
    """The 250 m cell of the opened personal data's incident location, if it has one."""
    location = (personal or {}).get("incident_location")
    if not location:
        return None, None
    return fine_cell(float(location["lat"]), float(location["lon"]))


def found_no_camera(decision: dict[str, Any]) -> bool:
    return any(reason["rule"] == "cameras_in_scope" and not reason["passed"]
               for reason in decision.get("reasons", ()))


class AnalyticsView(ViewProjection):
    """Per request its cell and clear-text facts; the camera registry's history; camera use.

    Requests are gathered and written once per batch (a rebuild projects them by the
    hundred thousand); what later events of the same batch change is applied to the gathered
    row before it is written.
    """

    def __init__(self, view: ReadModelView, personal_data: PersonalData) -> None:
        super().__init__(view)
        self._personal_data = personal_data
        self._pending: dict[str, dict[str, Any]] = {}
        self._use: dict[str, tuple[int, datetime]] = {}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not an event analytics keeps."""

    # requests -----------------------------------------------------------------------------

    @process_event.register(events.RequestSubmitted)
    def _submitted(self, event: Any, tracking: Tracking) -> None:
        personal = None
        if event.sealed_personal_data is not None and event.subject_key_id is not None:
            try:
                personal = self._personal_data.open(
                    event.subject_key_id, event.sealed_personal_data, PERSONAL_CONTEXT)
            except IntegrityError:
                # A seal that fails authentication must not stall the read model: the request
                # gets no cell, and the log line names the request, nothing of its content.
                logger.warning("request %s: sealed personal data failed authentication; "
                               "analytics keeps no cell for it", event.originator_id)
        row, column = incident_cell(personal)
        del personal  # the coordinates go no further than this line
        request_id = str(event.originator_id)
        self._pending[request_id] = {
            "request_id": request_id, "position": tracking.notification_id,
            "submitted_at": event.at, "legal_basis": event.details["legal_basis"],
            "agency_kind": event.requester["role"], "outcome": None, "no_camera": 0,
            "superseded": 0, "cell_row": row, "cell_column": column}

    @process_event.register(events.RequestDecided)
    def _decided(self, event: Any, tracking: Tracking) -> None:
        decision = event.decision
        self._change(event, outcome=decision["outcome"], no_camera=int(found_no_camera(decision)))
        for camera_id in decision.get("scope", {}).get("camera_ids", ()):
            count, last = self._use.get(camera_id, (0, event.at))
            self._use[camera_id] = (count + 1, max(last, event.at))

    @process_event.register(events.RequestReviewed)
    def _reviewed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, outcome=event.decision["outcome"])

    @process_event.register(events.RequestSuperseded)
    def _superseded(self, event: Any, tracking: Tracking) -> None:
        self._change(event, superseded=1)

    @process_event.register(events.RequestPersonalDataErased)
    def _erased(self, event: Any, tracking: Tracking) -> None:
        """The cell is personal data too: it goes with the rest."""
        self._change(event, cell_row=None, cell_column=None)

    def _change(self, event: Any, **values: Any) -> None:
        request_id = str(event.originator_id)
        pending = self._pending.get(request_id)
        if pending is not None:
            pending.update(values)
            return
        self.conn.execute(update(analytics_requests)
                          .where(analytics_requests.c.request_id == request_id).values(**values))

    # cameras ------------------------------------------------------------------------------

    @process_event.register(events.CameraRegistered)
    def _camera_registered(self, event: Any, tracking: Tracking) -> None:
        self._history(event, tracking, event.lat, event.lon, event.coverage_m, "active")

    @process_event.register(events.CameraRelocated)
    def _camera_relocated(self, event: Any, tracking: Tracking) -> None:
        self._history(event, tracking, event.lat, event.lon, event.coverage_m, "active")

    @process_event.register(events.CameraDecommissioned)
    def _camera_decommissioned(self, event: Any, tracking: Tracking) -> None:
        site = self.conn.execute(select(cameras.c.lat, cameras.c.lon, cameras.c.coverage_m)
                                 .where(cameras.c.id == str(event.originator_id))).one()
        self._history(event, tracking, site.lat, site.lon, site.coverage_m, "decommissioned")

    def _history(self, event: Any, tracking: Tracking, lat: float, lon: float, coverage_m: float,
                 status: str) -> None:
        self.conn.execute(insert(analytics_camera_history).values(
            position=tracking.notification_id, camera_id=str(event.originator_id), at=event.at,
            lat=lat, lon=lon, coverage_m=coverage_m, status=status))

    # the batch ----------------------------------------------------------------------------

    def flush(self) -> None:
        if self._pending:
            self.conn.execute(insert(analytics_requests), list(self._pending.values()))
        if self._use:
            self._write_use()
        self.discard()

    def discard(self) -> None:
        self._pending = {}
        self._use = {}

    def _write_use(self) -> None:
        rows = [{"camera_id": camera_id, "requests": count, "last_requested_at": last}
                for camera_id, (count, last) in sorted(self._use.items())]
        table = analytics_camera_use
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
            latest: Any = func.greatest
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
            latest = func.max
        statement = upsert(table)
        self.conn.execute(statement.on_conflict_do_update(
            index_elements=[table.c.camera_id],
            set_={"requests": table.c.requests + statement.excluded.requests,
                  "last_requested_at": latest(table.c.last_requested_at,
                                              statement.excluded.last_requested_at)}), rows)
