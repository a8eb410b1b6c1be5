"""Policy what-if replay of a year's requests vs bare evaluator calls on the same requests.

Builds a fresh embedded deployment (SQLite) and records N requests (default 100,000) into the
read model as filing and the projections would leave them: each request's personal data
sealed under its own subject key (keys written in one keystore transaction), its decision
made by the real evaluator under the active pack against the cameras as they stood, and the
camera registry changing between requests (registrations, moves, decommissionings) in the
analytics history. Filing 100,000 requests over HTTP is what bench/requests.py times; here
the fast path keeps generation to about a minute.

Then times ``broker policy replay`` (the use case: read the period, open every seal in
batches, rebuild the registry as it stood per request, evaluate, compare) against the active
pack and against a draft with a shorter look-back; the baseline is the bare ``evaluate()``
calls alone on the same in-memory requests and camera lists, in one process. A replay of
more than 20,000 requests judges in one process per core (two here); the load average printed
beside the figures says how much of the machine it had.

    python bench/replay.py [--requests 100000] [--cameras 5000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from broker.adapters.vault.kek import init_keyfile
from broker.adapters.vault.personal_data import PERSONAL_CONTEXT, subject_key_id
from broker.application.actors import Actor
from broker.application.filing import request_details
from broker.application.replay import CameraTimeline, workers_for
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.common.geo import METRES_PER_DEGREE_LAT
from broker.common.grid import fine_cell
from broker.config import BUNDLED_PACKS, Settings
from broker.policy import EvaluationRequest, GeoPoint, Requester, TimeWindow, evaluate
from broker.readmodel.tables import (
    analytics_camera_history,
    analytics_requests,
    footage_requests,
)

START = datetime(2025, 12, 1, tzinfo=UTC)
CENTRE = (36.35, 127.39)
REQUESTERS = ((0.8, "crime_investigation", "police"), (0.15, "imminent_danger", "fire"),
              (0.05, "court_proceedings", "privacy_officer"))


class History:
    """The camera registry's events, numbered with the requests' positions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[dict] = []
        self.events: list[SimpleNamespace] = []  # the same, as the timeline reads rows
        self.state: dict[str, tuple[float, float, float, str]] = {}

    def event(self, position: int, at: datetime, camera_id: str, lat: float, lon: float,
              coverage: float, status: str) -> None:
        self.state[camera_id] = (lat, lon, coverage, status)
        row = {"position": position, "camera_id": camera_id, "at": at, "lat": lat, "lon": lon,
               "coverage_m": coverage, "status": status}
        self.rows.append(row)
        self.events.append(SimpleNamespace(**row))

    def register(self, position: int, at: datetime) -> None:
        rng = self.rng
        lat = CENTRE[0] + rng.gauss(0, 0.03)
        lon = CENTRE[1] + rng.gauss(0, 0.04)
        self.event(position, at, f"{len(self.state):036d}", lat, lon, 50.0, "active")

    def change(self, position: int, at: datetime) -> None:
        camera_id = self.rng.choice(list(self.state))
        lat, lon, coverage, status = self.state[camera_id]
        if status != "active":
            self.register(position, at)
        elif self.rng.random() < 0.7:
            self.event(position, at, camera_id, lat + self.rng.gauss(0, 0.001),
                       lon + self.rng.gauss(0, 0.001), coverage, "active")
        else:
            self.event(position, at, camera_id, lat, lon, coverage, "decommissioned")


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / METRES_PER_DEGREE_LAT,
            lon + east_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))))


def generate(broker, count: int, cameras: int, rng: random.Random):
    """Rows for the read model and keystore, and the evaluator's inputs for the baseline."""
    pack = broker.policy
    history = History(rng)
    position = 0
    for _ in range(cameras):
        position += 1
        history.register(position, START)
    timeline = CameraTimeline(history.events)  # advanced as we go: rows are appended in order
    keys, requests, analytics, inputs = [], [], [], []
    weights = [w for w, _, _ in REQUESTERS]
    for i in range(count):
        decided_at = START + timedelta(seconds=(i + 1) * 365 * 86400 / count)
        if i % 100 == 99:
            position += 1
            history.change(position, decided_at)
        position += 1
        _, basis, role = rng.choices(REQUESTERS, weights)[0]
        anchor = history.state[rng.choice(list(history.state))]
        far = rng.random() < 0.1
        lat, lon = offset(anchor[0], anchor[1], rng.uniform(-300, 300) + (3000 if far else 0),
                          rng.uniform(-300, 300))
        end = decided_at - timedelta(minutes=rng.uniform(10, 60 * 24 * (40 if far else 20)))
        start = end - timedelta(minutes=rng.choice((30, 60, 120, 240)))
        request = EvaluationRequest(
            requester=Requester(role=role, client_id=f"bench-{role}", agency=f"{role} agency"),
            legal_basis=basis, mode="recorded", radius_m=rng.choice((100.0, 200.0, 300.0)),
            window=TimeWindow(start=start, end=end), incident_reference=f"case-{i}",
            incident_kind="theft", incident_location=GeoPoint(lat=lat, lon=lon),
            occurred_at=start, purpose="trace the vehicle")
        timeline.advance(position)
        sites = timeline.sites(lat, lon, request.radius_m)
        request_id = f"{i:08d}-0000-4000-8000-000000000000"
        decision = evaluate(request, pack, sites, decided_at, decision_id=f"dec_{i}")
        public, personal = request_details(request)
        key_id = subject_key_id("footage_request", request_id)
        keys.append(key_id)
        requests.append({
            "id": request_id, "client_id": request.requester.client_id,
            "agency": request.requester.agency, "role": role, "legal_basis": basis,
            "mode": "recorded", "status": decision.outcome, "details": json.dumps(public),
            "submitted_at": decided_at, "decision": json.dumps(decision.model_dump(mode="json")),
            "decided_at": decided_at, "subject_key_id": key_id, "personal": personal})
        row, column = fine_cell(lat, lon)
        analytics.append({"request_id": request_id, "position": position,
                          "submitted_at": decided_at, "legal_basis": basis, "agency_kind": role,
                          "outcome": decision.outcome, "no_camera": 0, "superseded": 0,
                          "cell_row": row, "cell_column": column})
        inputs.append((request, sites, decided_at))
    return history.rows, keys, requests, analytics, inputs


def store(broker, history: list[dict], keys: list[str], requests: list[dict],
          analytics: list[dict]) -> None:
    keystore = broker.vault.keystore
    wrapped = [(key_id, *keystore._new_wrapped(key_id)[1:]) for key_id in keys]
    with keystore._lock, keystore._transaction():  # one transaction, not 100,000 fsyncs
        keystore._conn.executemany(
            "INSERT INTO data_keys (key_id, kek_version, wrapped) VALUES (?, ?, ?)", wrapped)
    for row in requests:
        row["sealed_personal_data"] = broker.ctx.personal_data.seal(
            row["subject_key_id"], row.pop("personal"), PERSONAL_CONTEXT)
    with broker.readmodel.writer.begin() as conn:
        conn.execute(insert(analytics_camera_history), history)
        for first in range(0, len(requests), 20_000):
            conn.execute(insert(footage_requests), requests[first:first + 20_000])
            conn.execute(insert(analytics_requests), analytics[first:first + 20_000])


def shorter_lookback(toml: str, days: int) -> str:
    head, crime = toml.split('id = "crime_investigation"', 1)
    crime, rest = crime.split("[[bases]]", 1)
    crime = crime.replace("max_lookback_days = 30", f"max_lookback_days = {days}")
    return head + 'id = "crime_investigation"' + crime + "[[bases]]" + rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--cameras", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    shell = Actor.shell()
    active = (BUNDLED_PACKS / "kr-pipa.toml").read_text(encoding="utf-8")
    period = (START - timedelta(days=1), START + timedelta(days=367))

    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        init_keyfile(Path(tmp) / "keys")
        broker = build(Settings(data_dir=Path(tmp) / "var", keys_dir=Path(tmp) / "keys"),
                       FixedClock(START + timedelta(days=366)))
        try:
            started = time.perf_counter()
            history, keys, requests, analytics, inputs = generate(
                broker, args.requests, args.cameras, rng)
            store(broker, history, keys, requests, analytics)
            del requests, analytics
            print(f"requests: {args.requests} count")
            print(f"camera events: {len(history)} count")
            print(f"build: {time.perf_counter() - started:.1f} s")

            load = os.getloadavg()[0]
            started = time.perf_counter()
            same = broker.policies.replay(shell, active, *period)
            replay_s = time.perf_counter() - started
            started = time.perf_counter()
            draft = broker.policies.replay(shell, shorter_lookback(active, 7), *period)
            draft_s = time.perf_counter() - started

            pack = broker.policy
            started = time.perf_counter()
            for request, sites, now in inputs:
                evaluate(request, pack, sites, now, decision_id="baseline")
            bare_s = time.perf_counter() - started
        finally:
            broker.close()

    if same["changed"] or same["reasons_changed"] or same["reproduced"]["cameras"] != args.requests:
        raise SystemExit(f"replay against the active pack was not faithful: {same['reproduced']}")
    outcomes = {change["change"]: change["count"] for change in draft["changes"]}
    print(f"replayed against the active pack: {same['replayed']} count, {same['changed']} changed")
    print(f"replayed against a 7-day look-back draft: {draft['changed']} changed "
          f"{json.dumps(outcomes, ensure_ascii=False)}")
    print(f"judging processes: {workers_for(args.requests)} count")
    print(f"load average before the replay: {load:.1f} count")
    print(f"policy replay: {args.requests / replay_s:.0f} requests/s")
    print(f"policy replay wall: {replay_s:.1f} s")
    print(f"policy replay of the draft wall: {draft_s:.1f} s")
    print(f"mean cameras in reach per request: {sum(len(s) for _, s, _ in inputs) / len(inputs):.1f} count")
    print(f"baseline bare evaluate: {args.requests / bare_s:.0f} requests/s")
    print(f"ratio replay / bare evaluate: {bare_s / replay_s:.2f}")
    print(f"peak rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
