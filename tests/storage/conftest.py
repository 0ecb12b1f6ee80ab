"""One contract suite for every backend: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

Each backend is migrated once per run with the real Alembic revisions; each test then
starts from empty tables. PostgreSQL runs inside a random schema dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel

from storage.engine import create_engine, session_factory
from storage.migrate import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL")


@dataclass
class Backend:
    """How to reach one migrated test database."""

    name: str
    url: str
    engine_kwargs: dict[str, Any] = field(default_factory=dict)

    def engine(self) -> AsyncEngine:
        """Return a new engine for this database."""
        return create_engine(self.url, **self.engine_kwargs)


async def _execute(url: str, sql: str) -> None:
    """Run one statement on a throw-away engine."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def _migrate(backend: Backend) -> None:
    """Apply the Alembic migrations to head."""
    engine = backend.engine()
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def make_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Return a factory of empty databases (sqlite file / fresh PG schema), cleaned at the end."""
    schemas: list[str] = []

    def make(name: str) -> Backend:
        if name == "sqlite":
            path = Path(tmp_path_factory.mktemp("db")) / "bot.db"
            return Backend("sqlite", f"sqlite+aiosqlite:///{path}")
        if not PG_URL:
            pytest.skip("TEST_DATABASE_URL not set")
        schema = f"test_{secrets.token_hex(6)}"
        asyncio.run(_execute(PG_URL, f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        settings = {"server_settings": {"search_path": schema}}
        return Backend("postgresql", PG_URL, {"connect_args": settings})

    yield make
    for schema in schemas:
        assert PG_URL is not None
        asyncio.run(_execute(PG_URL, f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, make_backend: Any) -> Backend:
    """A database migrated once per run with the real migrations."""
    made: Backend = make_backend(request.param)
    asyncio.run(_migrate(made))
    return made


async def _empty(engine: AsyncEngine) -> None:
    """Delete every row of every table (children first)."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(table.delete())


@pytest_asyncio.fixture
async def engine(backend: Backend) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated database, emptied before the test."""
    made = backend.engine()
    await _empty(made)
    yield made
    await made.dispose()


@pytest_asyncio.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session from the production session factory."""
    async with session_factory(engine)() as opened:
        yield opened


@pytest.fixture
def fresh_backend(backend: Backend, make_backend: Any) -> Backend:
    """An empty, never migrated database of the same kind as `backend`."""
    made: Backend = make_backend(backend.name)
    return made
