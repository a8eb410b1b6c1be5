"""How often each masked copy was played in the citizen's page (``Redaction.Watched``).

The event is new with this revision, so every existing copy was watched zero times: the
column starts at 0 and nothing needs projecting again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("redactions") as table:
        table.add_column(sa.Column("watches", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("redactions") as table:
        table.drop_column("watches")
