"""Policy what-if: what a draft pack would have decided on the recorded requests of a period.

Each recorded request is judged again by the same pure evaluator, with what it was judged on:

- its recorded input: the clear-text details and its personal data, opened from the seal (a
  request whose personal data was erased cannot be judged exactly again, so it is counted as
  *not replayable*, never guessed);
- ``now`` = the moment it was decided (``decided_at`` of the recorded decision);
- the camera registry **as it stood when the request was recorded**: every camera event before
  the request's own position in the log, replayed into an in-memory index
  (``CameraTimeline``, from ``analytics_camera_history``).

The recorded decision carries the digests of its input and of the cameras it saw, so a replay
checks that it reproduced both (``reproduced``); against the active pack, a faithful replay
changes no decision. Nothing is recorded: the personal data stays in memory, the answer holds
counts, bases, rules and request ids.

Speed (100,000 requests in well under 30 s): the requests of the period are read in pages by
id, their subject keys in one keystore read per page, the camera index is advanced, never
rebuilt, and the pack digest is computed once.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from broker.adapters.vault.personal_data import PERSONAL_CONTEXT
from broker.application.context import Context
from broker.common.geo import bounding_boxes, haversine_m
from broker.common.times import rfc3339
from broker.policy import (
    RULES,
    CameraSite,
    Decision,
    EvaluationRequest,
    GeoPoint,
    PolicyPack,
    Requester,
    TimeWindow,
    evaluate,
    pack_digest,
)
from broker.policy.diff import pack_diff
from broker.readmodel.tables import analytics_camera_history, analytics_requests, footage_requests

PAGE = 1000
EVALUATED = frozenset(RULES)
LABELS = {
    ("granted", "denied"): "granted→denied",
    ("denied", "granted"): "denied→granted",
    ("pending_review", "granted"): "review→auto",
    ("granted", "pending_review"): "auto→review",
    ("pending_review", "denied"): "review→denied",
    ("denied", "pending_review"): "denied→review",
}


class CameraTimeline:
    """The camera registry at any position of the log, advanced event by event.

    Each active camera sits in every bucket (~250 m) that its coverage box touches; a radius
    query collects the buckets its own box touches and keeps the cameras whose coverage
    reaches within the radius, the rule ``cameras_near`` applies at filing.
    """

    BUCKET_DEG = 0.0025

    def __init__(self, history: Sequence[Any]) -> None:
        self._history = history
        self._next = 0
        self._sites: dict[str, tuple[CameraSite, list[tuple[int, int]]]] = {}
        self._buckets: dict[tuple[int, int], dict[str, CameraSite]] = defaultdict(dict)

    def advance(self, position: int) -> None:
        """Apply every camera event recorded before ``position``."""
        while self._next < len(self._history) and self._history[self._next].position < position:
            self._apply(self._history[self._next])
            self._next += 1

    def _apply(self, event: Any) -> None:
        previous = self._sites.pop(event.camera_id, None)
        if previous is not None:
            for key in previous[1]:
                self._buckets[key].pop(event.camera_id, None)
        if event.status != "active":
            return
        site = CameraSite(camera_id=event.camera_id, lat=event.lat, lon=event.lon,
                          coverage_m=event.coverage_m, status="active")
        keys = list(self._keys(event.lat, event.lon, event.coverage_m))
        for key in keys:
            self._buckets[key][event.camera_id] = site
        self._sites[event.camera_id] = (site, keys)

    def _keys(self, lat: float, lon: float, reach_m: float) -> Iterator[tuple[int, int]]:
        size = self.BUCKET_DEG
        for box in bounding_boxes(lat, lon, reach_m):
            for row in range(math.floor(box.min_lat / size), math.floor(box.max_lat / size) + 1):
                for column in range(math.floor(box.min_lon / size),
                                    math.floor(box.max_lon / size) + 1):
                    yield row, column

    def sites(self, lat: float, lon: float, radius_m: float) -> list[CameraSite]:
        """Active cameras whose coverage reaches within ``radius_m`` of the point."""
        if not radius_m * 1.01 + 1.0 > 0:
            return []
        candidates: dict[str, CameraSite] = {}
        for key in self._keys(lat, lon, radius_m):
            bucket = self._buckets.get(key)
            if bucket:
                candidates.update(bucket)
        return [site for site in candidates.values()
                if haversine_m(lat, lon, site.lat, site.lon) <= radius_m + site.coverage_m]


def camera_history(conn: Connection) -> list[Any]:
    h = analytics_camera_history.c
    return list(conn.execute(select(h.position, h.camera_id, h.lat, h.lon, h.coverage_m, h.status)
                             .order_by(h.position, h.camera_id)))


def recorded_request(row: Any, details: dict[str, Any], personal: dict[str, Any]) -> EvaluationRequest:
    """The request as the evaluator saw it, from its clear details and opened personal data."""
    incident = details.get("incident") or {}
    location = personal.get("incident_location")
    return EvaluationRequest(
        requester=Requester(role=row.role, client_id=row.client_id, agency=row.agency),
        legal_basis=details["legal_basis"], mode=details["mode"], radius_m=details["radius_m"],
        window=TimeWindow(start=details["window"]["start"], end=details["window"]["end"]),
        incident_reference=incident.get("reference"), incident_kind=incident.get("kind"),
        incident_location=GeoPoint(lat=location["lat"], lon=location["lon"]) if location else None,
        occurred_at=incident.get("occurred_at"), purpose=personal.get("purpose"),
        claim_reference=personal.get("claim_reference"),
        identity_proof=personal.get("identity_proof"),
        consent_reference=personal.get("consent_reference"))


@dataclass
class _Change:
    count: int = 0
    by_basis: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


@dataclass
class _Tally:
    examples: int
    requests: int = 0
    replayed: int = 0
    erased: int = 0
    undecided: int = 0
    unchanged: int = 0
    reasons_changed: int = 0
    inputs: int = 0
    cameras: int = 0
    input_mismatches: list[str] = field(default_factory=list)
    camera_mismatches: list[str] = field(default_factory=list)
    decided_under: Counter[str] = field(default_factory=Counter)
    changes: dict[tuple[str, str], _Change] = field(default_factory=dict)

    def judge(self, request_id: str, basis: str, recorded: dict[str, Any], replayed: Decision) -> None:
        self.replayed += 1
        self.decided_under[f"{recorded['pack_id']} {recorded['pack_version']}"] += 1
        if replayed.input_digest == recorded["input_digest"]:
            self.inputs += 1
        elif len(self.input_mismatches) < self.examples:
            self.input_mismatches.append(request_id)
        if replayed.cameras_digest == recorded["cameras_digest"]:
            self.cameras += 1
        elif len(self.camera_mismatches) < self.examples:
            self.camera_mismatches.append(request_id)
        # a review appended its own reason and settled the outcome: the evaluator said "review"
        before = "pending_review" if recorded.get("review") else recorded["outcome"]
        old = [(r["rule"], r["passed"], r["message"]) for r in recorded["reasons"]
               if r["rule"] in EVALUATED]  # not what a review appended
        new = [(r.rule, r.passed, r.message) for r in replayed.reasons]
        if before == replayed.outcome:
            if old == new:
                self.unchanged += 1
            else:
                self.reasons_changed += 1
            return
        change = self.changes.setdefault((before, replayed.outcome), _Change())
        change.count += 1
        change.by_basis[basis] += 1
        was = {rule: passed for rule, passed, _ in old}
        flipped = [rule for rule, passed, _ in new if was.get(rule) is not passed]
        for rule in flipped or ["decision"]:
            change.by_reason[rule] += 1
        if len(change.examples) < self.examples:
            change.examples.append(request_id)


def replay(ctx: Context, draft: PolicyPack, start: datetime, end: datetime,
           examples: int = 5) -> dict[str, Any]:
    """Judge every request recorded in ``[start, end)`` again under ``draft``; record nothing."""
    started = time.perf_counter()
    tally = _Tally(examples=examples)
    r, fr = analytics_requests.c, footage_requests.c
    with ctx.readmodel.reader.connect() as conn:
        timeline = CameraTimeline(camera_history(conn))
        order = list(conn.execute(select(r.request_id, r.position)
                                  .where(r.submitted_at >= start, r.submitted_at < end)
                                  .order_by(r.position)))
        tally.requests = len(order)
        for first in range(0, len(order), PAGE):
            page = order[first:first + PAGE]
            rows = {row.id: row for row in conn.execute(
                select(fr.id, fr.client_id, fr.agency, fr.role, fr.details, fr.decision,
                       fr.sealed_personal_data, fr.subject_key_id)
                .where(fr.id.in_([request_id for request_id, _ in page])))}
            sealed = [(rows[request_id].subject_key_id, rows[request_id].sealed_personal_data)
                      for request_id, _ in page
                      if rows[request_id].sealed_personal_data and rows[request_id].subject_key_id]
            opened = iter(ctx.personal_data.open_many(sealed, PERSONAL_CONTEXT))
            for request_id, position in page:
                row = rows[request_id]
                personal = (next(opened) if row.sealed_personal_data and row.subject_key_id
                            else None)
                if row.decision is None:
                    tally.undecided += 1
                    continue
                if personal is None:
                    tally.erased += 1
                    continue
                recorded = json.loads(row.decision)
                details = json.loads(row.details)
                request = recorded_request(row, details, personal)
                timeline.advance(position)
                location = request.incident_location
                sites = timeline.sites(location.lat, location.lon, request.radius_m) if location else []
                decided_at = datetime.fromisoformat(recorded["decided_at"])
                replayed = evaluate(request, draft, sites, decided_at,
                                    decision_id=recorded["decision_id"])
                tally.judge(request_id, details["legal_basis"], recorded, replayed)
    return _report(ctx.policy, draft, start, end, tally, time.perf_counter() - started)


def _report(active: PolicyPack, draft: PolicyPack, start: datetime, end: datetime, tally: _Tally,
            seconds: float) -> dict[str, Any]:
    changes = sorted(tally.changes.items(), key=lambda item: (-item[1].count, item[0]))
    return {
        "draft": _ref(draft), "active": _ref(active), "diff": pack_diff(active, draft),
        "period": {"from": rfc3339(start), "to": rfc3339(end)},
        "requests": tally.requests,
        "replayed": tally.replayed,
        "not_replayable": {"personal_data_erased": tally.erased, "undecided": tally.undecided},
        "unchanged": tally.unchanged,
        "reasons_changed": tally.reasons_changed,
        "changed": sum(change.count for change in tally.changes.values()),
        "changes": [{"change": LABELS.get(key, f"{key[0]}→{key[1]}"), "recorded": key[0],
                     "replayed": key[1], "count": change.count,
                     "by_legal_basis": dict(change.by_basis.most_common()),
                     "by_reason": dict(change.by_reason.most_common()),
                     "examples": change.examples}
                    for key, change in changes],
        "decided_under": dict(sorted(tally.decided_under.items())),
        "reproduced": {"inputs": tally.inputs, "cameras": tally.cameras,
                       "input_mismatches": tally.input_mismatches,
                       "camera_mismatches": tally.camera_mismatches},
        "seconds": round(seconds, 3),
    }


def _ref(pack: PolicyPack) -> dict[str, str]:
    return {"id": pack.id, "version": pack.version, "digest": pack_digest(pack)}
