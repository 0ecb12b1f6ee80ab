"""Backups of the bot's database, made while it runs, and restores into an empty database.

A backup is a zip file (storage/backup_file.py): `manifest.json` and one payload:

- `bot.db` (kind "sqlite"): SQLite's online backup API, a snapshot of the live file;
- `dump.pgc` (kind "pg_dump"): pg_dump's custom format, taken from a snapshot exported
  by the transaction that also counted the rows;
- `rows.jsonl` (kind "rows"): the logical format of storage/backup_rows.py, read in one
  REPEATABLE READ transaction (PostgreSQL without pg_dump, or `--logical`). APScheduler's
  job table is left out: the reminder service rebuilds its jobs from the deadline table.

A restore goes only into an empty database: none of the product tables holds a row
(they may be missing, or migrated and empty). SQLite is restored into a staged file,
checked, migrated, then copied over the target in one step; PostgreSQL in one
transaction (pg_restore --single-transaction, or the logical load). Any kind restores
into PostgreSQL; a pg_dump payload only into PostgreSQL. The database ends at head.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import NullPool

from storage import backup_pg, backup_sqlite
from storage.backup_file import (
    PAYLOADS,
    BackupError,
    BadBackupFile,
    DatabaseNotEmpty,
    Kind,
    Manifest,
    NoDatabase,
    ToolFailed,
    ToolMissing,
    UnknownRevision,
    WrongEngine,
    digest_of,
    extract,
    open_archive,
    read_manifest,
    write_archive,
)
from storage.backup_rows import RowsError, dump_rows, load_rows, product_tables, reflect
from storage.engine import create_engine
from storage.migrate import alembic_config, current_revision, downgrade, upgrade
from storage.private import make_private
from storage.types import utcnow

log = logging.getLogger(__name__)

# --- making a backup ----------------------------------------------------------------------


@dataclass
class Payload:
    """A payload file written to a work folder, with what the manifest says of it."""

    kind: Kind
    path: Path
    revision: str | None
    tables: dict[str, int]
    columns: dict[str, list[str]] = field(default_factory=dict)


async def make_backup(url: str, out: Path, *, logical: bool = False) -> Manifest:
    """Write a consistent backup of the database at `url` to `out` (created, never partial)."""
    engine = make_url(url).get_backend_name()
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
        if engine == "sqlite":
            payload = await _sqlite_payload(_sqlite_path(url), Path(work), logical)
        else:
            payload = await _postgres_payload(url, Path(work), logical)
        digest, size = digest_of(payload.path)
        manifest = Manifest(
            engine=engine,
            kind=payload.kind.value,
            created_at=utcnow(),
            revision=payload.revision,
            tables=payload.tables,
            sha256=digest,
            size=size,
            columns=payload.columns,
        )
        partial = Path(work) / "backup.zip"
        write_archive(partial, manifest, payload.path)
        make_private(partial)  # a backup holds platform tokens: the owner only
        os.replace(partial, out)
    log.debug("backup written to %s: %s, %d rows", out, manifest.kind, manifest.rows)
    return manifest


def _sqlite_path(url: str) -> Path:
    """Return the file of a SQLite URL (an in-memory database has none)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise NoDatabase(url)
    return Path(database)


async def _sqlite_payload(source: Path, work: Path, logical: bool) -> Payload:
    """Copy the live SQLite file (online backup API); as rows when `logical`."""
    if not source.is_file():  # noqa: ASYNC240  (a CLI process: nothing else waits)
        raise NoDatabase(str(source))
    copy = work / PAYLOADS[Kind.SQLITE]
    backup_sqlite.copy_database(source, copy)
    backup_sqlite.use_rollback_journal(copy)
    revision, counts = backup_sqlite.describe(copy)
    if not logical:
        return Payload(Kind.SQLITE, copy, revision, counts)
    engine = create_engine(f"sqlite+aiosqlite:///{copy}", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            payload = await _rows_payload(connection, work, revision)
    finally:
        await engine.dispose()
    copy.unlink()
    return payload


async def _rows_payload(connection: AsyncConnection, work: Path, revision: str | None) -> Payload:
    """Write the logical payload from `connection` (already in its snapshot)."""
    path = work / PAYLOADS[Kind.ROWS]
    with path.open("w", encoding="utf-8") as out:
        counts, columns = await dump_rows(connection, out)
    return Payload(Kind.ROWS, path, revision, counts, columns)


async def _postgres_payload(url: str, work: Path, logical: bool) -> Payload:
    """Dump PostgreSQL from one REPEATABLE READ, read-only snapshot: pg_dump or rows."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            snapshot = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with snapshot.begin():
                revision, counts = await _describe(snapshot)
                program = None if logical else backup_pg.find_tool("pg_dump")
                if program is not None:
                    exported = await snapshot.scalar(text("SELECT pg_export_snapshot()"))
                    path = work / PAYLOADS[Kind.PG_DUMP]
                    try:
                        await backup_pg.pg_dump(program, url, path, snapshot=str(exported))
                        return Payload(Kind.PG_DUMP, path, revision, counts)
                    except (ToolFailed, OSError) as exc:
                        log.warning("pg_dump failed, making a logical backup instead: %s", exc)
                return await _rows_payload(snapshot, work, revision)
    finally:
        await engine.dispose()


async def _describe(connection: AsyncConnection) -> tuple[str | None, dict[str, int]]:
    """Return the revision and the row count of each product table, in this transaction."""
    names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    revision = None
    if "alembic_version" in names:
        revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    counts = {}
    for table in await reflect(connection):
        count = await connection.scalar(select(func.count()).select_from(table))
        counts[table.name] = int(count or 0)
    return revision, counts


def _check_revision(revision: str | None) -> None:
    """Refuse a revision this code has no migration for."""
    if revision is None:
        return
    try:
        found = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        raise UnknownRevision(revision)


# --- restoring ----------------------------------------------------------------------------


async def row_counts(url: str) -> dict[str, int]:
    """Return the row count of each product table present in the database at `url`."""
    if make_url(url).get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return {}
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return (await _describe(connection))[1]
    finally:
        await engine.dispose()


async def restore_backup(url: str, path: Path) -> Manifest:
    """Restore the backup at `path` into the empty database at `url`; migrate it to head."""
    manifest = read_manifest(path)
    _check_revision(manifest.revision)
    engine = make_url(url).get_backend_name()
    if engine == "sqlite" and manifest.kind == Kind.PG_DUMP:
        raise WrongEngine(manifest.kind)
    held = {name: count for name, count in (await row_counts(url)).items() if count}
    if held:
        raise DatabaseNotEmpty(held)
    if engine == "sqlite":
        await _restore_sqlite(url, path, manifest)
    else:
        await _restore_postgres(url, path, manifest)
    await upgrade(url)
    log.debug("restored %s (%s, %d rows)", path, manifest.kind, manifest.rows)
    return manifest


async def _restore_sqlite(url: str, path: Path, manifest: Manifest) -> None:
    """Build the database in a staged file next to the target, check it, copy it over."""
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as work:
        staged = Path(work) / "staged.db"
        if manifest.kind == Kind.SQLITE:
            shutil.move(extract(path, manifest, Path(work)), staged)
        else:
            staged_url = f"sqlite+aiosqlite:///{staged}"
            if manifest.revision is not None:
                await upgrade(staged_url, manifest.revision)
            await _load_rows(staged_url, path, manifest)
        try:
            _, counts = backup_sqlite.describe(staged)
        except sqlite3.DatabaseError as exc:
            raise BadBackupFile("payload", str(exc)) from None
        _same_counts(manifest, counts)
        if backup_sqlite.check_foreign_keys(staged):
            raise BadBackupFile("payload", "foreign keys")
        await upgrade(f"sqlite+aiosqlite:///{staged}")
        backup_sqlite.copy_database(staged, target, read_only=False)


async def _restore_postgres(url: str, path: Path, manifest: Manifest) -> None:
    """Restore with pg_restore (a pg_dump payload) or load rows in one transaction."""
    if manifest.kind == Kind.PG_DUMP:
        program = backup_pg.find_tool("pg_restore")
        if program is None:
            raise ToolMissing("pg_restore")
        with tempfile.TemporaryDirectory(prefix="restore-") as work:
            dump = extract(path, manifest, Path(work))
            await _schema_at(url, None)  # empty tables of another revision would stay behind
            try:
                await backup_pg.pg_restore(program, url, dump)
            except (ToolFailed, OSError) as exc:
                log.error("pg_restore failed: %s", exc)
                raise ToolFailed(str(exc)) from None
        _same_counts(manifest, await row_counts(url))
        return
    await _schema_at(url, manifest.revision)
    if manifest.kind == Kind.ROWS:
        await _load_rows(url, path, manifest)
        return
    with tempfile.TemporaryDirectory(prefix="restore-") as work:  # a SQLite file → rows
        copy = extract(path, manifest, Path(work))
        source = create_engine(f"sqlite+aiosqlite:///{copy}", poolclass=NullPool)
        try:
            async with source.connect() as connection:
                payload = await _rows_payload(connection, Path(work), manifest.revision)
        finally:
            await source.dispose()
        with payload.path.open(encoding="utf-8") as lines:
            await _load_lines(url, lines, payload.columns, manifest)


async def _schema_at(url: str, revision: str | None) -> None:
    """Make the (empty) PostgreSQL schema match the backup's revision."""
    current = await current_revision(url)
    if current == revision:
        return
    if current is not None:
        await downgrade(url, "base")
    if revision is not None:
        await upgrade(url, revision)


async def _load_rows(url: str, path: Path, manifest: Manifest) -> None:
    """Load a rows payload straight from the zip file."""
    with (
        open_archive(path) as archive,
        archive.open(manifest.payload) as data,
        io.TextIOWrapper(data, encoding="utf-8") as lines,
    ):
        await _load_lines(url, lines, manifest.columns, manifest)


async def _load_lines(
    url: str, lines: Iterable[str], columns: dict[str, list[str]], manifest: Manifest
) -> None:
    """Load JSON lines in one transaction, checked against the manifest's counts."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            try:
                counts = await load_rows(connection, lines, columns)
            except (RowsError, UnicodeDecodeError) as exc:
                raise BadBackupFile("payload", str(exc)) from None
            _same_counts(manifest, counts)
    finally:
        await engine.dispose()


def _same_counts(manifest: Manifest, counts: dict[str, int]) -> None:
    """Refuse a restore whose row counts differ from the manifest's."""
    differ = {
        name: (expected, counts.get(name, 0))
        for name, expected in manifest.tables.items()
        if counts.get(name, 0) != expected
    }
    if differ:
        raise BadBackupFile("payload", f"row counts differ: {differ}")


__all__ = [
    "BackupError",
    "BadBackupFile",
    "DatabaseNotEmpty",
    "Manifest",
    "NoDatabase",
    "ToolFailed",
    "ToolMissing",
    "UnknownRevision",
    "WrongEngine",
    "make_backup",
    "product_tables",
    "read_manifest",
    "restore_backup",
    "row_counts",
]
