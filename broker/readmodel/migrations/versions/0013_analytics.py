"""Analytics: each request's 250 m cell (never its location), the camera registry's history,
and when each camera was last named in a decision's scope.

The cells come from the requests' sealed personal data, opened once as each request is
projected, so the history cannot be filled in here: when the read model already holds
requests or cameras, every derived table is emptied and the read model is projected again
from the first event (as 0008 did). Requests whose personal data was erased meanwhile get no
cell: their key is gone.

Revision ID: 0013
Revises: 0010 (re-chained onto 0012 when the redaction branch is merged)
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from broker.readmodel.tables import metadata

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KEPT = {"projection_positions", "audit_checkpoints"}
"""Read-model tables not derived from the events: the position, and the signed checkpoints (a
rebuild must reproduce them, not replace them). The event store and the keystore may share the
database (PostgreSQL): only the read model's own tables are ever emptied."""


def upgrade() -> None:
    op.create_table(
        "analytics_requests",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("legal_basis", sa.String(64), nullable=False),
        sa.Column("agency_kind", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("no_camera", sa.Integer, nullable=False),
        sa.Column("superseded", sa.Integer, nullable=False),
        sa.Column("cell_row", sa.Integer),
        sa.Column("cell_column", sa.Integer),
    )
    # One index range per period that also holds every grouped column: the coverage
    # aggregate never touches the table itself.
    op.create_index("analytics_requests_by_time", "analytics_requests",
                    ["submitted_at", "cell_row", "cell_column", "legal_basis", "agency_kind",
                     "no_camera", "superseded"])
    op.create_table(
        "analytics_camera_history",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("camera_id", sa.String(36), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("coverage_m", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "analytics_camera_use",
        sa.Column("camera_id", sa.String(36), primary_key=True),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("last_requested_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    projected = any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first()  # noqa: S608 - fixed names
        for table in ("cameras", "footage_requests"))
    if not projected:
        return
    existing = set(sa.inspect(bind).get_table_names())
    for table in metadata.sorted_tables:  # the read model's tables, as this code defines them
        if table.name in existing and table.name not in KEPT:
            op.execute(table.delete())
    if bind.dialect.name == "sqlite":
        op.execute(sa.text("DELETE FROM camera_rtree"))
    op.execute(sa.text("UPDATE projection_positions SET position = 0"))


def downgrade() -> None:
    op.drop_table("analytics_camera_use")
    op.drop_table("analytics_camera_history")
    op.drop_index("analytics_requests_by_time", table_name="analytics_requests")
    op.drop_table("analytics_requests")
