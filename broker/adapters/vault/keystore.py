"""Per-clip data keys, wrapped by the active KEK, in a mutable store kept apart from events.

Shredding deletes the wrapped key: without it the clip's ciphertext is noise, wherever copies
of the blob went. Each row is ``(key_id, kek_version, wrapped)`` with ``wrapped = nonce (12) |
AES-256-GCM(KEK, data key) | tag (16)`` and ``"FBK1" | kek_version u32 | key_id`` as associated
data, so a wrapped key cannot be moved to another id or relabelled with another version.

Deleted rows may survive for a while in free pages, the WAL or backups; they are still
wrapped, and removing the retired KEK version after a rotation (see
:func:`broker.vault.kek.remove_retired`) makes such leftovers unreadable for good.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import struct
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from broker.adapters.durable import born_private
from broker.adapters.vault.errors import IntegrityError, KeyExistsError, KeyShreddedError
from broker.adapters.vault.kek import Keyring, KeyringSource

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

DATA_KEY_SIZE = 32
MAX_KEY_ID_SIZE = 255
_NONCE_SIZE = 12
_AAD = struct.Struct(">4sI")
_WRAP_MAGIC = b"FBK1"
_BATCH = 500  # ids per statement: well under SQLite's limit on bound parameters


@dataclass(frozen=True, slots=True)
class PendingKey:
    """A data key generated and wrapped but not stored yet: ``insert_keys`` makes it durable,
    before anything sealed with it is (group commit stores many in one transaction)."""

    key_id: str
    data_key: bytes = field(repr=False)
    kek_version: int
    wrapped: bytes = field(repr=False)


class Keystore(Protocol):
    """Where data keys live; every implementation passes ``tests/vault/test_keystore.py``."""

    def create_key(self, key_id: str) -> bytes:
        """Generate, wrap and store a data key; returns it. KeyExistsError if the id is taken."""
        ...

    def prepare_key(self, key_id: str) -> PendingKey:
        """Generate and wrap a data key for ``insert_keys``; nothing is stored yet."""
        ...

    def insert_keys(self, keys: Sequence[PendingKey]) -> None:
        """Store all of them durably in one transaction, or none (KeyExistsError if one exists)."""
        ...

    def get_key(self, key_id: str) -> bytes:
        """The unwrapped data key; KeyShreddedError if it is gone."""
        ...

    def get_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        """The unwrapped keys of a batch, in few round trips; shredded ones are absent."""
        ...

    def shred(self, key_id: str) -> bool:
        """Delete the key for good; False if there was nothing to delete."""
        ...

    def shred_many(self, key_ids: Sequence[str]) -> int:
        """Shred a batch in one transaction; returns how many keys existed."""
        ...

    def exists(self, key_id: str) -> bool: ...

    def count_by_kek_version(self) -> dict[int, int]:
        """How many data keys each KEK version wraps."""
        ...

    def ids_created_before(self, cutoff: datetime) -> list[str]:
        """Ids of the keys created before ``cutoff`` (UTC), for the orphan sweep."""
        ...

    def rewrap_batch(self, keyring: Keyring, batch_size: int) -> int:
        """Move up to ``batch_size`` keys to the active KEK in one transaction; returns how many."""
        ...

    def close(self) -> None: ...


class _WrappingKeystore:
    """Key generation, wrapping and unwrapping shared by the SQL keystores."""

    def __init__(self, keyring: KeyringSource) -> None:
        self._keyring = keyring

    def prepare_key(self, key_id: str) -> PendingKey:
        data_key, version, wrapped = self._new_wrapped(key_id)
        return PendingKey(key_id, data_key, version, wrapped)

    def _new_wrapped(self, key_id: str) -> tuple[bytes, int, bytes]:
        _check_key_id(key_id)
        keyring = self._keyring.current()
        data_key = os.urandom(DATA_KEY_SIZE)
        return data_key, keyring.active, _wrap(keyring, keyring.active, key_id, data_key)

    def _unwrapped(self, key_id: str, row: tuple[int, bytes] | None) -> bytes:
        if row is None:
            raise KeyShreddedError(f"data key {key_id!r} is shredded or never existed")
        version, wrapped = row
        return _unwrap(self._keyring.current(), version, key_id, wrapped)

    def _unwrapped_many(self, rows: Sequence[tuple[str, int, bytes]]) -> dict[str, bytes]:
        """A batch unwrapped under one look at the key file."""
        keyring = self._keyring.current()
        return {key_id: _unwrap(keyring, version, key_id, wrapped) for key_id, version, wrapped in rows}

    def _rewrap(self, keyring: Keyring, key_id: str, version: int, wrapped: bytes) -> bytes:
        """One key of a rotation batch, re-wrapped under the active KEK version."""
        data_key = _unwrap(keyring, version, key_id, wrapped)
        return _wrap(keyring, keyring.active, key_id, data_key)


class SQLiteKeystore(_WrappingKeystore):
    """Keystore in its own SQLite file (WAL, ``secure_delete``); one connection behind a lock."""

    def __init__(self, path: str | os.PathLike[str], keyring: KeyringSource) -> None:
        super().__init__(keyring)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        born_private(self.path)  # WAL and SHM inherit the mode
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        try:
            for pragma in ("journal_mode=WAL", "secure_delete=ON", "synchronous=FULL"):
                self._conn.execute(f"PRAGMA {pragma}")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS data_keys ("
                " key_id TEXT PRIMARY KEY,"
                " kek_version INTEGER NOT NULL,"
                " wrapped BLOB NOT NULL,"
                " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
                ") WITHOUT ROWID"
            )
            self._conn.execute(
                "CREATE INDEX IF NOT EXISTS data_keys_kek_version ON data_keys (kek_version)"
            )
        except BaseException:
            self._conn.close()
            raise

    def create_key(self, key_id: str) -> bytes:
        data_key, version, wrapped = self._new_wrapped(key_id)
        with self._lock:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO data_keys (key_id, kek_version, wrapped) VALUES (?, ?, ?)",
                (key_id, version, wrapped),
            )
        if cursor.rowcount != 1:
            raise KeyExistsError(f"data key {key_id!r} already exists")
        return data_key

    def insert_keys(self, keys: Sequence[PendingKey]) -> None:
        if not keys:
            return
        with self._lock:
            try:
                with self._transaction():
                    self._conn.executemany(
                        "INSERT INTO data_keys (key_id, kek_version, wrapped) VALUES (?, ?, ?)",
                        [(key.key_id, key.kek_version, key.wrapped) for key in keys])
            except sqlite3.IntegrityError:
                raise KeyExistsError("a data key of this batch already exists") from None

    def get_key(self, key_id: str) -> bytes:
        with self._lock:
            row = self._conn.execute(
                "SELECT kek_version, wrapped FROM data_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        return self._unwrapped(key_id, row)

    def get_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        rows: list[tuple[str, int, bytes]] = []
        unique = sorted(set(key_ids))
        with self._lock:
            for start in range(0, len(unique), _BATCH):
                chunk = unique[start:start + _BATCH]
                placeholders = ", ".join("?" * len(chunk))
                query = f"SELECT key_id, kek_version, wrapped FROM data_keys WHERE key_id IN ({placeholders})"  # noqa: S608 - placeholders only
                rows += self._conn.execute(query, chunk).fetchall()
        return self._unwrapped_many(rows)

    def shred(self, key_id: str) -> bool:
        with self._lock:
            cursor = self._conn.execute("DELETE FROM data_keys WHERE key_id = ?", (key_id,))
            if cursor.rowcount:
                # secure_delete zeroed the page; also drop the old page images from the WAL.
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return cursor.rowcount == 1

    def shred_many(self, key_ids: Sequence[str]) -> int:
        if not key_ids:
            return 0
        with self._lock:
            with self._transaction():
                cursor = self._conn.executemany(
                    "DELETE FROM data_keys WHERE key_id = ?", [(key_id,) for key_id in key_ids]
                )
            shredded = cursor.rowcount
            if shredded:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return int(shredded)

    def exists(self, key_id: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM data_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        return row is not None

    def count_by_kek_version(self) -> dict[int, int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT kek_version, count(*) FROM data_keys GROUP BY kek_version"
            ).fetchall()
        return {int(version): int(count) for version, count in rows}

    def ids_created_before(self, cutoff: datetime) -> list[str]:
        stamp = cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with self._lock:
            rows = self._conn.execute(
                "SELECT key_id FROM data_keys WHERE created_at < ? ORDER BY key_id", (stamp,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def rewrap_batch(self, keyring: Keyring, batch_size: int) -> int:
        with self._lock, self._transaction():
            rows = self._conn.execute(
                "SELECT key_id, kek_version, wrapped FROM data_keys WHERE kek_version <> ?"
                " ORDER BY key_id LIMIT ?",
                (keyring.active, batch_size),
            ).fetchall()
            for key_id, version, wrapped in rows:
                self._conn.execute(
                    "UPDATE data_keys SET kek_version = ?, wrapped = ? WHERE key_id = ?",
                    (keyring.active, self._rewrap(keyring, key_id, version, wrapped), key_id),
                )
        return len(rows)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteKeystore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteKeystore({str(self.path)!r})"

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")


class PostgresKeystore(_WrappingKeystore):
    """Keystore in a PostgreSQL table (``broker_data_keys``), for several API workers."""

    TABLE = "broker_data_keys"

    def __init__(self, conninfo: str, keyring: KeyringSource, *, max_connections: int = 4) -> None:
        from psycopg_pool import ConnectionPool

        super().__init__(keyring)
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo, min_size=1, max_size=max_connections, open=True, name="broker-keystore"
        )
        try:
            with self._pool.connection() as conn:
                # Serialise concurrent first starts: CREATE TABLE IF NOT EXISTS can race.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('broker_data_keys'))")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS broker_data_keys ("
                    " key_id text PRIMARY KEY,"
                    " kek_version integer NOT NULL,"
                    " wrapped bytea NOT NULL,"
                    " created_at timestamptz NOT NULL DEFAULT now())"
                )
                conn.execute(
                    "CREATE INDEX IF NOT EXISTS broker_data_keys_kek_version"
                    " ON broker_data_keys (kek_version)"
                )
        except BaseException:
            self._pool.close()
            raise

    def create_key(self, key_id: str) -> bytes:
        data_key, version, wrapped = self._new_wrapped(key_id)
        with self._pool.connection() as conn:
            cursor = conn.execute(
                "INSERT INTO broker_data_keys (key_id, kek_version, wrapped) VALUES (%s, %s, %s)"
                " ON CONFLICT (key_id) DO NOTHING",
                (key_id, version, wrapped),
            )
        if cursor.rowcount != 1:
            raise KeyExistsError(f"data key {key_id!r} already exists")
        return data_key

    def insert_keys(self, keys: Sequence[PendingKey]) -> None:
        import psycopg

        if not keys:
            return
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO broker_data_keys (key_id, kek_version, wrapped) VALUES (%s, %s, %s)",
                    [(key.key_id, key.kek_version, key.wrapped) for key in keys])
        except psycopg.errors.UniqueViolation:
            raise KeyExistsError("a data key of this batch already exists") from None

    def get_key(self, key_id: str) -> bytes:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT kek_version, wrapped FROM broker_data_keys WHERE key_id = %s", (key_id,)
            ).fetchone()
        return self._unwrapped(key_id, None if row is None else (row[0], bytes(row[1])))

    def get_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        if not key_ids:
            return {}
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT key_id, kek_version, wrapped FROM broker_data_keys WHERE key_id = ANY(%s)",
                (sorted(set(key_ids)),)).fetchall()
        return self._unwrapped_many([(key_id, version, bytes(wrapped))
                                     for key_id, version, wrapped in rows])

    def shred(self, key_id: str) -> bool:
        with self._pool.connection() as conn:
            cursor = conn.execute("DELETE FROM broker_data_keys WHERE key_id = %s", (key_id,))
        return cursor.rowcount == 1

    def shred_many(self, key_ids: Sequence[str]) -> int:
        if not key_ids:
            return 0
        with self._pool.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM broker_data_keys WHERE key_id = ANY(%s)", (list(key_ids),)
            )
        return cursor.rowcount

    def exists(self, key_id: str) -> bool:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM broker_data_keys WHERE key_id = %s", (key_id,)
            ).fetchone()
        return row is not None

    def count_by_kek_version(self) -> dict[int, int]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT kek_version, count(*) FROM broker_data_keys GROUP BY kek_version"
            ).fetchall()
        return {int(version): int(count) for version, count in rows}

    def ids_created_before(self, cutoff: datetime) -> list[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT key_id FROM broker_data_keys WHERE created_at < %s ORDER BY key_id",
                (cutoff,)).fetchall()
        return [str(row[0]) for row in rows]

    def rewrap_batch(self, keyring: Keyring, batch_size: int) -> int:
        with self._pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                "SELECT key_id, kek_version, wrapped FROM broker_data_keys"
                " WHERE kek_version <> %s ORDER BY key_id LIMIT %s FOR UPDATE SKIP LOCKED",
                (keyring.active, batch_size),
            ).fetchall()
            updates = [
                (keyring.active, self._rewrap(keyring, key_id, version, bytes(wrapped)), key_id)
                for key_id, version, wrapped in rows
            ]
            with conn.cursor() as cursor:
                cursor.executemany(
                    "UPDATE broker_data_keys SET kek_version = %s, wrapped = %s WHERE key_id = %s",
                    updates,
                )
        return len(rows)

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresKeystore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "PostgresKeystore(broker_data_keys)"


def _check_key_id(key_id: str) -> None:
    if not isinstance(key_id, str) or not 0 < len(key_id.encode("utf-8")) <= MAX_KEY_ID_SIZE:
        raise ValueError(f"key ids are 1 to {MAX_KEY_ID_SIZE} bytes of UTF-8")


def _aad(version: int, key_id: str) -> bytes:
    return _AAD.pack(_WRAP_MAGIC, version) + key_id.encode("utf-8")


def _wrap(keyring: Keyring, version: int, key_id: str, data_key: bytes) -> bytes:
    nonce = os.urandom(_NONCE_SIZE)
    return nonce + AESGCM(keyring.key(version)).encrypt(nonce, data_key, _aad(version, key_id))


def _unwrap(keyring: Keyring, version: int, key_id: str, wrapped: bytes) -> bytes:
    nonce, sealed = wrapped[:_NONCE_SIZE], wrapped[_NONCE_SIZE:]
    try:
        return AESGCM(keyring.key(version)).decrypt(nonce, sealed, _aad(version, key_id))
    except InvalidTag:
        raise IntegrityError(
            f"wrapped data key {key_id!r} failed authentication under KEK version {version}"
        ) from None
