"""Who runs the reminders: the holder of a PostgreSQL advisory lock (SQLite: the one process).

The lock lives on a connection held for as long as the process leads; when the process
dies its connection closes, PostgreSQL releases the lock, and a follower that asks
again (every FOLLOWER_POLL seconds) becomes the leader.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LOCK_KEY = 0x0B07_1E8D  # the reminder service's advisory lock id
FOLLOWER_POLL = 5.0  # seconds between a follower's attempts
HEARTBEAT = 5.0  # seconds between the leader's checks that its connection is alive
TRY_LOCK = text("SELECT pg_try_advisory_lock(:k)")
UNLOCK = text("SELECT pg_advisory_unlock(:k)")


class Leadership:
    """Become and stay the leader; say when leadership is lost."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.connection: AsyncConnection | None = None
        self.shared = engine.dialect.name == "postgresql"

    async def acquire(self) -> None:
        """Wait until this process leads."""
        if not self.shared:
            return
        while True:
            if await self.try_acquire():
                log.info("reminder service: this process is the leader")
                return
            await asyncio.sleep(FOLLOWER_POLL)

    async def try_acquire(self) -> bool:
        """Try once to take the advisory lock on a dedicated connection."""
        connection = await self.engine.connect()
        try:
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}
            )
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if taken:
            self.connection = connection
            return True
        await connection.close()
        return False

    async def hold(self) -> None:
        """Return when leadership is lost (the lock's connection broke)."""
        if not self.shared:
            await asyncio.Event().wait()  # one process: leads until stopped
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                assert self.connection is not None
                await self.connection.scalar(text("SELECT 1"))
                await self.connection.commit()
            except Exception as exc:
                log.error("reminder service: lost the leader's connection: %s", exc)
                return

    async def release(self) -> None:
        """Give up leadership."""
        if self.connection is not None:
            try:
                await self.connection.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY}
                )
                await self.connection.commit()
            except Exception as exc:
                log.warning("could not unlock (the connection is gone): %s", exc)
            finally:
                await self.connection.close()
                self.connection = None
