"""When a request's sealed personal data was erased (subject key shredded).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("footage_requests") as batch:
        batch.add_column(sa.Column("personal_erased_at", sa.DateTime(timezone=True)))
    op.create_index("footage_requests_personal_retention", "footage_requests",
                    ["personal_erased_at", "submitted_at"])


def downgrade() -> None:
    op.drop_index("footage_requests_personal_retention", "footage_requests")
    with op.batch_alter_table("footage_requests") as batch:
        batch.drop_column("personal_erased_at")
