"""Footage requests with their decisions and grants; legal holds and the cameras they cover.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "footage_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("legal_basis", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("review_deadline", sa.DateTime(timezone=True)),
        sa.Column("grant_id", sa.String(36), unique=True),
        sa.Column("grant", sa.Text),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("footage_requests_by_client", "footage_requests", ["client_id", "submitted_at"])
    op.create_index("footage_requests_by_status", "footage_requests", ["status", "review_deadline"])
    op.create_table(
        "holds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_reference", sa.Text, nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("placed_by", sa.String(36), nullable=False),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("request_id", sa.String(36)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True)),
    )
    op.create_index("holds_by_request", "holds", ["request_id"])
    op.create_table(
        "hold_cameras",
        sa.Column("hold_id", sa.String(36), primary_key=True),
        sa.Column("camera_id", sa.String(36), primary_key=True),
    )
    op.create_index("hold_cameras_by_camera", "hold_cameras", ["camera_id"])


def downgrade() -> None:
    op.drop_table("hold_cameras")
    op.drop_table("holds")
    op.drop_table("footage_requests")
