"""Async engine and session factory; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from storage import sqlite_connection

log = logging.getLogger(__name__)

# synchronous=NORMAL under WAL: a commit no longer waits for an fsync of the log (the
# log is synced at checkpoints). The database can't be corrupted that way; a power cut
# (not a crash of the process) may lose the last commits before the cut.
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000")

# SQLSTATE classes that mean "not now" rather than "wrong": connection exception (08),
# operator intervention (57: shutdown, restart, cancel), insufficient resources (53: disk full).
UNAVAILABLE_SQLSTATES = ("08", "57", "53")

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def default_database_url(data_dir: Path | str = "data") -> str:
    """Return the SQLite URL of `data_dir`/bot.db, creating the directory."""
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(path / 'bot.db').as_posix()}"


def to_async_url(url: str | URL) -> URL:
    """Return `url` with its async driver (sqlite → aiosqlite, postgresql → asyncpg)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database backend {backend!r}")
    return parsed.set(drivername=_ASYNC_DRIVERS[backend])


def to_sync_url(url: str | URL) -> URL:
    """Return `url` with a sync driver (for tools needing one, e.g. a sync job store)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _SYNC_DRIVERS:
        raise ValueError(f"unsupported database backend {backend!r}")
    return parsed.set(drivername=_SYNC_DRIVERS[backend])


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Apply SQLITE_PRAGMAS to every new SQLite connection."""
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _connect_in_one_trip(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Open a SQLite connection that runs each statement in one trip to its thread."""
    connect = dialect.loaded_dbapi.connect
    return connect(*cargs, async_creator_fn=sqlite_connection.connect, **cparams)


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """Create an AsyncEngine for `url` (sync driver names are upgraded to async ones)."""
    async_url = to_async_url(url)
    # A failing statement's message would carry its values (tokens, notes) into the log.
    kwargs.setdefault("hide_parameters", True)
    if async_url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        # JIT compiling took longer than the short recipient queries themselves.
        settings = kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})
        settings.setdefault("jit", "off")
    if async_url.get_backend_name() == "sqlite" and "poolclass" not in kwargs:
        # One connection per process: SQLite has one writer anyway, and transactions of
        # concurrent sessions that read then write otherwise fail with "database is
        # locked" (a WAL snapshot can't be upgraded) instead of waiting their turn.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
    engine = _create_async_engine(async_url, **kwargs)
    if async_url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "do_connect", _connect_in_one_trip)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    log.debug("engine created for %s", async_url.render_as_string(hide_password=True))
    return engine


def is_unavailable(exc: BaseException) -> bool:
    """Tell whether `exc` means the database can't be reached or written just now.

    True for a lost or refused connection (PostgreSQL restarting, asyncpg's raw socket
    errors while connecting), SQLite's "database or disk is full" / "database is locked"
    (OperationalError), no pooled connection free in time (the process is overloaded), and
    server errors of the SQLSTATE classes 08, 57 and 53; False for errors in the statement
    itself (constraint violations, bad SQL), which are bugs.
    """
    unreachable = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError)
    if isinstance(exc, unreachable):
        return True
    if isinstance(exc, DBAPIError):
        code = str(getattr(exc.orig, "sqlstate", None) or "")
        return exc.connection_invalidated or code[:2] in UNAVAILABLE_SQLSTATES
    return False


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return a session maker whose objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
