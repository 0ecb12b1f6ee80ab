"""SQLite files: a consistent copy of a live database (the online backup API) and checks."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

from storage.backup_rows import product_tables

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 30.0  # seconds to wait for a writer's lock (WAL readers rarely wait)


def copy_database(source: Path, target: Path, *, read_only: bool = True) -> None:
    """Copy `source` into `target` with sqlite3's online backup API, in one step.

    One step (pages=-1) reads the whole database inside one read transaction: a snapshot,
    while the bot keeps writing (WAL). `target` is overwritten page by page, also when it
    is an existing database; it is left in rollback-journal mode (one self-contained file)
    unless it was a WAL database already.
    """
    uri = f"{source.resolve().as_uri()}?mode=ro" if read_only else source.resolve().as_uri()
    with (
        closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)) as src,
        closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT)) as dst,
    ):
        src.backup(dst, pages=-1)
        dst.commit()
    log.debug("copied %s to %s", source, target)


def use_rollback_journal(path: Path) -> None:
    """Switch a database file to a rollback journal, so it is one self-contained file."""
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")


def describe(path: Path) -> tuple[str | None, dict[str, int]]:
    """Return the Alembic revision and the row count of each product table of a file.

    Raises sqlite3.DatabaseError when the file is not a sound SQLite database.
    """
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(map(str, problems[:3])))
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        revision = None
        if "alembic_version" in names:
            found = db.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = found[0] if found else None
        counts = {
            name: int(db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in product_tables(names)
        }
    return revision, counts


def check_foreign_keys(path: Path) -> int:
    """Return how many rows of the file break a foreign key."""
    with closing(sqlite3.connect(path)) as db:
        return len(db.execute("PRAGMA foreign_key_check").fetchall())
