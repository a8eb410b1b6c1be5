"""People who sign in to the console, their sessions; actor columns wide enough for them.

A person acts as ``person:<uuid>`` (43 characters), so the columns that hold who acted grow
from 36 to 64 characters (PostgreSQL enforces the length; SQLite does not, so it is left be).

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ACTOR_COLUMNS = (("audit_events", "actor_client_id"), ("clips", "ingested_by"),
                 ("footage_requests", "client_id"), ("holds", "placed_by"),
                 ("provisions", "recipient_client_id"))


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("federated_subject", sa.String(512)),
        sa.Column("sealed_credentials", sa.Text),
        sa.Column("subject_key_id", sa.String(128), nullable=False),
        sa.Column("totp", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "person_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.String(32)),
    )
    # Unique by construction: a person's id is derived from the username (or the identity
    # provider's subject), so the event store refuses a second registration, not the projection.
    op.create_index("people_by_username", "people", ["username"])
    op.create_index("people_by_federated_subject", "people", ["federated_subject"])
    op.create_index("person_sessions_by_person", "person_sessions", ["person_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table, column in ACTOR_COLUMNS:
            op.alter_column(table, column, type_=sa.String(64), existing_type=sa.String(36))


def downgrade() -> None:
    for index, table in (("person_sessions_by_person", "person_sessions"),
                         ("people_by_federated_subject", "people"), ("people_by_username", "people")):
        op.drop_index(index, table_name=table)
    op.drop_table("person_sessions")
    op.drop_table("people")
