"""Projection positions, cameras with a spatial index, API clients.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "cameras",
        sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("purpose_category", sa.String(32), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("coverage_m", sa.Float, nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("installed", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
        sa.Column("min_lon", sa.Float, nullable=False),
        sa.Column("max_lon", sa.Float, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Built-in R*Tree module; its rowid is cameras.row_id. Only active cameras are indexed.
        op.execute(
            "CREATE VIRTUAL TABLE camera_rtree USING rtree(row_id, min_lat, max_lat, min_lon, max_lon)"
        )
    else:
        # Plain PostgreSQL (no extension): GiST over the coverage box.
        op.execute(
            "CREATE INDEX cameras_coverage_gist ON cameras USING gist "
            "(box(point(min_lon, min_lat), point(max_lon, max_lat))) WHERE status = 'active'"
        )
    op.create_table(
        "clients",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("clients")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE camera_rtree")
    op.drop_table("cameras")
    op.drop_table("projection_positions")
