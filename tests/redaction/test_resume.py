"""Kill the redaction worker mid-job (SIGKILL), start it again: the job resumes from its last
checkpoint and writes exactly the draft an uninterrupted run writes."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from uuid import UUID

import pytest
from sqlalchemy import select

from broker.adapters.redaction.detectors import Zone
from broker.adapters.redaction.engine import RedactionEngine
from broker.adapters.redaction.models import locate
from broker.domain.redaction import Redaction, redaction_id_for
from broker.readmodel.tables import redaction_progress
from tests.redaction import scene
from tests.redaction.conftest import file_and_grant

WORKER = """
    import time
    from broker.bootstrap import build
    from broker.config import Settings
    from broker.adapters.redaction.engine import RedactionEngine
    from broker.adapters.redaction.models import locate
    from broker.clock import FixedClock
    from tests.conftest import T0

    settings = Settings(data_dir={data_dir!r}, keys_dir={keys_dir!r}, models_dir={models_dir!r},
                        redaction_checkpoint_frames=10)
    broker = build(settings, FixedClock(T0))  # the tests' clock: the grant is still valid

    def slow_engine():
        engine = RedactionEngine(locate(settings.models_dir), checkpoint_frames=10)
        face = engine.face.__call__
        engine.face = type("Slow", (), {{"__call__": lambda self, image: (time.sleep(0.4), face(image))[1],
                                         "name": engine.face.name, "info": engine.face.info}})()
        return engine

    broker.redactions.engine_factory = slow_engine
    broker.redactions.run()
"""


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_killed_worker_resumes_and_writes_the_same_draft(api, broker, keys, models, street_clip):
    filed = file_and_grant(api, broker, keys, street_clip)
    settings = broker.settings
    script = textwrap.dedent(WORKER).format(data_dir=str(settings.data_dir), keys_dir=str(settings.keys_dir),
                                            models_dir=str(settings.models_dir))
    worker = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    redaction_id = str(redaction_id_for(filed.request_id))
    done = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and worker.poll() is None:
            with broker.readmodel.reader.connect() as conn:
                done = conn.execute(select(redaction_progress.c.frames_done).where(
                    redaction_progress.c.redaction_id == redaction_id)).scalar_one_or_none() or 0
            if 10 <= done < 30:
                break
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(30)
    assert worker.returncode == -signal.SIGKILL, worker.stderr.read().decode() if worker.stderr else ""
    assert 10 <= done < 30, f"the worker got to frame {done} before it was killed"

    broker.ctx.consistency.latest()
    interrupted = broker.app.load(UUID(redaction_id), Redaction, "redaction")
    assert interrupted.status == "queued" and not interrupted.drafts  # killed before its draft

    broker.redactions.run()  # the worker, restarted
    resumed = broker.app.load(UUID(redaction_id), Redaction, "redaction")
    assert resumed.status == "awaiting_review"
    starts = [e for e in broker.app.repository.event_store.get(UUID(redaction_id))
              if type(e).__name__ == "JobStarted"]
    assert [s.resumed_from for s in starts] == [0, done]

    engine = RedactionEngine(locate(models))
    reference = engine.detect(street_clip.path, clip_id=filed.clip_id,
                              source_sha256=resumed.drafts and _clip_sha(broker, filed.clip_id),
                              zones=[Zone(z["x"], z["y"], z["w"], z["h"]) for z in scene.ZONES],
                              total_frames=len(street_clip.frames))
    assert resumed.drafts[filed.clip_id]["sha256"] == reference.sha256


def _clip_sha(broker, clip_id: str) -> str:
    from broker.domain.clip import Clip

    return broker.app.load(UUID(clip_id), Clip, "clip").sha256
