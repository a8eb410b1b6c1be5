"""Engines for the read model: one for writing (the projector), one for reading (queries).

SQLite: WAL so readers never wait for the projector; the writer opens ``BEGIN IMMEDIATE`` so
two projectors (two API workers) serialise instead of deadlocking on lock upgrades.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event


@dataclass(frozen=True)
class ReadModelDatabase:
    writer: Engine
    reader: Engine

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    def compact_wal(self) -> None:
        """Fold the WAL into the database and truncate it, so overwritten rows leave no copy."""
        if self.dialect != "sqlite":
            return
        raw = self.writer.raw_connection()  # outside any transaction: checkpoints need that
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            raw.close()

    def dispose(self) -> None:
        self.writer.dispose()
        self.reader.dispose()


def open_database(url: str) -> ReadModelDatabase:
    if url.startswith("sqlite"):
        return ReadModelDatabase(writer=_sqlite_engine(url, immediate=True),
                                 reader=_sqlite_engine(url, immediate=False))
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return ReadModelDatabase(writer=engine, reader=engine)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Erased personal data must not linger in freed pages of the read model either.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
