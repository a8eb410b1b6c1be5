"""Audit trail: one row per event, its cameras, the Merkle leaves and tree, signed checkpoints,
and the provision ledger (PIPA Art. 18(4)-(5), Enforcement Decree Art. 15).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("notification_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("aggregate_id", sa.String(36), nullable=False),
        sa.Column("actor_client_id", sa.String(36)),
        sa.Column("actor_role", sa.String(32)),
        sa.Column("actor_agency", sa.Text),
        sa.Column("request_id", sa.String(36)),
        sa.Column("grant_id", sa.String(36)),
        sa.Column("clip_id", sa.String(36)),
        sa.Column("legal_basis", sa.String(64)),
        sa.Column("outcome", sa.String(32)),
        sa.Column("detail", sa.Text),
    )
    # Every filter has an index yielding rows in (time, position) order, with a time range
    # as part of the index range: a page is one index range scan, whatever the log's size.
    op.create_index("audit_events_by_time", "audit_events", ["at", "position"])
    for column in ("event_type", "actor_client_id", "actor_agency", "request_id", "legal_basis"):
        op.create_index(f"audit_events_by_{column}", "audit_events", [column, "at", "position"])
    op.create_table(
        "audit_event_cameras",
        sa.Column("camera_id", sa.String(36), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
    )
    op.create_table(
        "audit_leaves",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("notification_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "audit_tree",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("signed_note", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "provisions",
        sa.Column("grant_id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("recipient_client_id", sa.String(36), nullable=False),
        sa.Column("recipient_agency", sa.Text, nullable=False),
        sa.Column("recipient_role", sa.String(32), nullable=False),
        sa.Column("legal_basis", sa.String(64), nullable=False),
        sa.Column("citation", sa.Text),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("camera_ids", sa.Text, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("exports", sa.Integer, nullable=False),
        sa.Column("restrictions", sa.Text, nullable=False),
        sa.Column("onward_transfer", sa.String(32), nullable=False),
    )
    op.create_index("provisions_by_provided_at", "provisions", ["provided_at"])


def downgrade() -> None:
    for table in ("provisions", "audit_checkpoints", "audit_tree", "audit_leaves",
                  "audit_event_cameras", "audit_events"):
        op.drop_table(table)
