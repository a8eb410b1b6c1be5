"""The one wiring point: settings (+ a clock) in, a ready ``Broker`` out.

Tests and the CLI call ``build`` with their own settings and clock; nothing else constructs
infrastructure, and nothing is built at import time. Entrypoints reach every use case through
the ``Broker``'s areas (``broker.requests.submit(...)``, ``broker.oversight.audit_events(...)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.adapters.checkpoint_archive import (
    CheckpointArchive,
    CheckpointLogFile,
    LeafLogFile,
    S3CheckpointArchive,
)
from broker.adapters.durable import born_private, private_dir
from broker.adapters.locks import FileWriteLock, no_write_lock
from broker.adapters.oidc import OidcClient
from broker.adapters.vault.blobs import BlobStore, FilesystemBlobStore, S3BlobStore
from broker.adapters.vault.clipvault import ClipVault
from broker.adapters.vault.kek import KeyFile, load_keyring, load_or_create_signing_key
from broker.adapters.vault.keystore import Keystore, PostgresKeystore, SQLiteKeystore
from broker.adapters.vault.personal_data import PersonalData
from broker.application.analytics import Analytics
from broker.application.cameras import Cameras
from broker.application.citizens import Citizens
from broker.application.clients import Clients
from broker.application.clips import Clips
from broker.application.consistency import ReadYourWrites
from broker.application.context import Context
from broker.application.core import BrokerApp
from broker.application.dashboard import Dashboard
from broker.application.demo import Demo
from broker.application.grants import Grants
from broker.application.health import Health
from broker.application.holds import Holds
from broker.application.oversight import Oversight
from broker.application.people import People, SessionPolicy
from broker.application.policies import Policies
from broker.application.recorder import Recorder
from broker.application.redactions import Redactions
from broker.application.requests import Requests
from broker.application.reviews import Reviews
from broker.application.sweeps import Sweeps
from broker.clock import Clock, SystemClock
from broker.config import Settings
from broker.policy import PolicyPack, load_pack
from broker.readmodel.analytics_view import AnalyticsView
from broker.readmodel.audit_view import AuditTrail
from broker.readmodel.camera_view import CameraView
from broker.readmodel.client_view import ClientView
from broker.readmodel.clip_view import ClipView
from broker.readmodel.database import ReadModelDatabase, open_database
from broker.readmodel.ledger_view import LedgerView
from broker.readmodel.migrate import upgrade_to_head
from broker.readmodel.people_view import PeopleView
from broker.readmodel.projection import Projector, ReadModelView, ViewProjection
from broker.readmodel.redaction_view import RedactionView
from broker.readmodel.request_view import HoldView, RequestView


@dataclass
class Broker:
    """The running broker: its areas of use cases, and the parts they were built from."""

    settings: Settings
    ctx: Context
    projector: Projector
    cameras: Cameras
    clients: Clients
    clips: Clips
    recorder: Recorder
    requests: Requests
    holds: Holds
    grants: Grants
    reviews: Reviews
    citizens: Citizens
    redactions: Redactions
    oversight: Oversight
    policies: Policies
    sweeps: Sweeps
    demo: Demo
    health: Health
    analytics: Analytics
    people: People
    dashboard: Dashboard
    _closed: bool = field(default=False, repr=False)

    @property
    def app(self) -> BrokerApp:
        return self.ctx.app

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def policy(self) -> PolicyPack:
        return self.ctx.policy

    @property
    def vault(self) -> ClipVault:
        return self.ctx.vault

    @property
    def readmodel(self) -> ReadModelDatabase:
        return self.ctx.readmodel

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        return self.ctx.signing_key

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.ctx.readmodel.dispose()
        self.ctx.vault.close()
        self.ctx.app.close()


def projections(view: ReadModelView, personal_data: PersonalData) -> list[ViewProjection]:
    """Every view of the read model, in the order each event reaches them; the audit trail
    last, so that its lookups (a clip's camera, a client's role) see this event's rows.
    Analytics opens each request's sealed location once, to keep only its grid cell."""
    return [CameraView(view), ClientView(view), ClipView(view), RequestView(view),
            HoldView(view), LedgerView(view), RedactionView(view), AnalyticsView(view, personal_data),
            PeopleView(view),             AuditTrail(view)]


def open_keystore(settings: Settings) -> Keystore:
    keyring = KeyFile(settings.keys_dir)
    if settings.event_store == "postgres":
        return PostgresKeystore(settings.postgres_conninfo(), keyring)
    return SQLiteKeystore(settings.keystore_db_path, keyring)


def open_blob_store(settings: Settings) -> BlobStore:
    if settings.blob_store == "s3":
        assert settings.s3_endpoint_url is not None  # enforced by Settings
        return S3BlobStore(
            bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url,
            access_key=settings.s3_access_key.get_secret_value(),
            secret_key=settings.s3_secret_key.get_secret_value(), region=settings.s3_region,
        )
    return FilesystemBlobStore(settings.blobs_dir)


def oidc_client(settings: Settings) -> OidcClient | None:
    if not settings.oidc_issuer:
        return None
    return OidcClient(issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
                      client_secret=settings.oidc_client_secret.get_secret_value(),
                      scopes=settings.oidc_scopes, role_claim=settings.oidc_role_claim,
                      roles=dict(settings.oidc_roles), agency_claim=settings.oidc_agency_claim,
                      default_agency=settings.oidc_default_agency)


def build(settings: Settings, clock: Clock | None = None) -> Broker:
    clock = clock or SystemClock()
    policy = load_pack(settings.policy_pack)
    load_keyring(settings.keys_dir)  # fail now, in one line, if keys are missing or exposed
    signing_key = load_or_create_signing_key(settings.keys_dir)
    if settings.event_store == "sqlite" or settings.blob_store == "filesystem":
        private_dir(settings.data_dir)
    if settings.event_store == "sqlite":
        born_private(settings.events_db_path)
    if settings.resolved_readmodel_url() == settings.default_readmodel_url():
        born_private(settings.readmodel_db_path)
    vault = ClipVault(open_keystore(settings), open_blob_store(settings))
    personal_data = PersonalData(vault.keystore)
    readmodel = open_database(settings.resolved_readmodel_url())
    sqlite_events = settings.event_store == "sqlite"
    app = BrokerApp(env=settings.eventsourcing_env(),
                    write_lock=(FileWriteLock(settings.data_dir / "events.db.lock")
                                if sqlite_events else no_write_lock))
    upgrade_to_head(readmodel.writer)
    view = ReadModelView(readmodel)
    projector = Projector(app, view, projections(view, personal_data),
                          write_lock=(FileWriteLock(settings.data_dir / "readmodel.db.lock")
                                      if readmodel.dialect == "sqlite" else no_write_lock))
    consistency = ReadYourWrites(projector)
    app.use_group_commit(vault.keystore, on_durable=consistency.recorded)
    if settings.checkpoints_dir is not None:
        private_dir(settings.checkpoints_dir)
    archives: list[CheckpointArchive] = [CheckpointLogFile(settings.checkpoint_log_path)]
    if isinstance(vault.blobs, S3BlobStore):
        archives.append(S3CheckpointArchive(vault.blobs.client, vault.blobs.bucket))
    ctx = Context(app=app, readmodel=readmodel, consistency=consistency, clock=clock,
                  policy=policy, vault=vault, personal_data=personal_data,
                  signing_key=signing_key, scratch_dir=settings.data_dir / "scratch",
                  max_clip_bytes=settings.max_clip_bytes,
                  orphan_age=timedelta(seconds=settings.upload_max_duration_s),
                  checkpoint_archives=archives, leaf_log=LeafLogFile(settings.leaf_log_path),
                  models_dir=settings.models_dir,
                  delivery_max_downloads=settings.delivery_max_downloads,
                  delivery_days=settings.delivery_days,
                  redaction_checkpoint_frames=settings.redaction_checkpoint_frames)
    cameras, clients, clips = Cameras(ctx), Clients(ctx), Clips(ctx)
    broker = Broker(
        settings=settings, ctx=ctx, projector=projector, cameras=cameras, clients=clients,
        clips=clips, recorder=Recorder(ctx, clips), requests=Requests(ctx), holds=Holds(ctx),
        grants=Grants(ctx), reviews=Reviews(ctx), citizens=Citizens(ctx),
        redactions=Redactions(ctx), oversight=Oversight(ctx),
        policies=Policies(ctx), sweeps=Sweeps(ctx),
        demo=Demo(cameras=cameras, clients=clients, clips=clips, clock=clock), health=Health(ctx),
        analytics=Analytics(ctx),
        people=People(ctx, SessionPolicy(idle=timedelta(minutes=settings.console_idle_minutes),
                                         absolute=timedelta(hours=settings.console_session_hours)),
                      oidc=oidc_client(settings)),
        dashboard=Dashboard(ctx),
    )
    consistency.latest()  # whatever other processes recorded while we were away
    return broker
