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
