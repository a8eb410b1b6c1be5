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

Speed (a year of a city's requests in seconds, ``bench/replay.py``): the requests of the
period are read in pages by id, their subject keys in one keystore read per page, the camera
index is advanced, never rebuilt, the pack digest is computed once, and a large period is
judged in one process per core.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from broker.adapters.vault.personal_data import PERSONAL_CONTEXT
from broker.application.context import Context
from broker.common.geo import METRES_PER_DEGREE_LAT, bounding_boxes, haversine_from
from broker.common.times import rfc3339
from broker.domain.roles import Role
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
PARALLEL_FROM = 20_000
"""From this many requests a replay judges in one process per core (at most ``MAX_WORKERS``)."""
MAX_WORKERS = 4
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

    A radius query answers what ``cameras_near`` answers at filing: the active cameras whose
    coverage reaches within the radius (``haversine <= radius + coverage``). Each active
    camera sits in every ~250 m bucket its conservative coverage box (``geo.bounding_boxes``)
    touches; a query collects the buckets its own box touches, and a camera in reach shares
    at least one with it. A box over more than ``_MAX_KEYS`` buckets (near a pole) is not
    bucketed: such cameras are checked by every query, and such a query checks every camera.
    """

    BUCKET_DEG = 0.0025
    _MAX_KEYS = 4096

    def __init__(self, history: Sequence[Any]) -> None:
        self._history = history
        self._next = 0
        self._sites: dict[str, tuple[CameraSite, list[tuple[int, int]]]] = {}
        self._buckets: dict[tuple[int, int], dict[str, CameraSite]] = defaultdict(dict)
        self._everywhere: dict[str, CameraSite] = {}
        self._widest = 0.0  # the widest coverage ever indexed

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
            self._everywhere.pop(event.camera_id, None)
        if event.status != "active":
            return
        site = CameraSite(camera_id=event.camera_id, lat=event.lat, lon=event.lon,
                          coverage_m=event.coverage_m, status="active")
        keys = self._keys(event.lat, event.lon, event.coverage_m)
        if keys is None:
            self._everywhere[event.camera_id] = site
            keys = []
        for key in keys:
            self._buckets[key][event.camera_id] = site
        self._sites[event.camera_id] = (site, keys)
        self._widest = max(self._widest, event.coverage_m)

    def _keys(self, lat: float, lon: float, reach_m: float) -> list[tuple[int, int]] | None:
        """The buckets the conservative box of ``reach_m`` touches; None if too many."""
        size = self.BUCKET_DEG
        keys: list[tuple[int, int]] = []
        for box in bounding_boxes(lat, lon, reach_m):
            rows = range(math.floor(box.min_lat / size), math.floor(box.max_lat / size) + 1)
            columns = range(math.floor(box.min_lon / size), math.floor(box.max_lon / size) + 1)
            if len(keys) + len(rows) * len(columns) > self._MAX_KEYS:
                return None
            keys += [(row, column) for row in rows for column in columns]
        return keys

    def sites(self, lat: float, lon: float, radius_m: float) -> list[CameraSite]:
        """Active cameras whose coverage reaches within ``radius_m`` of the point."""
        if not radius_m * 1.01 + 1.0 > 0:
            return []
        keys = self._keys(lat, lon, radius_m)
        if keys is None:
            candidates = {camera_id: site for camera_id, (site, _) in self._sites.items()}
        else:
            candidates = dict(self._everywhere)
            buckets = self._buckets
            for key in keys:
                bucket = buckets.get(key)
                if bucket:
                    candidates.update(bucket)
        # north-south distance never exceeds the great-circle one: a cheap first cut
        reach_deg = (radius_m + self._widest) / METRES_PER_DEGREE_LAT
        distance_to = haversine_from(lat, lon)  # the same bits as haversine_m
        return [site for site in candidates.values()
                if abs(site.lat - lat) <= reach_deg
                and distance_to(site.lat, site.lon) <= radius_m + site.coverage_m]


class CameraEvent(NamedTuple):
    position: int
    camera_id: str
    lat: float
    lon: float
    coverage_m: float
    status: str


def camera_history(conn: Connection) -> list[CameraEvent]:
    h = analytics_camera_history.c
    return [CameraEvent(*row) for row in conn.execute(
        select(h.position, h.camera_id, h.lat, h.lon, h.coverage_m, h.status)
        .order_by(h.position, h.camera_id))]


class Recorded(NamedTuple):
    """One replayable request, as the page reader hands it to a judge (perhaps in another
    process: plain values only)."""

    request_id: str
    position: int
    role: str
    client_id: str
    agency: str
    details: str
    decision: str
    personal: dict[str, Any]


def recorded_request(row: Recorded, details: dict[str, Any],
                     personal: dict[str, Any]) -> EvaluationRequest:
    """The request as the evaluator saw it, from its clear details and opened personal data."""
    incident = details.get("incident") or {}
    location = personal.get("incident_location")
    return EvaluationRequest(
        requester=Requester(role=Role(row.role), client_id=row.client_id, agency=row.agency),
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

    def merge(self, other: _Tally) -> None:
        """Add a later page's tally: examples stay the first ones in log order."""
        for name in ("requests", "replayed", "erased", "undecided", "unchanged",
                     "reasons_changed", "inputs", "cameras"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("input_mismatches", "camera_mismatches"):
            mine: list[str] = getattr(self, name)
            mine += getattr(other, name)[:max(0, self.examples - len(mine))]
        self.decided_under.update(other.decided_under)
        for key, theirs in other.changes.items():
            change = self.changes.setdefault(key, _Change())
            change.count += theirs.count
            change.by_basis.update(theirs.by_basis)
            change.by_reason.update(theirs.by_reason)
            change.examples += theirs.examples[:max(0, self.examples - len(change.examples))]

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


class Judge:
    """Judges pages of recorded requests in log order, keeping the registry as it stood."""

    def __init__(self, history: Sequence[Any], draft: PolicyPack, examples: int) -> None:
        self.timeline = CameraTimeline(history)
        self.draft = draft
        self.examples = examples

    def page(self, items: Sequence[Recorded]) -> _Tally:
        tally = _Tally(examples=self.examples)
        for item in items:
            recorded = json.loads(item.decision)
            details = json.loads(item.details)
            request = recorded_request(item, details, item.personal)
            self.timeline.advance(item.position)
            location = request.incident_location
            sites = (self.timeline.sites(location.lat, location.lon, request.radius_m)
                     if location else [])
            replayed = evaluate(request, self.draft, sites,
                                datetime.fromisoformat(recorded["decided_at"]),
                                decision_id=recorded["decision_id"])
            tally.judge(item.request_id, details["legal_basis"], recorded, replayed)
        return tally


def _pages(ctx: Context, conn: Connection, order: Sequence[Any],
           tally: _Tally) -> Iterator[list[Recorded]]:
    """The replayable requests page by page, their seals opened with one key read a page;
    the ones that cannot be replayed are counted in ``tally`` instead."""
    fr = footage_requests.c
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
        items = []
        for request_id, position in page:
            row = rows[request_id]
            personal = next(opened) if row.sealed_personal_data and row.subject_key_id else None
            if row.decision is None:
                tally.undecided += 1
            elif personal is None:
                tally.erased += 1
            else:
                items.append(Recorded(request_id, position, row.role, row.client_id, row.agency,
                                      row.details, row.decision, personal))
        yield items


def workers_for(requests: int) -> int:
    """Processes to judge in: one per core for a large period (start-up costs a second)."""
    return 1 if requests < PARALLEL_FROM else max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def replay(ctx: Context, draft: PolicyPack, start: datetime, end: datetime,
           examples: int = 5, workers: int | None = None) -> dict[str, Any]:
    """Judge every request recorded in ``[start, end)`` again under ``draft``; record nothing.

    This process reads the pages and opens the seals; the judging (the evaluator and the
    registry as it stood) runs here, or for a large period in ``workers`` processes that each
    take pages in log order, so each keeps its own registry moving forwards. The personal data
    goes to them over pipes, in memory only, and the answer is the same either way.
    """
    started = time.perf_counter()
    tally = _Tally(examples=examples)
    r = analytics_requests.c
    ctx.consistency.wait()  # every request this process filed is in the period's pages
    with ctx.readmodel.reader.connect() as conn:
        history = camera_history(conn)
        order = list(conn.execute(select(r.request_id, r.position)
                                  .where(r.submitted_at >= start, r.submitted_at < end)
                                  .order_by(r.position)))
        tally.requests = len(order)
        workers = workers_for(len(order)) if workers is None else workers
        if workers <= 1:
            judge = Judge(history, draft, examples)
            for items in _pages(ctx, conn, order, tally):
                tally.merge(judge.page(items))
        else:
            _judge_in_processes(_pages(ctx, conn, order, tally), tally, workers,
                                (history, draft, examples))
    return _report(ctx.policy, draft, start, end, tally, time.perf_counter() - started)


def _judge_in_processes(pages: Iterator[list[Recorded]], tally: _Tally, workers: int,
                        setup: tuple[Any, ...]) -> None:
    """Pages go out in order, at most two per worker at a time (memory stays flat), and their
    tallies are merged in the same order."""
    context = multiprocessing.get_context("spawn")  # never fork a process holding connections
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=setup) as pool:
        pending: deque[Future[_Tally]] = deque()
        for items in pages:
            pending.append(pool.submit(_judge_page, items))
            while len(pending) > 2 * workers:
                tally.merge(pending.popleft().result())
        while pending:
            tally.merge(pending.popleft().result())


_WORKER: Judge | None = None


def _start_worker(history: Sequence[Any], draft: PolicyPack, examples: int) -> None:
    global _WORKER
    _WORKER = Judge(history, draft, examples)


def _judge_page(items: Sequence[Recorded]) -> _Tally:
    assert _WORKER is not None, "the worker was started with its registry"
    return _WORKER.page(items)


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
