"""Raw reads of the event store, below the library's object mapping.

The chain verifier must hash exactly what is stored, as fast as the disk allows: it reads
``(notification id, originator id, version, topic, state)`` rows straight from the recorder's
table, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RawEvent = tuple[int, str, int, str, bytes]


def read_raw(recorder: Any, start: int, limit: int) -> Sequence[RawEvent]:
    """Up to ``limit`` stored events with notification id >= ``start``, in notification order."""
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, SQLiteApplicationRecorder):
        statement = (f"SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
                     f"FROM {recorder.events_table_name} WHERE rowid >= ? ORDER BY rowid LIMIT ?")
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (start, limit))
            return [(row[0], row[1], row[2], row[3], bytes(row[4])) for row in cursor.fetchall()]
    if isinstance(recorder, PostgresApplicationRecorder):
        from psycopg.sql import SQL, Identifier

        query = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {schema}.{table} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(recorder.datastore.schema),
                 table=Identifier(recorder.events_table_name))
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(query, (start, limit))
            return [(row["notification_id"], row["originator_id"].hex, row["originator_version"],
                     row["topic"], bytes(row["state"])) for row in cursor.fetchall()]
    raise TypeError(f"no raw reader for {type(recorder).__name__}")


LeafRow = tuple[int, str, bytes]
"""``(notification id, the leaf's text head, state)``: ``head.encode() + state`` is the leaf."""

_SQLITE_HEAD = ("lower(replace(originator_id, '-', '')) || char(10) || originator_version "
                "|| char(10) || topic || char(10)")
_POSTGRES_HEAD = ("replace(originator_id::text, '-', '') || E'\\n' || originator_version "
                  "|| E'\\n' || topic || E'\\n'")


def read_leaf_rows(recorder: Any, start: int, limit: int) -> Sequence[LeafRow]:
    """``read_raw`` with each event's leaf head (``leaf_bytes`` up to the state) built by the
    database, so a full verification spends no Python per field: the same bytes, in bulk."""
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, SQLiteApplicationRecorder):
        statement = (f"SELECT rowid, {_SQLITE_HEAD}, state FROM {recorder.events_table_name} "  # noqa: S608
                     "WHERE rowid >= ? ORDER BY rowid LIMIT ?")
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.sqlite_cursor.row_factory = None  # plain tuples: no Row object per event
            cursor.execute(statement, (start, limit))
            rows: list[LeafRow] = cursor.fetchall()
            return rows
    if isinstance(recorder, PostgresApplicationRecorder):
        from psycopg.rows import tuple_row
        from psycopg.sql import SQL, Identifier

        query = SQL(
            "SELECT notification_id, " + _POSTGRES_HEAD + ", state "
            "FROM {schema}.{table} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(recorder.datastore.schema),
                 table=Identifier(recorder.events_table_name))
        with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(query, (start, limit))
            return [(row[0], row[1], bytes(row[2])) for row in cursor.fetchall()]
    raise TypeError(f"no raw reader for {type(recorder).__name__}")
