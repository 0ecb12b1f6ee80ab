"""The process's database: one engine, one session maker, migrations on start."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass
class Database:
    """An engine and its session maker, built once per process."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def open(cls, settings: Settings) -> Database:
        """Create the engine for the configured database (nothing is connected yet)."""
        url = make_url(settings.database)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        return cls(engine=engine, sessions=session_factory(engine))

    async def upgrade(self) -> None:
        """Apply the Alembic migrations up to the newest."""
        await upgrade(self.engine)
        log.info("database schema is up to date")

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
