"""Upgrading a read model that already holds history fills analytics from the first event."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from broker.bootstrap import build
from broker.readmodel.migrate import MIGRATIONS_DIR, upgrade_to_head
from broker.readmodel.tables import analytics_requests, audit_leaves, cameras
from tests.analytics.city import build_city
from tests.conftest import SHELL, T0


def count(broker, table, *where) -> int:
    broker.ctx.consistency.latest()  # the projection follows behind the writes
    with broker.readmodel.reader.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_upgrading_to_analytics_projects_the_history_again(broker):
    build_city(broker)
    leaves = count(broker, audit_leaves)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with broker.readmodel.writer.connect() as connection:
        config.attributes["connection"] = connection
        before = ScriptDirectory.from_config(config).get_revision("0013").down_revision
        assert isinstance(before, str)
        command.downgrade(config, before)  # to the revision before analytics, whichever it is
        connection.commit()
    upgrade_to_head(broker.readmodel.writer)
    assert count(broker, cameras) == 0 and broker.projector.position() == 0
    restarted = build(broker.settings, broker.clock)  # as the next start projects it
    try:
        assert count(restarted, analytics_requests,
                     analytics_requests.c.cell_row.is_not(None)) == 28
        assert count(restarted, cameras) == 7 and count(restarted, audit_leaves) == leaves
        assert restarted.analytics.coverage(SHELL, T0 - timedelta(days=1))["blind_spots"][
            "count"] == 2
    finally:
        restarted.close()
