"""Personal data stays sealed in the read model too, opened on read: shredding a subject key
erases it from every copy at once. The read model is rebuilt from the events.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DERIVED = ("camera_rtree", "audit_event_cameras", "audit_events", "audit_leaves", "audit_tree",
           "provisions", "hold_cameras", "holds", "footage_requests", "clips", "clients", "cameras")
"""Every projected table (not the checkpoints, which a rebuild must reproduce)."""


def upgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.add_column(sa.Column("sealed_personal_data", sa.Text))
        batch.add_column(sa.Column("subject_key_id", sa.String(128)))
    # Rows written before held plaintext: project everything again from the first event.
    bind = op.get_bind()
    for table in DERIVED:
        if table == "camera_rtree" and bind.dialect.name != "sqlite":
            continue
        op.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - names from DERIVED above
    op.execute(sa.text("UPDATE projection_positions SET position = 0"))


def downgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.drop_column("subject_key_id")
        batch.drop_column("sealed_personal_data")
