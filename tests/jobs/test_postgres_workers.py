"""Two workers on one PostgreSQL deployment, purging at the same moment."""

from __future__ import annotations

import threading
from collections import Counter

from broker.bootstrap import build
from broker.entrypoints.jobs import JOBS, JobLock, run_job
from tests.conftest import postgres_settings
from tests.jobs.test_purge import DAY, assert_destroyed, camera, ingest


def test_concurrent_purges_record_exactly_one_purge_per_clip(postgres_database, tmp_path, keys_dir,
                                                            clock):
    server, dbname = postgres_database
    settings = postgres_settings(tmp_path, keys_dir, server, dbname)
    first, second = build(settings, clock), build(settings, clock)
    try:
        cam = camera(first)
        clips = [ingest(first, cam, ended_ago=31 * DAY) for _ in range(60)]
        barrier = threading.Barrier(2)
        results: dict[str, int] = {}
        errors: list[BaseException] = []

        def work(name: str, broker) -> None:
            try:
                barrier.wait()
                results[name] = broker.sweeps.purge(batch_size=7).purged
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=("a", first)),
                   threading.Thread(target=work, args=("b", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert results["a"] + results["b"] == 60
        purges = Counter(
            e.originator_id for e in first.app.recorder.select_notifications(start=1, limit=10_000)
            if e.topic.endswith("Clip.Purged"))
        assert len(purges) == 60 and set(purges.values()) == {1}
        for clip in clips:
            assert_destroyed(first, clip)
    finally:
        first.close()
        second.close()


def test_the_advisory_lock_admits_one_runner(postgres_database, tmp_path, keys_dir, clock):
    server, dbname = postgres_database
    settings = postgres_settings(tmp_path, keys_dir, server, dbname)
    broker = build(settings, clock)
    try:
        purge = next(spec for spec in JOBS if spec.name == "purge")
        with JobLock(broker).hold("purge") as mine:
            assert mine
            assert run_job(broker, purge, JobLock(broker)) is None
        assert run_job(broker, purge, JobLock(broker)) == 0
    finally:
        broker.close()
