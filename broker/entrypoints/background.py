"""The background process of a deployment: the read-model projector and the scheduled jobs.

``broker serve`` starts one beside the API and restarts it if it dies; a scaled-out deployment
runs one ``broker worker``. API processes then neither project nor schedule: a command is
answered once its events are durable, and a query that must see a write pulls the log itself
(whoever pulls first does the work), so projection stays off every request's path while the
worker keeps the read model close behind the log.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from broker.bootstrap import Broker

logger = logging.getLogger("broker.entrypoints.background")

RETRY_SECONDS = 1.0
RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)


def run(broker: Broker, *, jobs: bool, stop: threading.Event, parent_pid: int | None = None) -> None:
    """Project behind the log (and run the jobs) until ``stop`` is set, or the parent is gone."""
    scheduler = None
    if jobs:
        from broker.entrypoints.jobs import build_scheduler

        scheduler = build_scheduler(broker)
        scheduler.start()
    if parent_pid is not None:
        threading.Thread(target=_stop_when_orphaned, args=(parent_pid, stop), daemon=True,
                         name="parent-watch").start()
    try:
        follow(broker, stop)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)


def follow(broker: Broker, stop: threading.Event) -> None:
    """The projector loop; an error (a database restart) is logged and the loop resumes."""
    while not stop.is_set():
        try:
            broker.ctx.consistency.follow(stop)
        except Exception:
            logger.exception("projecting the event log failed; retrying")
            stop.wait(RETRY_SECONDS)


def _stop_when_orphaned(parent_pid: int, stop: threading.Event) -> None:
    """A parent killed with SIGKILL cannot stop its children: notice, and stop."""
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            logger.warning("the serving process is gone; the background worker stops")
            stop.set()
            return


@contextmanager
def supervised(jobs: bool, env: dict[str, str]) -> Iterator[None]:
    """Run ``broker worker`` beside the caller (``broker serve``) for as long as the block runs,
    restarting it with a growing pause whenever it exits unexpectedly."""
    stop = threading.Event()
    current: list[subprocess.Popen[bytes]] = []
    command = [sys.executable, "-m", "broker.entrypoints.cli", "worker",
               "--parent", str(os.getpid()), *(() if jobs else ("--no-jobs",))]

    def keep_running() -> None:
        failures = 0
        while not stop.is_set():
            started = time.monotonic()
            process = subprocess.Popen(command, env=env)  # noqa: S603 - our interpreter, our module
            current[:] = [process]
            code = process.wait()
            if stop.is_set():
                return
            failures = 0 if time.monotonic() - started > 60 else failures + 1
            pause = RESTART_BACKOFF[min(failures, len(RESTART_BACKOFF) - 1)]
            logger.error("the background worker exited (%s); restarting in %.0f s", code, pause)
            stop.wait(pause)

    supervisor = threading.Thread(target=keep_running, name="worker-supervisor", daemon=True)
    supervisor.start()
    try:
        yield
    finally:
        stop.set()
        for process in current:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        supervisor.join(timeout=5)
