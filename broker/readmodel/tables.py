"""Read-model tables (SQLAlchemy Core). Alembic revisions in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
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
    # The register's other columns (0011).
    Column("management_number", Text),
    Column("agency_code", String(32)),
    Column("lot_address", Text, nullable=False, server_default=""),
    Column("pixels", Integer),
    Column("direction", Text, nullable=False, server_default=""),
    Column("phone", String(64), nullable=False, server_default=""),
    Column("data_date", String(10)),
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
    Column("ingested_by", String(64), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("purged_at", DateTime(timezone=True)),
    Column("purge_reason", String(16)),
    Column("video", Text),  # the probe at ingest, JSON; NULL for clips from before probing
)

footage_requests = Table(
    "footage_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(64), nullable=False),
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
    Column("access_token_hash", String(64)),
    Column("delivered_at", DateTime(timezone=True)),
    # Personal data as the event holds it: sealed under the subject key, opened on read.
    Column("sealed_personal_data", Text),
    Column("subject_key_id", String(128)),
    Column("superseded_by", String(36)),
)

holds = Table(
    "holds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_reference", Text, nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("placed_by", String(64), nullable=False),
    Column("agency", Text, nullable=False),
    Column("request_id", String(36)),
    Column("reason", Text, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True)),
    Column("until", DateTime(timezone=True)),
)

hold_cameras = Table(
    "hold_cameras",
    metadata,
    Column("hold_id", String(36), primary_key=True),
    Column("camera_id", String(36), primary_key=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("notification_id", BigInteger, nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("aggregate_id", String(36), nullable=False),
    Column("actor_client_id", String(64)),
    Column("actor_role", String(32)),
    Column("actor_agency", Text),
    Column("request_id", String(36)),
    Column("grant_id", String(36)),
    Column("clip_id", String(36)),
    Column("legal_basis", String(64)),
    Column("outcome", String(32)),
    Column("detail", Text),
)

audit_event_cameras = Table(
    "audit_event_cameras",
    metadata,
    Column("camera_id", String(36), primary_key=True),
    Column("at", DateTime(timezone=True), primary_key=True),
    Column("position", BigInteger, primary_key=True),
)

audit_leaves = Table(
    "audit_leaves",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("notification_id", BigInteger, nullable=False, unique=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

audit_tree = Table(
    "audit_tree",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("state", LargeBinary, nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("signed_note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

provisions = Table(
    "provisions",
    metadata,
    Column("grant_id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False),
    Column("recipient_client_id", String(64), nullable=False),
    Column("recipient_agency", Text, nullable=False),
    Column("recipient_role", String(32), nullable=False),
    Column("legal_basis", String(64), nullable=False),
    Column("citation", Text),
    Column("purpose", Text, nullable=False),
    Column("camera_ids", Text, nullable=False),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("window_end", DateTime(timezone=True), nullable=False),
    Column("provided_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("views", Integer, nullable=False),
    Column("exports", Integer, nullable=False),
    Column("restrictions", Text, nullable=False),
    Column("onward_transfer", String(32), nullable=False),
)

overlay_zones = Table(
    "overlay_zones",
    metadata,
    Column("camera_id", String(36), primary_key=True),
    Column("zones", Text, nullable=False),  # JSON list of {x, y, w, h, label} in frame fractions
    Column("set_by", String(64), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

redactions = Table(
    "redactions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, unique=True),
    Column("grant_id", String(36), nullable=False),
    Column("status", String(24), nullable=False),
    Column("own_image", Integer, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("failure", Text),  # JSON {clip_id, stage, message, during, at} while failed
    Column("corrections", Text, nullable=False),  # JSON {keep: {clip: [track]}, manual: {clip: [box]}}
    Column("approval", Text),  # JSON {by, at, note, changes}
    Column("artifact", Text),  # JSON {delivery_id, key_id, blob_id, sha256, size, ...}
    Column("expires_at", DateTime(timezone=True)),
    Column("downloads", Integer, nullable=False),
    Column("watches", Integer, nullable=False, server_default="0"),  # plays in the citizen's page
    Column("purged_at", DateTime(timezone=True)),
)

redaction_clips = Table(
    "redaction_clips",
    metadata,
    Column("redaction_id", String(36), primary_key=True),
    Column("clip_id", String(36), primary_key=True),
    Column("status", String(16), nullable=False),  # queued, running, drafted
    Column("attempts", Integer, nullable=False),
    Column("draft", Text),  # JSON {key_id, blob_id, sha256, frames, tracks, zone_drops}
)

redaction_progress = Table(
    # Not a projection: the job writes it as it goes (progress in frames, its checkpoint). A
    # rebuilt read model loses it, and the job then starts that clip from frame 0 again.
    "redaction_progress",
    metadata,
    Column("redaction_id", String(36), primary_key=True),
    Column("clip_id", String(36), primary_key=True),
    Column("frames_done", Integer, nullable=False),
    Column("frames_total", Integer, nullable=False),
    Column("checkpoint", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Analytics (``readmodel/analytics_view.py``): what the city learns, without anyone's location.

analytics_requests = Table(
    "analytics_requests",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("legal_basis", String(64), nullable=False),
    Column("agency_kind", String(32), nullable=False),
    Column("outcome", String(16)),
    Column("no_camera", Integer, nullable=False),
    Column("superseded", Integer, nullable=False),
    # The 250 m cell of the incident (broker/common/grid.py), never the location; NULL once
    # the request's personal data is erased, or when it had no location.
    Column("cell_row", Integer),
    Column("cell_column", Integer),
)

analytics_camera_history = Table(
    "analytics_camera_history",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("camera_id", String(36), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("coverage_m", Float, nullable=False),
    Column("status", String(16), nullable=False),
)

analytics_camera_use = Table(
    "analytics_camera_use",
    metadata,
    Column("camera_id", String(36), primary_key=True),
    Column("requests", Integer, nullable=False),
    Column("last_requested_at", DateTime(timezone=True), nullable=False),
)

people = Table(
    "people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("agency", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("federated_subject", String(512)),
    # Password hash and TOTP secret as the event holds them: sealed under the person's key.
    Column("sealed_credentials", Text),
    Column("subject_key_id", String(128), nullable=False),
    Column("totp", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("last_sign_in_at", DateTime(timezone=True)),
)

person_sessions = Table(
    "person_sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False),
    Column("token_sha256", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", String(32)),
)
