"""Nothing left behind: an ingest killed at any step leaves nothing the sweep does not remove,
and the sweep never removes footage that was recorded."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from uuid import UUID

import pytest

from broker.application.requests import RequestDraft
from broker.bootstrap import Broker, build
from broker.config import Settings
from broker.domain.camera import CameraSpec, camera_id_for
from broker.domain.roles import Role
from broker.readmodel.clip_view import clips_in_scope
from tests.api.helpers import add_cameras
from tests.conftest import SHELL, actor
from tests.support.videos import padded

SPEC = CameraSpec(key="cam", name="cam", agency="서구청", purpose="생활방범",
                  purpose_category="crime_prevention", address="", lat=36.35, lon=127.38,
                  coverage_m=50, retention_days=30)

# Each step kills the ingesting process with SIGKILL at one point of the ingest.
KILLS = {
    "mid-upload": """
        def chunks():
            yield b"x" * (4 << 20)
            os.kill(os.getpid(), signal.SIGKILL)
            yield b"never"
    """,
    "stored-not-recorded": """
        def chunks():
            yield BODY
        original = BrokerApp.record
        def record(self, *aggregates):
            if any(type(a).__name__ == "Clip" for a in aggregates):
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, *aggregates)
        BrokerApp.record = record
    """,
    "recorded-not-projected": """
        def chunks():
            yield BODY
        ReadYourWrites.wait = lambda self, position: os.kill(os.getpid(), signal.SIGKILL)
    """,
}


def killed_ingest(settings: Settings, step: str) -> None:
    script = textwrap.dedent("""
        import os, signal
        from datetime import datetime, timedelta, UTC
        from broker.application.actors import Actor
        from broker.application.consistency import ReadYourWrites
        from broker.application.core import BrokerApp
        from broker.bootstrap import build
        from broker.config import Settings
        from broker.domain.camera import camera_id_for
        from tests.support.videos import padded
        BODY = padded(4 << 20, fill=b"x")
    """) + textwrap.dedent(KILLS[step]) + textwrap.dedent(f"""
        broker = build(Settings(data_dir={str(settings.data_dir)!r},
                                keys_dir={str(settings.keys_dir)!r}))
        now = datetime.now(UTC)
        broker.clips.ingest(Actor.shell(), camera_id=camera_id_for("cam"),
                            start=now - timedelta(minutes=2), end=now - timedelta(minutes=1),
                            chunks=chunks())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -9, result.stderr.decode()


def vault_contents(broker: Broker) -> tuple[int, int, int]:
    keys = sum(broker.vault.keystore.count_by_kek_version().values())
    blobs = len(list(broker.vault.blobs.iter_ids()))
    temps = sum(1 for _ in broker.settings.blobs_dir.rglob("*.tmp"))
    return keys, blobs, temps


def swept_events(broker: Broker) -> list:
    return [broker.app.mapper.to_domain_event(n)
            for n in broker.app.recorder.select_notifications(start=1, limit=10_000)
            if n.topic.endswith("VaultSweep.Swept")]


@pytest.mark.parametrize("step", ["mid-upload", "stored-not-recorded"])
def test_what_a_killed_ingest_leaves_is_swept_and_the_sweep_recorded(sqlite_settings, step):
    first = build(sqlite_settings)
    first.cameras.upsert(SHELL, [SPEC])
    first.close()
    killed_ingest(sqlite_settings, step)
    broker = build(sqlite_settings)
    try:
        keys, blobs, temps = vault_contents(broker)
        assert keys == 1 and blobs + temps == 1  # the attack's residue is really there
        assert broker.sweeps.reconcile_vault().orphan_keys == 0  # too young to be judged yet
        report = broker.sweeps.reconcile_vault(older_than=timedelta(0))
        assert (report.orphan_keys, report.orphan_blobs + report.stale_uploads) == (1, 1)
        assert vault_contents(broker) == (0, 0, 0)
        [swept] = swept_events(broker)
        assert len(swept.orphan_keys) == 1
        assert broker.sweeps.reconcile_vault(older_than=timedelta(0)).orphan_keys == 0
        assert len(swept_events(broker)) == 1  # nothing found, nothing recorded
    finally:
        broker.close()


def test_a_clip_recorded_but_never_projected_is_kept(sqlite_settings):
    first = build(sqlite_settings)
    first.cameras.upsert(SHELL, [SPEC])
    first.close()
    killed_ingest(sqlite_settings, "recorded-not-projected")
    broker = build(sqlite_settings)
    try:
        report = broker.sweeps.reconcile_vault(older_than=timedelta(0))
        assert (report.orphan_keys, report.orphan_blobs) == (0, 0)
        with broker.readmodel.reader.connect() as conn:
            [clip] = clips_in_scope(conn, [str(camera_id_for("cam"))],
                                    broker.clock.now() - timedelta(hours=1), broker.clock.now())
        body = b"".join(broker.vault.read(clip["id"], clip["key_id"], clip["blob_id"],
                                          clip["size"]))
        assert body == padded(4 << 20, fill=b"x")
    finally:
        broker.close()


def test_subject_keys_of_recorded_requests_are_kept(broker: Broker):
    add_cameras(broker, count=1)
    now = broker.clock.now()
    draft = RequestDraft(legal_basis="crime_investigation", mode="recorded", radius_m=150,
                         window_start=now - timedelta(hours=2), window_end=now - timedelta(hours=1),
                         incident_reference="112-1", incident_kind="theft",
                         location=(36.3504, 127.3845), occurred_at=now - timedelta(minutes=90),
                         purpose="escape route")
    filed = broker.requests.submit(actor(Role.POLICE), draft)
    assert broker.sweeps.reconcile_vault(older_than=timedelta(0)).orphan_keys == 0
    assert filed["purpose"] == "escape route"
    again = broker.requests.get(actor(Role.POLICE), UUID(filed["id"]))
    assert again["purpose"] == "escape route"  # its subject key survived the sweep
