"""Any edit of a stored event row (raw SQL on the SQLite file) is caught and named."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from broker.adapters.vault.kek import init_keyfile
from broker.application import audit_chain as audit
from broker.bootstrap import build
from broker.clock import FixedClock
from broker.config import Settings
from broker.domain.camera import CameraSpec
from tests.conftest import SHELL

EVENTS = 24


def fresh_log(root: Path):
    init_keyfile(root / "keys")
    broker = build(Settings(data_dir=root / "var", keys_dir=root / "keys"),
                   FixedClock(datetime(2026, 11, 20, tzinfo=UTC)))
    for i in range(EVENTS // 2):
        broker.clients.register(SHELL, name=f"c{i}", role="police", agency="대전경찰청")
        broker.cameras.upsert(SHELL, [CameraSpec(
            key=f"k{i}", name=f"cam {i}", agency="서구청", purpose="생활방범",
            purpose_category="crime_prevention", address="", lat=36.35, lon=127.38 + i / 1000,
            coverage_m=50, retention_days=30)])
    return broker


def tamper(db: Path, action: str, k: int, j: int) -> int:
    """Apply one tampering at row ``k`` (0-based); returns the position that must be named."""
    with sqlite3.connect(db) as conn:
        rowid = k + 1
        if action == "modify":
            conn.execute("UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), "
                         "'\"at\"', '\"At\"') AS BLOB) WHERE rowid = ?", (rowid,))
            changed = conn.execute("SELECT changes()").fetchone()[0]
            assert changed == 1
        elif action == "flip_byte":
            (state,) = conn.execute("SELECT state FROM stored_events WHERE rowid = ?", (rowid,)).fetchone()
            state = bytes(state)
            index = j % len(state)
            conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                         (state[:index] + bytes([state[index] ^ 0x01]) + state[index + 1:], rowid))
        elif action == "delete":
            conn.execute("DELETE FROM stored_events WHERE rowid = ?", (rowid,))
        elif action == "swap":
            other = rowid + 1 + (j % (EVENTS - rowid)) if rowid < EVENTS else rowid - 1
            first, second = sorted((rowid, other))
            conn.execute("UPDATE stored_events SET rowid = -1 WHERE rowid = ?", (first,))
            conn.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (first, second))
            conn.execute("UPDATE stored_events SET rowid = ? WHERE rowid = -1", (second,))
            return first - 1
        elif action == "insert":
            # Make room at ``rowid`` by shifting every later row up, then slip a forged row in.
            rows = conn.execute("SELECT rowid FROM stored_events WHERE rowid >= ? ORDER BY rowid DESC",
                                (rowid,)).fetchall()
            for (existing,) in rows:
                conn.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (existing + 1, existing))
            conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
                         " SELECT ?, ?, originator_version, topic, state"
                         " FROM stored_events WHERE rowid = ?", (rowid, str(uuid.uuid4()), rowid + 1))
        conn.commit()
    return k


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(["modify", "flip_byte", "delete", "swap", "insert"]),
       k=st.integers(0, EVENTS - 1), j=st.integers(0, 10_000), checkpointed=st.booleans())
@example(action="delete", k=EVENTS - 1, j=0, checkpointed=False)  # the tail, no signed head
@example(action="delete", k=EVENTS - 1, j=0, checkpointed=True)
@example(action="swap", k=EVENTS - 1, j=0, checkpointed=True)
def test_any_tampering_is_detected_and_named(tmp_path_factory, action, k, j, checkpointed):
    root = tmp_path_factory.mktemp("tamper")
    broker = fresh_log(root)
    try:
        if checkpointed:
            assert audit.checkpoint(broker.ctx) is not None
        before = audit.verify_chain(broker.ctx)
        # An intact log with no signed checkpoint is not a pass: nothing anchors it yet.
        assert before.ok is checkpointed and before.first_bad_position is None
        expected = tamper(root / "var" / "events.db", action, k, j)
        report = audit.verify_chain(broker.ctx)
        assert not report.ok
        assert report.first_bad_position == expected, report
        assert report.first_bad_event is not None
    finally:
        broker.close()


def test_a_forged_checkpoint_is_refused(tmp_path):
    broker = fresh_log(tmp_path)
    try:
        note = audit.checkpoint(broker.ctx)
        assert note is not None
        from sqlalchemy import update

        from broker.readmodel.tables import audit_checkpoints

        with broker.readmodel.writer.begin() as conn:
            conn.execute(update(audit_checkpoints).values(signed_note=note.replace("\n24\n", "\n23\n")))
        report = audit.verify_chain(broker.ctx)
        assert not report.ok and "checkpoint does not verify" in report.reason
    finally:
        broker.close()


def test_a_consistent_rewrite_of_log_and_leaves_is_caught_by_the_signed_checkpoint(tmp_path):
    """An insider who edits an event AND its recorded leaf hash still cannot match the signed root."""
    broker = fresh_log(tmp_path)
    try:
        audit.checkpoint(broker.ctx)
        tamper(tmp_path / "var" / "events.db", "flip_byte", 3, 17)
        from sqlalchemy import delete

        from broker.readmodel.tables import audit_leaves

        with broker.readmodel.writer.begin() as conn:
            conn.execute(delete(audit_leaves).where(audit_leaves.c.position == 3))
        report = audit.verify_chain(broker.ctx)
        assert not report.ok
        assert "checkpoint" in report.reason or report.first_bad_position == 3
    finally:
        broker.close()
