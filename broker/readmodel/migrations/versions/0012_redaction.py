"""Redaction: the probe of each clip, overlay zones per camera, redactions and their clips, and
the redaction job's progress (not projected).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clips") as batch:
        batch.add_column(sa.Column("video", sa.Text))
    op.create_table(
        "overlay_zones",
        sa.Column("camera_id", sa.String(36), primary_key=True),
        sa.Column("zones", sa.Text, nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "redactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36), nullable=False, unique=True),
        sa.Column("grant_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("own_image", sa.Integer, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failure", sa.Text),
        sa.Column("corrections", sa.Text, nullable=False),
        sa.Column("approval", sa.Text),
        sa.Column("artifact", sa.Text),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("downloads", sa.Integer, nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True)),
    )
    op.create_index("redactions_by_status", "redactions", ["status", "requested_at"])
    op.create_table(
        "redaction_clips",
        sa.Column("redaction_id", sa.String(36), primary_key=True),
        sa.Column("clip_id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("draft", sa.Text),
    )
    op.create_table(
        "redaction_progress",
        sa.Column("redaction_id", sa.String(36), primary_key=True),
        sa.Column("clip_id", sa.String(36), primary_key=True),
        sa.Column("frames_done", sa.Integer, nullable=False),
        sa.Column("frames_total", sa.Integer, nullable=False),
        sa.Column("checkpoint", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("redaction_progress")
    op.drop_table("redaction_clips")
    op.drop_index("redactions_by_status", table_name="redactions")
    op.drop_table("redactions")
    op.drop_table("overlay_zones")
    with op.batch_alter_table("clips") as batch:
        batch.drop_column("video")
