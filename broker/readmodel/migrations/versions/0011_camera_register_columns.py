"""Cameras keep every column of the public registers; lookups by agency and 관리번호 (a key is looked up by its id, uuid5 of the key).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("management_number", sa.Text))
        batch.add_column(sa.Column("agency_code", sa.String(32)))
        batch.add_column(sa.Column("lot_address", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("pixels", sa.Integer))
        batch.add_column(sa.Column("direction", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("phone", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("data_date", sa.String(10)))
    op.create_index("cameras_agency", "cameras", ["agency"])
    op.create_index("cameras_management_number", "cameras", ["management_number"])


def downgrade() -> None:
    op.drop_index("cameras_management_number", table_name="cameras")
    op.drop_index("cameras_agency", table_name="cameras")
    with op.batch_alter_table("cameras") as batch:
        for name in ("data_date", "phone", "direction", "pixels", "lot_address", "agency_code",
                     "management_number"):
            batch.drop_column(name)
