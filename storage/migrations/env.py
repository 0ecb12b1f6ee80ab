"""Alembic environment: async engines, batch mode (SQLite), storage.models metadata."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.engine import create_engine, default_database_url
from storage.migrate import prepare_connection

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    """Return the database URL: alembic config, then DATABASE_URL, then the default."""
    return (
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
        or default_database_url()
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout without a database."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on a sync connection (batch mode keeps SQLite working)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    """Open an async engine for the configured URL and run the migrations."""
    engine = create_engine(_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await prepare_connection(connection)
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Use the connection handed over by storage.migrate, or open one."""
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
