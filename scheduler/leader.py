"""Who runs the reminders: the holder of a PostgreSQL advisory lock (SQLite: the one process).

The lock lives on a connection held for as long as the process leads; when the process
dies its connection closes, PostgreSQL releases the lock, and a follower that asks
again (every FOLLOWER_POLL seconds) becomes the leader. When PostgreSQL restarts, every
connection dies: the leader notices within HEARTBEAT and steps down, and every process
(the old leader too) keeps asking until the server answers again; one of them leads.
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
HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = 0 AND objid = :k AND objsubid = 1"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
)


class Leadership:
    """Become and stay the leader; say when leadership is lost."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.connection: AsyncConnection | None = None
        self.shared = engine.dialect.name == "postgresql"
        self.leading = False

    async def leader_known(self) -> bool:
        """Return whether this process or another one holds the leadership now."""
        if self.leading or not self.shared:
            return self.leading
        async with self.engine.connect() as connection:
            return bool(await connection.scalar(HELD, {"k": LOCK_KEY}))

    async def acquire(self) -> None:
        """Wait until this process leads."""
        if not self.shared:
            self.leading = True
            return
        while True:
            try:
                taken = await self.try_acquire()
            except Exception as exc:  # the database is restarting or out of reach: ask again
                log.warning("reminder service: can't reach the database to lead: %s", exc)
                taken = False
            if taken:
                log.info("reminder service: this process is the leader")
                self.leading = True
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
        self.leading = False
        if self.connection is not None:
            try:
                await self.connection.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY}
                )
                await self.connection.commit()
            except Exception as exc:
                log.warning("could not unlock (the connection is gone): %s", exc)
            finally:
                connection, self.connection = self.connection, None
                try:
                    await connection.close()
                except Exception as exc:
                    log.warning("could not close the leader's connection: %s", exc)
