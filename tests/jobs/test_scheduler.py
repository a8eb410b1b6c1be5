"""The scheduler wiring and the one-runner-at-a-time lock."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from broker.entrypoints.jobs import JOBS, JobLock, build_scheduler, run_job
from tests.jobs.test_purge import DAY, camera, ingest, purged_events


def test_jobs_coalesce_and_never_overlap(broker):
    scheduler = build_scheduler(broker)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"purge", "expire_grants", "review_deadlines", "erase_personal_data",
                         "audit_checkpoint", "verify_chain", "reconcile_vault", "redact",
                         "expire_deliveries"}
    assert jobs["reconcile_vault"].trigger.interval == timedelta(hours=1)
    assert jobs["purge"].trigger.interval == timedelta(minutes=10)
    assert jobs["expire_grants"].trigger.interval == timedelta(minutes=1)
    assert jobs["review_deadlines"].trigger.interval == timedelta(hours=1)
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time is None


def test_a_running_scheduler_purges_expired_footage(broker):
    clip = ingest(broker, camera(broker), ended_ago=31 * DAY)
    scheduler = build_scheduler(broker)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while not purged_events(broker, clip.id) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert len(purged_events(broker, clip.id)) == 1


def test_a_job_held_elsewhere_is_skipped_not_doubled(broker):
    purge = next(spec for spec in JOBS if spec.name == "purge")
    inside = threading.Event()
    release = threading.Event()
    first = JobLock(broker)

    def hold_it() -> None:
        with first.hold("purge") as mine:
            assert mine
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold_it)
    holder.start()
    inside.wait(10)
    try:
        assert run_job(broker, purge, JobLock(broker)) is None
    finally:
        release.set()
        holder.join()
    assert run_job(broker, purge, JobLock(broker)) == 0
