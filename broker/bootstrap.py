"""The one wiring point: settings (+ a clock) in, a ready ``Broker`` out.

Tests and the CLI call ``build`` with their own settings and clock; nothing else constructs
infrastructure, and nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.adapters.locks import FileWriteLock, no_write_lock
from broker.adapters.vault.blobs import BlobStore, FilesystemBlobStore
from broker.adapters.vault.clipvault import ClipVault
from broker.adapters.vault.kek import KeyFile, load_keyring, load_or_create_signing_key
from broker.adapters.vault.keystore import Keystore, PostgresKeystore, SQLiteKeystore
from broker.adapters.vault.personal_data import PersonalData
from broker.application.core import BrokerApp
from broker.clock import Clock, SystemClock
from broker.config import Settings
from broker.policy import CameraSite, PolicyPack, load_pack
from broker.readmodel import camera_view, client_view, clip_view, ledger_view, request_view
from broker.readmodel.audit_view import AuditTrail
from broker.readmodel.database import ReadModelDatabase, open_database
from broker.readmodel.migrate import upgrade_to_head
from broker.readmodel.projector import Handler, Projector


@dataclass
class Broker:
    settings: Settings
    clock: Clock
    app: BrokerApp
    policy: PolicyPack
    vault: ClipVault
    signing_key: Ed25519PrivateKey = field(repr=False)
    readmodel: ReadModelDatabase
    projector: Projector
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.readmodel.dispose()
        self.vault.close()
        self.app.close()


def projection_handlers(personal_data: PersonalData) -> dict[type, Handler]:
    """One handler per event type; views that react to the same type are chained in order."""
    handlers: dict[type, Handler] = {}
    for view_handlers in (camera_view.HANDLERS, client_view.HANDLERS, clip_view.HANDLERS,
                          request_view.handlers(personal_data), ledger_view.HANDLERS):
        for event_type, handler in view_handlers.items():
            earlier = handlers.get(event_type)
            handlers[event_type] = handler if earlier is None else _chain(earlier, handler)
    return handlers


def _chain(first: Handler, second: Handler) -> Handler:
    def both(conn: Any, event: Any) -> None:
        first(conn, event)
        second(conn, event)

    return both


def open_keystore(settings: Settings) -> Keystore:
    keyring = KeyFile(settings.keys_dir)
    if settings.event_store == "postgres":
        return PostgresKeystore(settings.postgres_conninfo(), keyring)
    return SQLiteKeystore(settings.keystore_db_path, keyring)


def open_blob_store(settings: Settings) -> BlobStore:
    if settings.blob_store == "s3":
        from broker.adapters.vault.blobs import S3BlobStore

        assert settings.s3_endpoint_url is not None  # enforced by Settings
        return S3BlobStore(
            bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url,
            access_key=settings.s3_access_key.get_secret_value(),
            secret_key=settings.s3_secret_key.get_secret_value(), region=settings.s3_region,
        )
    return FilesystemBlobStore(settings.blobs_dir)


def build(settings: Settings, clock: Clock | None = None) -> Broker:
    clock = clock or SystemClock()
    policy = load_pack(settings.policy_pack)
    load_keyring(settings.keys_dir)  # fail now, in one line, if keys are missing or exposed
    signing_key = load_or_create_signing_key(settings.keys_dir)
    if settings.event_store == "sqlite" or settings.blob_store == "filesystem":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    vault = ClipVault(open_keystore(settings), open_blob_store(settings))
    readmodel = open_database(settings.resolved_readmodel_url())

    def sites_near(lat: float, lon: float, radius_m: float) -> list[CameraSite]:
        with readmodel.reader.connect() as conn:
            hits = camera_view.cameras_near(conn, lat, lon, radius_m,
                                            columns=camera_view.SITE_COLUMNS)
        return [CameraSite(camera_id=hit.row["id"], lat=hit.row["lat"], lon=hit.row["lon"],
                           coverage_m=hit.row["coverage_m"], status=hit.row["status"])
                for hit in hits]

    sqlite_events = settings.event_store == "sqlite"
    app = BrokerApp(env=settings.eventsourcing_env(), clock=clock, policy=policy,
                    sites_near=sites_near, vault=vault, max_clip_bytes=settings.max_clip_bytes,
                    write_lock=(FileWriteLock(settings.data_dir / "events.db.lock")
                                if sqlite_events else no_write_lock))
    upgrade_to_head(readmodel.writer)
    projector = Projector(app, readmodel, projection_handlers(PersonalData(vault.keystore)),
                          observers=[AuditTrail()],
                          write_lock=(FileWriteLock(settings.data_dir / "readmodel.db.lock")
                                      if readmodel.dialect == "sqlite" else no_write_lock))
    broker = Broker(settings=settings, clock=clock, app=app, policy=policy, vault=vault,
                    signing_key=signing_key, readmodel=readmodel, projector=projector)
    projector.catch_up()
    return broker
