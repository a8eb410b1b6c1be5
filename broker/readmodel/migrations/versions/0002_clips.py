"""Clips: one row per ingested clip, found by camera and time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clips",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("camera_id", sa.String(36), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("blob_id", sa.String(64), nullable=False),
        sa.Column("ingested_by", sa.String(36), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True)),
        sa.Column("purge_reason", sa.String(16)),
    )
    op.create_index("clips_by_camera_time", "clips", ["camera_id", "start", "end"])
    op.create_index("clips_by_status_end", "clips", ["status", "end"])


def downgrade() -> None:
    op.drop_table("clips")
