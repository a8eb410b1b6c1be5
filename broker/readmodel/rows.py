"""Cheap writes for projections: the read model is written for every event, so its statements
are built once, rows born in a batch are written with one ``executemany``, and later events of
the same batch change those rows in memory instead of issuing an UPDATE each.

Building an SQLAlchemy statement (``insert(t).values(...)``) and computing its cache key costs
more than SQLite's own work for a one-row write; these helpers keep SQLAlchemy's types and
dialects but pay for a statement once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, Update, bindparam, insert, update
from sqlalchemy.sql.elements import ColumnElement


class BulkInsert:
    """``INSERT INTO table (columns) VALUES (...)`` for many rows at once, compiled once per
    dialect and run through the driver's ``executemany``, with each column type's bind
    processing applied as SQLAlchemy would (on SQLite a datetime becomes the text SQLAlchemy
    reads back)."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self._table = table
        self._columns = tuple(columns)
        self._compiled: dict[str, _Compiled] = {}

    def __call__(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows``: tuples in the order of ``columns``."""
        if not rows:
            return
        compiled = self._compiled.get(conn.dialect.name) or self._compile(conn)
        conn.exec_driver_sql(compiled.sql, compiled.parameters(rows))

    def _compile(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        statement = insert(self._table).compile(dialect=dialect, column_keys=list(self._columns))
        processors = tuple((index, _last_value_memo(process)) for index, name in enumerate(self._columns)
                           if (process := self._table.c[name].type.dialect_impl(dialect)
                               .bind_processor(dialect)) is not None)
        names = list(statement.positiontup or ()) if dialect.positional else None
        order = tuple(self._columns.index(name) for name in names) if names else None
        compiled = _Compiled(statement.string, self._columns, processors,
                             None if order == tuple(range(len(self._columns))) else order,
                             named=not dialect.positional)
        self._compiled[dialect.name] = compiled
        return compiled


def _last_value_memo(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Rows of one event often repeat a value (its time, on every camera row): convert once."""
    last: list[Any] = [object(), None]

    def processed(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return processed


@dataclass(frozen=True)
class _Compiled:
    sql: str
    columns: tuple[str, ...]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    order: tuple[int, ...] | None
    """Where each placeholder's value sits in a row, unless that is the columns' own order."""
    named: bool

    def parameters(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        if self.processors:
            converted = []
            for row in rows:
                values = list(row)
                for index, process in self.processors:
                    if values[index] is not None:
                        values[index] = process(values[index])
                converted.append(values)
            rows = converted
        if self.named:
            return [dict(zip(self.columns, row, strict=True)) for row in rows]
        if self.order is not None:
            return [tuple(row[index] for index in self.order) for row in rows]
        return [tuple(row) for row in rows]


class PreparedUpdates:
    """``UPDATE table SET ... WHERE key = :key``, one prepared statement per set of columns."""

    def __init__(self, table: Table, key: str = "id") -> None:
        self._table = table
        self._key = key
        self._statements: dict[tuple[str, ...], Update] = {}

    def __call__(self, conn: Connection, key: Any, values: dict[str, Any],
                 *, where: Iterable[ColumnElement[bool]] = ()) -> None:
        names = tuple(sorted(values))
        statement = self._statements.get(names) if not where else None
        if statement is None:
            statement = (update(self._table)
                         .where(self._table.c[self._key] == bindparam("k_"), *where)
                         .values({name: bindparam(f"v_{name}") for name in names}))
            if not where:
                self._statements[names] = statement
        conn.execute(statement, {"k_": key, **{f"v_{name}": value for name, value in values.items()}})


class PendingRows:
    """Rows inserted during a projection batch, held until its end (``flush``).

    A later event of the same batch that changes such a row changes the held copy; one
    ``executemany`` then writes every row in its final state. ``change`` falls through to an
    UPDATE for rows of earlier batches.
    """

    def __init__(self, table: Table, key: str = "id") -> None:
        self._key = key
        self._columns = tuple(column.name for column in table.columns)
        self._insert = BulkInsert(table, self._columns)
        self._update = PreparedUpdates(table, key)
        self._rows: dict[Any, dict[str, Any]] = {}

    def add(self, **values: Any) -> None:
        row = dict.fromkeys(self._columns)
        row.update(values)
        self._rows[values[self._key]] = row

    def held(self, key: Any) -> dict[str, Any] | None:
        """The row as it will be written, if it was born in this batch (else None)."""
        return self._rows.get(key)

    def held_rows(self) -> Iterable[dict[str, Any]]:
        return self._rows.values()

    def change(self, conn: Connection, key: Any, **values: Any) -> None:
        row = self._rows.get(key)
        if row is not None:
            row.update(values)
        else:
            self._update(conn, key, values)

    def flush(self, conn: Connection) -> None:
        self._insert(conn, [tuple(row[name] for name in self._columns) for row in self._rows.values()])
        self._rows.clear()

    def discard(self) -> None:
        self._rows.clear()
