"""Citizen requests: per-request access token hash and delivery time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.add_column(sa.Column("access_token_hash", sa.String(64)))
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.drop_column("delivered_at")
        batch.drop_column("access_token_hash")
