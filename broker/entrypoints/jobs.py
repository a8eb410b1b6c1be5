"""Scheduled jobs (APScheduler 3): purge, grant expiry, review deadlines, personal-data erasure,
audit checkpoints and a daily verification of the chain, the vault's orphan sweep, the
redaction job and the expiry of masked copies.
Every job runs once at start, then on its
interval.

Run inside ``broker serve`` (one node) or as ``broker worker``. However many processes run a
scheduler, each job runs in at most one of them at a time: a PostgreSQL advisory lock at
scale, a file lock on the embedded default. A run that overruns its interval is not started
twice (``max_instances=1``); missed runs are coalesced into one, never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from broker.adapters.locks import try_exclusive
from broker.bootstrap import Broker

logger = logging.getLogger("broker.entrypoints.jobs")


@dataclass(frozen=True)
class JobSpec:
    name: str
    minutes: float
    run: Callable[[Broker], object]


JOBS = (
    JobSpec("purge", 10, lambda broker: broker.sweeps.purge().purged),
    JobSpec("expire_grants", 1, lambda broker: broker.sweeps.expire_grants()),
    JobSpec("review_deadlines", 60, lambda broker: broker.sweeps.flag_overdue_reviews()),
    JobSpec("erase_personal_data", 24 * 60, lambda broker: broker.sweeps.erase_personal_data()),
    JobSpec("audit_checkpoint", 10, lambda broker: broker.sweeps.checkpoint() is not None),
    JobSpec("verify_chain", 24 * 60, lambda broker: broker.sweeps.verify_chain()),
    JobSpec("reconcile_vault", 60, lambda broker: broker.sweeps.reconcile_vault()),
    # One redaction step after the other, in one process at a time: detection and rendering are
    # CPU-bound (both cores), and each clip must be masked by one job only.
    JobSpec("redact", 0.1, lambda broker: broker.redactions.run()),
    JobSpec("expire_deliveries", 10, lambda broker: broker.redactions.purge_expired()),
)


class JobLock:
    """At most one holder per job name across every process sharing the deployment."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker

    @contextmanager
    def hold(self, job: str) -> Iterator[bool]:
        if self._broker.settings.event_store == "postgres":
            with self._postgres(job) as acquired:
                yield acquired
        else:
            with try_exclusive(self._broker.settings.data_dir / f".job-{job}.lock") as acquired:
                yield acquired

    @contextmanager
    def _postgres(self, job: str) -> Iterator[bool]:
        import psycopg

        key = int.from_bytes(hashlib.sha256(f"footage-broker:{job}".encode()).digest()[:8],
                             "big", signed=True)
        with psycopg.connect(self._broker.settings.postgres_conninfo(), autocommit=True) as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            acquired = bool(row and row[0])
            try:
                yield acquired
            finally:
                if acquired:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def run_job(broker: Broker, spec: JobSpec, lock: JobLock | None = None) -> object | None:
    """One run, unless another process is running the same job right now (then None)."""
    with (lock or JobLock(broker)).hold(spec.name) as mine:
        if not mine:
            logger.info("job %s skipped: running in another process", spec.name)
            return None
        try:
            result = spec.run(broker)
        except Exception as exc:
            logger.exception("job %s failed; it will run again at its next interval", spec.name)
            try:
                broker.sweeps.record_failure(spec.name, exc)
            except Exception:  # the store itself may be what failed: the log has it
                logger.exception("job %s: its failure could not be recorded", spec.name)
            return None
        logger.info("job %s done: %s", spec.name, result)
        return result


def build_scheduler(broker: Broker, *, blocking: bool = False) -> BaseScheduler:
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    lock = JobLock(broker)
    for spec in JOBS:
        scheduler.add_job(run_job, "interval", minutes=spec.minutes, args=(broker, spec, lock),
                          id=spec.name, name=spec.name, next_run_time=broker.clock.now())
    return scheduler
