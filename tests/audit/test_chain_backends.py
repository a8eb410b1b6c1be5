"""The chain verifies on both event stores, and an edited row is caught on PostgreSQL too."""

from __future__ import annotations

import psycopg

from broker.application import audit_chain as audit
from broker.domain.camera import CameraSpec
from tests.conftest import SHELL


def populate(broker, count: int = 12) -> None:
    for i in range(count):
        broker.clients.register(SHELL, name=f"c{i}", role="police", agency="대전경찰청")
        broker.cameras.upsert(SHELL, [CameraSpec(
            key=f"k{i}", name=f"cam {i}", agency="서구청", purpose="생활방범",
            purpose_category="crime_prevention", address="", lat=36.35, lon=127.38,
            coverage_m=50, retention_days=30)])


def test_chain_verifies_on_every_store(broker):
    populate(broker)
    assert audit.checkpoint(broker.ctx) is not None
    report = audit.verify_chain(broker.ctx)
    assert report.ok and report.events_checked == report.tree_size == 24
    assert report.checkpoints_verified == 1


def test_edited_row_is_named_on_postgres(postgres_database, tmp_path, keys_dir, clock):
    from broker.bootstrap import build
    from tests.conftest import postgres_settings

    server, dbname = postgres_database
    broker = build(postgres_settings(tmp_path, keys_dir, server, dbname), clock)
    try:
        populate(broker)
        audit.checkpoint(broker.ctx)
        table = broker.app.recorder.events_table_name
        with psycopg.connect(server.conninfo(dbname), autocommit=True) as conn:
            conn.execute(f'UPDATE "{table}" SET state = state || \'\\x20\'::bytea '
                         "WHERE notification_id = (SELECT min(notification_id) + 6 FROM "
                         f'"{table}")')
        report = audit.verify_chain(broker.ctx)
        assert not report.ok and report.first_bad_position == 6
    finally:
        broker.close()
