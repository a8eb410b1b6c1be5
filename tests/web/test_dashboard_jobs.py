"""A scheduled job that fails is not only a log line: it is recorded (``JobFailure.Failed``),
shown on every dashboard for a day, and readable in the audit trail."""

from __future__ import annotations

from datetime import timedelta

from broker.entrypoints.jobs import JobSpec, run_job
from broker.readmodel.audit_query import AuditFilter
from tests.conftest import SHELL
from tests.web.conftest import sign_in


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
