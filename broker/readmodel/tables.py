"""Read-model tables (SQLAlchemy Core). Alembic revisions in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

projection_positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

cameras = Table(
    "cameras",
    metadata,
    # Integer surrogate key: SQLite's R*Tree rows are keyed by integers.
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("key", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("agency", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("purpose_category", String(32), nullable=False),
    Column("address", Text, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("coverage_m", Float, nullable=False),
    Column("retention_days", Integer, nullable=False),
    Column("installed", String(16)),
    Column("status", String(16), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Coverage bounding box, maintained with the row; indexed by R*Tree or GiST.
    Column("min_lat", Float, nullable=False),
    Column("max_lat", Float, nullable=False),
    Column("min_lon", Float, nullable=False),
    Column("max_lon", Float, nullable=False),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("agency", Text, nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

clips = Table(
    "clips",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("camera_id", String(36), nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("blob_id", String(64), nullable=False),
    Column("ingested_by", String(36), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("purged_at", DateTime(timezone=True)),
    Column("purge_reason", String(16)),
)

footage_requests = Table(
    "footage_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(36), nullable=False),
    Column("agency", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("legal_basis", String(64), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("details", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("decision", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("review_deadline", DateTime(timezone=True)),
    Column("grant_id", String(36)),
    Column("grant", Text),
    Column("expires_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("overdue_at", DateTime(timezone=True)),
    Column("personal_erased_at", DateTime(timezone=True)),
)

holds = Table(
    "holds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_reference", Text, nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("placed_by", String(36), nullable=False),
    Column("agency", Text, nullable=False),
    Column("request_id", String(36)),
    Column("reason", Text, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True)),
)

hold_cameras = Table(
    "hold_cameras",
    metadata,
    Column("hold_id", String(36), primary_key=True),
    Column("camera_id", String(36), primary_key=True),
)
