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
