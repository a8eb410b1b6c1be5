"""Vault fixtures: one contract suite runs on every keystore (SQLite, PostgreSQL) and every
blob store (filesystem, S3 on a private SeaweedFS)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from broker.adapters.vault import kek
from broker.adapters.vault.blobs import BlobStore, FilesystemBlobStore, S3BlobStore
from broker.adapters.vault.keystore import Keystore, PostgresKeystore, SQLiteKeystore
from tests.support import seaweed

S3_BUCKET = "broker-vault-tests"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[seaweed.SeaweedS3]:
    with seaweed.start() as found:
        if isinstance(found, str):
            if seaweed.required():
                pytest.fail(f"S3 is required here (BROKER_TEST_REQUIRE_S3=1): {found}")
            pytest.skip(found)
        seaweed.create_bucket(found, S3_BUCKET)
        yield found


@pytest.fixture(scope="session")
def s3_client(s3_server: seaweed.SeaweedS3) -> Iterator[Any]:
    """A raw client, to look under the store as an operator would."""
    client = seaweed.client(s3_server)
    yield client
    client.close()


@dataclass
class KeystoreBackend:
    """Opens keystores (of a given class, for crash-injecting subclasses) on one storage."""

    name: str
    cls: type[SQLiteKeystore] | type[PostgresKeystore]
    location: str
    run_sql: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
    opened: list[Keystore] = field(default_factory=list)

    def open(self, keyring: kek.KeyringSource, cls: type[Any] | None = None) -> Keystore:
        keystore: Keystore = (cls or self.cls)(self.location, keyring)
        self.opened.append(keystore)
        return keystore

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Reach under the keystore, as an attacker with database access would."""
        return self.run_sql(statement, params)


def _sqlite_runner(path: Path) -> Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]:
    def run(statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as conn:
            return conn.execute(statement.replace("broker_data_keys", "data_keys"), params).fetchall()

    return run


def _postgres_runner(conninfo: str) -> Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]:
    def run(statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with psycopg.connect(conninfo) as conn:
            cursor = conn.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    return run


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def keystore_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeystoreBackend]:
    if request.param == "sqlite":
        path = tmp_path / "var" / "keystore.db"
        backend = KeystoreBackend("sqlite", SQLiteKeystore, str(path), _sqlite_runner(path))
    else:
        server, dbname = request.getfixturevalue("postgres_database")
        conninfo = server.conninfo(dbname)
        backend = KeystoreBackend(
            "postgres", PostgresKeystore, conninfo, _postgres_runner(conninfo)
        )
    yield backend
    for keystore in backend.opened:
        keystore.close()


@pytest.fixture
def keystore(keystore_backend: KeystoreBackend, keys_dir: Path) -> Keystore:
    return keystore_backend.open(kek.KeyFile(keys_dir))


@dataclass
class BlobBackend:
    name: str
    store: BlobStore
    leftovers: Callable[[], list[str]]
    """Anything a store holds besides finished blobs: temp files, unfinished uploads."""


@pytest.fixture(params=["filesystem", pytest.param("s3", marks=pytest.mark.s3)])
def blob_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobBackend]:
    if request.param == "filesystem":
        root = tmp_path / "blobs"
        store = FilesystemBlobStore(root)

        def files_besides_blobs() -> list[str]:
            blobs = {str(store.root / i[:2] / i[2:4] / i) for i in store.iter_ids()}
            return sorted(str(p) for p in root.rglob("*") if p.is_file() and str(p) not in blobs)

        yield BlobBackend("filesystem", store, files_besides_blobs)
        return
    server: seaweed.SeaweedS3 = request.getfixturevalue("s3_server")
    prefix = f"t-{uuid.uuid4().hex}/"
    s3 = S3BlobStore(
        S3_BUCKET,
        server.endpoint_url,
        server.access_key,
        server.secret_key,
        server.region,
        prefix=prefix,
        part_size=S3BlobStore.MIN_PART_SIZE,
    )
    client = request.getfixturevalue("s3_client")

    def unfinished_uploads() -> list[str]:
        uploads = client.list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix)
        return sorted(u["Key"] for u in uploads.get("Uploads", []))

    yield BlobBackend("s3", s3, unfinished_uploads)
    s3.close()


@pytest.fixture
def blob_store(blob_backend: BlobBackend) -> BlobStore:
    return blob_backend.store
