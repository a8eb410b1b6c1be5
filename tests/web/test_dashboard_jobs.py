"""A scheduled job that fails is not only a log line: it is recorded (``JobFailure.Failed``),
shown on every dashboard for a day, and readable in the audit trail. Every verification of the
chain, scheduled or asked for, is recorded with its outcome, and the dashboard shows the last."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta

from broker.entrypoints.jobs import JOBS, JobSpec, run_job
from broker.readmodel.audit_query import AuditFilter
from tests.conftest import SHELL
from tests.web.conftest import csrf_of, sign_in


def failing(broker):
    raise OSError("the blob store is read-only\n/secret/path in a second line")


def test_a_failed_job_is_on_the_dashboard_and_in_the_trail(web, broker, officer, clock):
    assert run_job(broker, JobSpec("purge", 10, failing)) is None
    assert run_job(broker, JobSpec("purge", 10, failing)) is None
    assert run_job(broker, JobSpec("expire_grants", 1, lambda b: 0)) == 0  # successes: not recorded
    trail = broker.oversight.audit_events(SHELL, AuditFilter(event_type="JobFailure.Failed"))["items"]
    recorded = {"job": "purge", "error": "OSError: the blob store is read-only"}
    assert [e["detail"] for e in trail] == [recorded, recorded]

    sign_in(web, broker, officer)
    home = web.get("/console/")
    assert 'id="failed-jobs"' in home.text and "purge" in home.text and "read-only" in home.text
    assert "/secret/path" not in home.text
    audit = web.get("/console/audit?type=JobFailure.Failed")
    assert "purge" in audit.text

    clock.advance(timedelta(days=1, minutes=1))
    web.cookies.clear()
    sign_in(web, broker, officer)  # the session timed out meanwhile
    later = web.get("/console/")
    assert later.status_code == 200 and 'id="failed-jobs"' not in later.text


def job(name: str) -> JobSpec:
    return next(spec for spec in JOBS if spec.name == name)


def in_english(web) -> None:
    home = web.get("/console/")
    assert web.post("/console/language", data={"csrf_token": csrf_of(home.text),
                                               "language": "en"}).status_code == 303


def last_verification(web) -> str:
    found = re.search(r'<p id="last-verification"[^>]*>(.*?)</p>', web.get("/console/").text, re.S)
    assert found, "the dashboard shows no verification line"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_the_dashboard_shows_the_last_verification_pass_or_fail(web, broker, officer, auditor):
    sign_in(web, broker, officer)
    in_english(web)
    assert "never been verified" in last_verification(web)

    # A fresh install: no checkpoint signed yet. The scheduled run signs one first, so it
    # passes instead of crying wolf.
    assert broker.oversight.checkpoints()["items"] == []
    assert run_job(broker, job("verify_chain")) is True  # the scheduler's run: by the broker
    shown = last_verification(web)
    assert "passed" in shown and "the broker" in shown

    chain = web.get("/console/chain")
    assert web.post("/console/chain/verify", data={"csrf_token": csrf_of(chain.text)}).status_code == 200
    assert "Kim Minji" in last_verification(web)  # the person who asked, by name

    events_db = broker.settings.data_dir / "events.db"
    with sqlite3.connect(events_db) as conn:  # an insider edits one stored event
        (state,) = conn.execute("SELECT state FROM stored_events WHERE rowid = 3").fetchone()
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 3",
                     (bytes(state[:-2]) + bytes([state[-2] ^ 1]) + bytes(state[-1:]),))
    assert run_job(broker, job("verify_chain")) is False
    shown = last_verification(web)
    assert "FAILED" in shown and "first bad position: 2" in shown

    runs = broker.oversight.audit_events(SHELL, AuditFilter(
        event_type="ChainVerification.Completed"))["items"]
    assert [(run["outcome"], run["actor"]["client_id"]) for run in runs] == [
        ("passed", None), ("passed", officer.actor_id), ("failed", None)]
    assert runs[-1]["detail"]["first_bad_position"] == 2

    web.cookies.clear()
    sign_in(web, broker, auditor)  # oversight roles see it too
    in_english(web)
    assert "FAILED" in last_verification(web)
