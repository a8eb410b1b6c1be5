"""Legal holds are bounded: each has a term (``until``) after which it no longer keeps footage.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("until")
