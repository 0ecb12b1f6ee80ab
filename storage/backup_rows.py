"""The logical backup format: every product table's rows as JSON lines, and loading them back.

One line per row, `["table", [value, …]]`, tables in foreign-key order; the column names
of each table are in the manifest. Timestamps are ISO 8601 in UTC, JSON columns stay JSON.
Reading happens in the caller's transaction (a snapshot), loading in one transaction with
the tables' triggers off, so the trigger of progress_update neither writes a second audit
row nor moves progress_latest: both tables come back exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import JSON, Boolean, DateTime, MetaData, Table, bindparam, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the product tables)

BATCH = 500  # rows per INSERT; PostgreSQL allows 32,767 bound parameters a statement


class RowsError(ValueError):
    """The rows do not fit the schema they are loaded into (message says where)."""


def product_tables(names: Iterable[str]) -> list[str]:
    """Return those of `names` that are tables of storage/models.py."""
    return sorted(set(names) & set(SQLModel.metadata.tables))


async def reflect(connection: AsyncConnection) -> list[Table]:
    """Return the database's product tables as they are there, in foreign-key order."""

    def load(sync: Connection) -> list[Table]:
        from sqlalchemy import inspect

        metadata = MetaData()
        names = product_tables(inspect(sync).get_table_names())
        metadata.reflect(sync, only=names)
        return list(metadata.sorted_tables)

    return await connection.run_sync(load)


def _encode(value: Any) -> Any:
    """Return a JSON-ready value (timestamps as UTC ISO 8601)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    return value


async def dump_rows(
    connection: AsyncConnection, out: IO[str]
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Write every product table's rows to `out`; return row counts and column names."""
    counts: dict[str, int] = {}
    columns: dict[str, list[str]] = {}
    for table in await reflect(connection):
        columns[table.name] = [column.name for column in table.columns]
        counts[table.name] = 0
        order = list(table.primary_key.columns) or list(table.columns)
        result = await connection.stream(select(table).order_by(*order))
        async for rows in result.partitions(BATCH):
            for row in rows:
                line = [table.name, [_encode(value) for value in row]]
                out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            counts[table.name] += len(rows)
    return counts, columns


def _decoder(table: Table, names: list[str], naive: bool) -> Any:
    """Return a function turning one dumped row into the values `table` takes."""
    kinds: list[str] = []
    for name in names:
        kind = table.columns[name].type
        if isinstance(kind, DateTime):
            kinds.append("at")
        elif isinstance(kind, Boolean):
            kinds.append("bool")
        else:
            kinds.append("json" if isinstance(kind, JSON) else "")

    def decode(values: list[Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, kind, value in zip(names, kinds, values, strict=True):
            if value is not None and kind == "at":
                at = datetime.fromisoformat(value)
                at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
                value = at.replace(tzinfo=None) if naive else at
            elif value is not None and kind == "bool":
                value = bool(value)
            row[name] = value
        return row

    return decode


def parse_lines(lines: Iterable[str]) -> Iterator[tuple[str, list[Any]]]:
    """Yield (table, values) from the JSON lines; a malformed line raises RowsError."""
    for number, line in enumerate(lines, 1):
        try:
            name, values = json.loads(line)
        except (ValueError, TypeError) as exc:
            raise RowsError(f"line {number}: {exc}") from None
        if not isinstance(name, str) or not isinstance(values, list):
            raise RowsError(f"line {number}: not [table, values]")
        yield name, values


class Loader:
    """Insert dumped rows into the reflected tables of one connection, in batches."""

    def __init__(self, connection: AsyncConnection, tables: list[Table], columns: dict) -> None:
        self.connection = connection
        self.tables = {table.name: table for table in tables}
        self.columns: dict[str, list[str]] = columns
        self.naive = connection.dialect.name == "sqlite"
        self.counts: dict[str, int] = {}
        self.pending: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []  # self-references, set after the table is in
        self.current: Table | None = None
        for name, names in columns.items():
            table = self.tables.get(name)
            if table is None or {c.name for c in table.columns} != set(names):
                raise RowsError(f"table {name}: columns differ from the database's")

    async def load(self, rows: Iterable[tuple[str, list[Any]]]) -> dict[str, int]:
        """Insert every row; return the rows inserted per table."""
        decode: Any = None
        for name, values in rows:
            if self.current is None or name != self.current.name:
                await self.finish_table()
                if name not in self.columns or name in self.counts:
                    raise RowsError(f"table {name}: unexpected or out of order")
                self.current = self.tables[name]
                self.counts[name] = 0
                decode = _decoder(self.current, self.columns[name], self.naive)
            try:
                row = decode(values)
            except (ValueError, TypeError) as exc:
                raise RowsError(f"table {name}: {exc}") from None
            self.pending.append(self.unlink(row))
            if len(self.pending) >= BATCH:
                await self.flush()
        await self.finish_table()
        return self.counts

    def self_references(self, table: Table) -> list[str]:
        """Return the columns of `table` referring to the table itself (unit.parent_id)."""
        return [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]

    def unlink(self, row: dict[str, Any]) -> dict[str, Any]:
        """Insert self-references as NULL first (a parent may come after its child)."""
        assert self.current is not None
        refs = {name: row[name] for name in self.self_references(self.current)}
        if any(value is not None for value in refs.values()):
            self.links.append({"b_id": row["id"], **{f"b_{k}": v for k, v in refs.items()}})
            row = {**row, **dict.fromkeys(refs)}
        return row

    async def flush(self) -> None:
        """Insert the pending rows of the current table."""
        if self.current is not None and self.pending:
            await self.connection.execute(self.current.insert(), self.pending)
            self.counts[self.current.name] += len(self.pending)
        self.pending = []

    async def finish_table(self) -> None:
        """Flush the current table, then set its self-references."""
        await self.flush()
        table = self.current
        if table is not None and self.links:
            names = self.self_references(table)
            statement = (
                table.update()
                .where(table.c.id == bindparam("b_id"))
                .values({name: bindparam(f"b_{name}") for name in names})
            )
            await self.connection.execute(statement, self.links)
        self.links = []


async def load_rows(
    connection: AsyncConnection, lines: Iterable[str], columns: dict[str, list[str]]
) -> dict[str, int]:
    """Load the JSON lines into the product tables (triggers off meanwhile); return counts.

    The caller owns the transaction. On PostgreSQL the id sequences are moved past the
    loaded ids, so the bot's next inserts don't collide.
    """
    tables = await reflect(connection)
    loader = Loader(connection, tables, columns)
    postgres = connection.dialect.name == "postgresql"
    saved = await _triggers_off(connection, [table.name for table in tables], postgres)
    counts = await loader.load(parse_lines(lines))
    await _triggers_on(connection, [table.name for table in tables], saved, postgres)
    if postgres:
        await reset_sequences(connection, tables)
    return counts


async def _triggers_off(connection: AsyncConnection, names: list[str], postgres: bool) -> list[str]:
    """Disable the tables' triggers (PostgreSQL) or drop them, returning their SQL (SQLite)."""
    if postgres:
        for name in names:
            await connection.execute(text(f'ALTER TABLE "{name}" DISABLE TRIGGER USER'))
        return []
    rows = (
        await connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")
        )
    ).all()
    for name, _ in rows:
        await connection.execute(text(f'DROP TRIGGER "{name}"'))
    return [sql for _, sql in rows]


async def _triggers_on(
    connection: AsyncConnection, names: list[str], saved: list[str], postgres: bool
) -> None:
    """Undo _triggers_off."""
    if postgres:
        for name in names:
            await connection.execute(text(f'ALTER TABLE "{name}" ENABLE TRIGGER USER'))
    for sql in saved:
        await connection.exec_driver_sql(sql)


async def reset_sequences(connection: AsyncConnection, tables: list[Table]) -> None:
    """Move each serial `id` sequence past the largest id (PostgreSQL)."""
    for table in tables:
        if "id" not in table.columns or not table.c.id.primary_key:
            continue
        sequence = await connection.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        if sequence is None:
            continue
        largest = await connection.scalar(select(func.max(table.c.id)))
        await connection.execute(select(func.setval(sequence, (largest or 0) + 1, False)))
