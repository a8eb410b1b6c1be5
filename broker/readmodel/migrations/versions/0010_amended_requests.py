"""An amended request points to the request that replaced it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.add_column(sa.Column("superseded_by", sa.String(36)))


def downgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.drop_column("superseded_by")
