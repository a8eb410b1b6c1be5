"""Pending reviews past their legal deadline are flagged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.drop_column("overdue_at")
