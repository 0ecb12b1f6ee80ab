"""Run the bundled Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import NullPool

from storage.engine import create_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")

Target = str | AsyncEngine


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic Config pointing at storage/migrations (and `url` if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def prepare_connection(connection: AsyncConnection) -> None:
    """Turn SQLite foreign keys off for the migration (batch mode recreates tables)."""
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")


def _engine_for(target: Target) -> tuple[AsyncEngine, bool]:
    """Return an engine for `target` and whether the caller must dispose of it."""
    if isinstance(target, AsyncEngine):
        return target, False
    return create_engine(target, poolclass=NullPool), True


async def _run(target: Target, action: Callable[[Config], None]) -> None:
    """Run an Alembic command on one connection of `target`, then commit."""
    engine, owned = _engine_for(target)
    try:
        async with engine.connect() as connection:
            await prepare_connection(connection)
            await connection.run_sync(_with_connection, action)
            await connection.commit()
            if connection.dialect.name == "sqlite":
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    finally:
        if owned:
            await engine.dispose()


def _with_connection(connection: Connection, action: Callable[[Config], None]) -> None:
    """Hand `connection` to env.py through the config attributes and run `action`."""
    config = alembic_config()
    config.attributes["connection"] = connection
    action(config)


async def upgrade(target: Target, revision: str = "head") -> None:
    """Upgrade the database at `target` (URL or AsyncEngine) to `revision`."""
    log.info("upgrading database to %s", revision)
    await _run(target, lambda config: command.upgrade(config, revision))


async def downgrade(target: Target, revision: str) -> None:
    """Downgrade the database at `target` to `revision` ("base" drops everything)."""
    log.info("downgrading database to %s", revision)
    await _run(target, lambda config: command.downgrade(config, revision))


async def current_revision(target: Target) -> str | None:
    """Return the revision the database is at (None when never migrated)."""
    engine, owned = _engine_for(target)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        if owned:
            await engine.dispose()


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Upgrade from synchronous code (CLI); must not be called inside a running loop."""
    asyncio.run(upgrade(url, revision))
