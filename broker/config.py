"""Settings from the environment (prefix ``BROKER_``), validated once at start.

Invalid settings stop the process with one line naming the variable, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from broker.errors import ConfigurationError

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_PACKS = PACKAGE_DIR / "policies"
"""The packs that ship inside the package (``kr-pipa``, ``eu-gdpr-led``): data reviewed like code."""
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "password", "secret", "postgres", "admin"})

EventStoreKind = Literal["sqlite", "postgres"]
BlobStoreKind = Literal["filesystem", "s3"]


class Settings(BaseSettings):
    """Everything the broker can be told; defaults give the embedded laptop deployment."""

    model_config = SettingsConfigDict(env_prefix="BROKER_", extra="ignore", frozen=True)

    data_dir: Path = Path("var")
    keys_dir: Path = Path("keys")
    checkpoints_dir: Path | None = None
    """Where the checkpoint log and leaf log go (default: the data dir); another disk or a
    write-once mount is better: a rebuild of the read model never touches them."""
    policy_pack: Path = Field(default=Path("kr-pipa"), description=(
        "a bundled pack by name (kr-pipa, eu-gdpr-led) or the path of a pack file"))

    event_store: EventStoreKind = "sqlite"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = Field(default=5432, ge=1, le=65535)
    postgres_dbname: str = "broker"
    postgres_user: str = "broker"
    postgres_password: SecretStr = SecretStr("")
    postgres_pool_size: int = Field(default=5, ge=1, le=100)
    aggregate_cache_size: int = Field(default=1000, ge=0, le=1_000_000)
    """Aggregates kept in memory per process (LRU; 0: none). Each load takes the cached one,
    fast-forwarded by the events stored since (so other processes' writes are seen), instead
    of replaying every event: a grant used a thousand times is not replayed a thousand times."""

    readmodel_url: str | None = None
    """SQLAlchemy URL; by default the read model lives beside the event store."""

    blob_store: BlobStoreKind = "filesystem"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "footage"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"

    max_clip_bytes: int = Field(default=4 * 1024**3, ge=1)
    upload_read_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    """An upload that sends nothing for this long is dropped, and nothing of it is kept."""
    upload_max_duration_s: float = Field(default=6 * 3600, gt=0, le=7 * 24 * 3600)
    """No upload runs longer; so what a writer left older than this is certainly orphaned."""
    max_concurrent_uploads: int = Field(default=4, ge=1, le=256)
    """Uploads stream in threads of their own, this many at a time; others wait for a slot."""
    models_dir: Path = Path(".models")
    """The detector models ``broker models fetch`` prepared; masking is refused without them."""
    delivery_max_downloads: int = Field(default=5, ge=1, le=100)
    """How often a citizen may download the masked copy of one request."""
    delivery_days: float = Field(default=14, gt=0, le=365)
    """How long a rendered masked copy may be downloaded (never past the grant's expiry)."""
    redaction_checkpoint_frames: int = Field(default=150, ge=1, le=100_000)
    """The redaction job records how far it got every this many frames (a restart resumes there)."""
    max_stream_threads: int = Field(default=8, ge=1, le=256)
    """Clip and export downloads pull their chunks in threads of their own, this many at a time
    (taken per chunk, so every stream moves); never in the threads that serve other routes."""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    scheduler_enabled: bool = True

    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """A console session unused this long is over."""
    console_session_hours: float = Field(default=12.0, gt=0, le=7 * 24)
    """No console session lasts longer, used or not."""
    console_tile_url: str = ""
    """Map tiles, e.g. ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``; empty: no tiles (the
    offline default: cameras on a plain grid)."""
    console_tile_attribution: str = ""
    console_timezone: str = Field(default="", max_length=64)
    """The zone the console shows and reads times in (an IANA name); empty: the pack's
    jurisdiction's (Asia/Seoul for KR), else UTC. Records and the API stay in UTC."""
    oidc_issuer: str | None = None
    """The city's OpenID Connect provider (its discovery document is under this URL); unset:
    local accounts only."""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_scopes: str = "openid profile email"
    oidc_role_claim: str = "roles"
    oidc_roles: dict[str, str] = Field(default_factory=dict)
    """JSON: a value of the role claim -> a console role, e.g. ``{"cctv-privacy": "privacy_officer"}``."""
    oidc_agency_claim: str = "agency"
    oidc_default_agency: str = ""

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        for name in ("postgres_password", "s3_secret_key", "oidc_client_secret"):
            value: SecretStr = getattr(self, name)
            if value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(f"BROKER_{name.upper()} is a placeholder; set a real secret")
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret.get_secret_value()):
            raise ValueError("BROKER_OIDC_CLIENT_ID and BROKER_OIDC_CLIENT_SECRET are required "
                             "with BROKER_OIDC_ISSUER")
        if self.blob_store == "s3" and not self.s3_endpoint_url:
            raise ValueError("BROKER_S3_ENDPOINT_URL is required when BROKER_BLOB_STORE=s3")
        return self

    @field_validator("policy_pack")
    @classmethod
    def _bundled_or_file(cls, value: Path) -> Path:
        bundled = BUNDLED_PACKS / f"{value}.toml"
        if value.suffix == "" and len(value.parts) == 1 and bundled.is_file():
            return bundled
        return value

    @property
    def events_db_path(self) -> Path:
        return self.data_dir / "events.db"

    @property
    def keystore_db_path(self) -> Path:
        return self.data_dir / "keystore.db"

    @property
    def checkpoint_log_path(self) -> Path:
        return (self.checkpoints_dir or self.data_dir) / "checkpoints.log"

    @property
    def leaf_log_path(self) -> Path:
        return (self.checkpoints_dir or self.data_dir) / "audit-leaves.bin"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    def postgres_conninfo(self) -> str:
        """libpq key/value string; the password is only included when set."""
        parts = {
            "host": self.postgres_host,
            "port": str(self.postgres_port),
            "dbname": self.postgres_dbname,
            "user": self.postgres_user,
        }
        password = self.postgres_password.get_secret_value()
        if password:
            parts["password"] = password
        return " ".join(f"{key}={_quote_libpq(value)}" for key, value in parts.items())

    def resolved_readmodel_url(self) -> str:
        if self.readmodel_url:
            return self.readmodel_url
        if self.event_store == "postgres":
            from sqlalchemy.engine import URL

            return URL.create(
                "postgresql+psycopg",
                username=self.postgres_user,
                password=self.postgres_password.get_secret_value() or None,
                host=self.postgres_host,
                port=self.postgres_port,
                database=self.postgres_dbname,
            ).render_as_string(hide_password=False)
        return self.default_readmodel_url()

    @property
    def readmodel_db_path(self) -> Path:
        return self.data_dir / "readmodel.db"

    def default_readmodel_url(self) -> str:
        """The embedded read model: a SQLite file beside the event store."""
        return f"sqlite:///{self.readmodel_db_path.resolve()}"

    def eventsourcing_env(self) -> dict[str, str]:
        """The environment that selects the eventsourcing persistence module (and its cache)."""
        cache = {"AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
                 "AGGREGATE_CACHE_FASTFORWARD": "y"} if self.aggregate_cache_size else {}
        return {**self._persistence_env(), **cache}

    def _persistence_env(self) -> dict[str, str]:
        if self.event_store == "postgres":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": self.postgres_dbname,
                "POSTGRES_HOST": self.postgres_host,
                "POSTGRES_PORT": str(self.postgres_port),
                "POSTGRES_USER": self.postgres_user,
                "POSTGRES_PASSWORD": self.postgres_password.get_secret_value(),
                "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
                "CREATE_TABLE": "y",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.events_db_path.resolve()),
            "SQLITE_LOCK_TIMEOUT": "30",
            "CREATE_TABLE": "y",
        }


def _quote_libpq(value: str) -> str:
    if value and all(ch not in value for ch in " '\\"):
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def load_settings(**overrides: object) -> Settings:
    """Read settings or raise ``ConfigurationError`` with one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """First problem as ``BROKER_NAME: message``; the value is not echoed (it may be secret)."""
    error = exc.errors()[0]
    location = [str(part) for part in error.get("loc", ()) if part != "__root__"]
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if not location:
        return message
    return f"BROKER_{location[0].upper()}: {message}"
