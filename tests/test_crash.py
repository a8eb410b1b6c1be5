"""kill -9 under load: every answered filing survives, and the read model converges.

The broker answers a filing once its group commit is durable (keys first, then events); the
read model follows behind in the background worker and may lose its last uncommitted batch.
Here a real ``broker serve`` (API process and its worker) is killed with SIGKILL at a random
moment while clients file requests over HTTP, three times, and restarted each time.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from broker.domain.topics import topic
from tests.test_serve import free_port, served_broker, wait_until_up

CLIENTS = 4
ROUNDS = 3


def filing(i: int) -> bytes:
    end = datetime.now(UTC) - timedelta(minutes=20)
    return json.dumps({
        "legal_basis": "crime_investigation", "radius_m": 300, "purpose": "identify the suspect",
        "incident": {"reference": f"112-crash-{i}", "kind": "theft",
                     "location": {"lat": 36.35, "lon": 127.38},
                     "occurred_at": (end - timedelta(minutes=30)).isoformat()},
        "window": {"start": (end - timedelta(hours=1)).isoformat(), "end": end.isoformat()},
    }).encode()


def load_until_killed(port: int, key: str, answered: dict[str, str], refused: list[bytes],
                      counter: Any, stop: threading.Event) -> None:
    """File requests until the server dies; keep each 201's id and status, and any other answer."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    while not stop.is_set():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while not stop.is_set():
                connection.request("POST", "/v1/requests", body=filing(next(counter)), headers=headers)
                response = connection.getresponse()
                payload = response.read()
                if response.status != 201:
                    refused.append(payload[:300])
                    continue
                body = json.loads(payload)
                answered[body["id"]] = body["status"]
        except (OSError, http.client.HTTPException):
            return  # the server is gone: whatever was not answered may or may not be stored
        finally:
            connection.close()


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    # Its own process group, so SIGKILL takes the API process and its worker at once.
    return subprocess.Popen(
        [sys.executable, "-m", "broker.entrypoints.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_kill_9_under_load_loses_no_answered_request(tmp_path: Path) -> None:
    from broker.bootstrap import build, open_keystore
    from broker.domain.roles import Role

    settings, _camera, keys, env = served_broker(tmp_path)
    rng = random.Random(int(os.environ.get("BROKER_CRASH_SEED", "12")))
    answered: dict[str, str] = {}
    refused: list[bytes] = []
    counter = iter(range(10**9))
    port = free_port()
    for _ in range(ROUNDS):
        server = start(env, port)
        wait_until_up(f"http://127.0.0.1:{port}/readyz", server)
        stop = threading.Event()
        clients = [threading.Thread(target=load_until_killed,
                                    args=(port, keys[Role.POLICE], answered, refused, counter, stop))
                   for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        before = len(answered)
        time.sleep(rng.uniform(0.5, 2.0))
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        stop.set()
        for client in clients:
            client.join(timeout=60)
        assert len(answered) > before, "no request was answered in this round: the load never ran"
    assert refused == []

    # Restarted once more, the worker brings the read model up to the event store.
    server = start(env, port)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/readyz", server)
        broker = build(settings)
        try:
            projector = broker.projector
            latest = broker.ctx.app.recorder.max_notification_id() or 0
            deadline = time.monotonic() + 120
            while projector.refresh() < latest and time.monotonic() < deadline:
                time.sleep(0.2)
            assert projector.refresh() == latest, "the read model did not converge"
            assert_every_answer_is_stored(broker, settings, answered)
            assert_read_model_matches_store(broker, latest)
        finally:
            broker.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    keystore = open_keystore(settings)
    try:
        repository = build(settings)
        try:
            for request_id in answered:
                key_id: str | None = repository.ctx.app.repository.get(UUID(request_id)).subject_key_id
                assert key_id is not None and keystore.exists(key_id), request_id
        finally:
            repository.close()
    finally:
        keystore.close()


def assert_every_answer_is_stored(broker: Any, settings: Any, answered: dict[str, str]) -> None:
    for request_id, status in answered.items():
        request = broker.ctx.app.repository.get(UUID(request_id))
        assert request.decision is not None, request_id
        assert request.version >= 2  # Submitted and Decided, both stored
        assert request.status == status, request_id  # nothing after the answer changes it


def assert_read_model_matches_store(broker: Any, latest: int) -> None:
    """Each stored event projected exactly once: one audit row and one leaf per position, and
    one read-model row per filing the store holds."""
    from broker.adapters.eventstore import read_raw

    filed: set[str] = set()
    start, events = 1, 0
    while batch := read_raw(broker.ctx.app.recorder, start, 5000):
        events += len(batch)
        filed.update(str(UUID(str(row[1]))) for row in batch
                     if row[3] == topic("FootageRequest.Submitted"))
        start = batch[-1][0] + 1
    with broker.ctx.readmodel.reader.connect() as conn:
        raw = conn.connection.driver_connection
        leaves = raw.execute("SELECT count(*), min(position), max(position), "
                             "count(DISTINCT notification_id) FROM audit_leaves").fetchone()
        audited = raw.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        rows = {row[0] for row in raw.execute("SELECT id FROM footage_requests")}
    assert events == latest
    assert leaves == (events, 0, events - 1, events)
    assert audited == events
    assert rows == filed
