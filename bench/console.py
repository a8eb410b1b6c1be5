"""Server time of the console's audit search and dashboard over N audit events.

Generates N events through the application (default 1,000,000; the same mix as
``bench/audit.py``: camera registrations, requests from seven police agencies, each granted and
viewed many times), then signs a privacy officer in and times the pages as the ASGI app serves
them in-process (no network, no browser): the audit search newest first (unfiltered, by camera,
by person, leaving out ``Camera.Registered``, a week's range, the next keyset page) and the
dashboard. Every search is itself recorded in the trail, as in production. Baseline in the same
run: the newest-first first page by plain ``sqlite3`` over a copy of the audit table without
any index.

    python bench/console.py [--events 1000000] [--renders 200]
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from bench.audit import generate, percentile
from broker.adapters import credentials
from broker.adapters.vault.kek import init_keyfile
from broker.application.actors import Actor
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.config import Settings
from broker.domain.roles import Role
from broker.entrypoints.api.main import create_app

SHELL = Actor.shell()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OLDER = re.compile(r'href="(/console/audit\?cursor=[^"]+)"')
LIMIT_MS = 200.0


def sign_in(web: TestClient, broker, clock: FixedClock) -> str:
    made = broker.people.add(SHELL, username="bench", display_name="Bench Officer",
                             role=Role.PRIVACY_OFFICER, agency="privacy office")
    page = web.get("/console/login")
    code = credentials.totp_code(made.totp_secret, credentials.totp_step(clock.now()))
    answer = web.post("/console/login", data={"csrf_token": CSRF.search(page.text).group(1),
                                              "username": "bench", "password": made.password,
                                              "code": code, "next": "/console/"})
    assert answer.status_code == 303, answer.text
    return str(made.person["actor_id"])


def timed(web: TestClient, url: str, renders: int) -> tuple[list[float], str]:
    timings, text = [], ""
    for _ in range(renders):
        began = time.perf_counter()
        answer = web.get(url)
        timings.append(time.perf_counter() - began)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        text = answer.text
    return timings, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--renders", type=int, default=200, help="renders per page")
    args = parser.parse_args()
    rng = random.Random(4289)
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        root = Path(tmp)
        init_keyfile(root / "keys")
        broker = build(Settings(data_dir=root / "var", keys_dir=root / "keys",
                                scheduler_enabled=False), clock)
        results: dict[str, list[float]] = {}
        try:
            started = time.perf_counter()
            cameras, _ = generate(broker, clock, args.events, rng)
            generate_seconds = time.perf_counter() - started
            total = broker.app.recorder.max_notification_id() or 0
            week_start = (clock.now() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
            with TestClient(create_app(broker), follow_redirects=False) as web:
                officer = sign_in(web, broker, clock)
                results["dashboard"], _ = timed(web, "/console/", args.renders)
                results["audit newest first"], first = timed(web, "/console/audit", args.renders)
                older = OLDER.search(first)
                assert older, "no keyset link on the first page"
                results["audit next page"], _ = timed(web, older.group(1).replace("&amp;", "&"),
                                                      args.renders)
                pages = {
                    "audit by camera": f"/console/audit?camera={rng.choice(cameras)}",
                    "audit by person": f"/console/audit?person={officer}",
                    "audit without Camera.Registered": "/console/audit?exclude=Camera.Registered",
                    "audit one week": f"/console/audit?from={week_start}",
                }
                for name, url in pages.items():
                    results[name], _ = timed(web, url, args.renders)
        finally:
            broker.close()

        plain = root / "plain.db"
        with sqlite3.connect(plain) as conn:
            conn.execute("ATTACH DATABASE ? AS src", (str(root / "var" / "readmodel.db"),))
            conn.execute("CREATE TABLE audit_events AS SELECT * FROM src.audit_events")
            conn.commit()
        baseline = []
        with sqlite3.connect(plain) as conn:
            for _ in range(max(5, args.renders // 20)):
                began = time.perf_counter()
                conn.execute("SELECT * FROM audit_events WHERE event_type <> 'Camera.Registered' "
                             "ORDER BY position DESC LIMIT 51").fetchall()
                baseline.append(time.perf_counter() - began)

    print(f"events: {total} count")
    print(f"generate through the app (incl. projection): {total / generate_seconds:.0f} events/s")
    worst = 0.0
    for name, timings in results.items():
        p50, p95 = statistics.median(timings) * 1000, percentile(timings, 0.95) * 1000
        worst = max(worst, p95)
        print(f"{name} p50: {p50:.1f} ms")
        print(f"{name} p95: {p95:.1f} ms")
    b95 = percentile(baseline, 0.95) * 1000
    without = percentile(results["audit without Camera.Registered"], 0.95) * 1000
    print(f"baseline unindexed sqlite3 newest first without Camera.Registered p95: {b95:.1f} ms")
    print(f"ratio baseline p95 / page p95 (without Camera.Registered): {b95 / without:.1f}")
    print(f"worst page p95: {worst:.1f} ms (target <= {LIMIT_MS:.0f} ms: "
          f"{'met' if worst <= LIMIT_MS else 'NOT met'})")


if __name__ == "__main__":
    main()
