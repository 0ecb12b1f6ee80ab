"""Who runs the reminders: the holder of a PostgreSQL advisory lock (SQLite: the one process).

The lock lives on a connection held for as long as the process leads; when the process
dies its connection closes, PostgreSQL releases the lock, and a follower that asks
again (every FOLLOWER_POLL seconds) becomes the leader. When PostgreSQL restarts, every
connection dies: the leader notices within HEARTBEAT and steps down, and every process
(the old leader too) keeps asking until the server answers again; one of them leads.

A leader that hangs with its connection open (SIGSTOP, a frozen VM) loses the lock too:
its lock connection is idle, and PostgreSQL ends a session idle (or idle in a
transaction) for LOCK_IDLE_TIMEOUT, and probes a silent peer with TCP keepalives, so a
follower leads within LOCK_IDLE_TIMEOUT + FOLLOWER_POLL. Each new leader starts a new
term (storage.queries.terms); its `Fence` lets the sender check, before each send, that
its term is still the current one: a resumed stale leader sends nothing it had claimed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from handlers.ports import Sessions
from storage.queries.terms import begin_term, current_term

log = logging.getLogger(__name__)

LOCK_KEY = 0x0B07_1E8D  # the reminder service's advisory lock id
FOLLOWER_POLL = 5.0  # seconds between a follower's attempts
HEARTBEAT = 5.0  # seconds between the leader's checks that its connection is alive
LOCK_IDLE_TIMEOUT = 20  # seconds before PostgreSQL ends the lock's session if the leader hangs
# The lock connection's session settings: a hung leader's session is ended server-side
# (idle, or idle in a transaction, for LOCK_IDLE_TIMEOUT; a silent peer after ~20 s of
# keepalive probes), which releases the advisory lock.
LOCK_SESSION = (
    f"SET idle_session_timeout = '{LOCK_IDLE_TIMEOUT}s'",
    f"SET idle_in_transaction_session_timeout = '{LOCK_IDLE_TIMEOUT}s'",
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 2",
)
FRESH = 2 * HEARTBEAT  # seconds a confirmed term is trusted before asking the database again
TRY_LOCK = text("SELECT pg_try_advisory_lock(:k)")
UNLOCK = text("SELECT pg_advisory_unlock(:k)")
HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = 0 AND objid = :k AND objsubid = 1"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
)


class Fence:
    """A leader's term, and whether it is still the current one (checked before each send).

    Trusted for FRESH seconds after the last confirmation (the leader's heartbeat, or a
    look at the database); after a longer gap, e.g. the process was stopped, the database
    is asked again. Once another term is seen, the fence stays closed.
    """

    def __init__(self, sessions: Sessions, term: int) -> None:
        self.sessions = sessions
        self.term = term
        self.confirmed = time.monotonic()
        self.closed = False
        self.asking = asyncio.Lock()

    def confirm(self) -> None:
        """Note that the term was current just now."""
        self.confirmed = time.monotonic()

    def close(self) -> None:
        """Refuse every later send of this term (leadership was lost)."""
        self.closed = True

    def fresh(self) -> bool:
        """Tell whether the term was confirmed less than FRESH seconds ago."""
        return time.monotonic() - self.confirmed < FRESH

    async def holds(self) -> bool:
        """Tell whether this term is still the current one (asking the database if unsure)."""
        if self.closed or self.fresh():
            return not self.closed
        async with self.asking:
            if self.closed or self.fresh():
                return not self.closed
            async with self.sessions() as session:
                current = await current_term(session)
            if current != self.term:
                log.error(
                    "reminder service: term %d is over (now %d): not sending", self.term, current
                )
                self.close()
                return False
            self.confirm()
            return True


class Leadership:
    """Become and stay the leader; say when leadership is lost."""

    def __init__(
        self, engine: AsyncEngine, sessions: Sessions, now: Callable[[], datetime]
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.now = now
        self.connection: AsyncConnection | None = None
        self.shared = engine.dialect.name == "postgresql"
        self.leading = False
        self.fence: Fence | None = None

    async def leader_known(self) -> bool:
        """Return whether this process or another one holds the leadership now."""
        if self.leading or not self.shared:
            return self.leading
        async with self.engine.connect() as connection:
            return bool(await connection.scalar(HELD, {"k": LOCK_KEY}))

    async def acquire(self) -> None:
        """Wait until this process leads, in a new term."""
        while True:
            try:
                taken = await self.try_acquire() if self.shared else True
                if taken:
                    await self.begin()
            except Exception as exc:  # the database is restarting or out of reach: ask again
                log.warning("reminder service: can't reach the database to lead: %s", exc)
                await self.release()
                taken = False
            if taken:
                assert self.fence is not None
                log.info("reminder service: this process is the leader (term %d)", self.fence.term)
                self.leading = True
                return
            await asyncio.sleep(FOLLOWER_POLL)

    async def begin(self) -> None:
        """Start a new term (the lock is held): what this leader claims carries it."""
        async with self.sessions() as session:
            term = await begin_term(session, now=self.now())
        self.fence = Fence(self.sessions, term)

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
            await self.limit_session(connection)
            return True
        await connection.close()
        return False

    @staticmethod
    async def limit_session(connection: AsyncConnection) -> None:
        """Have PostgreSQL end the lock's session if this process hangs (LOCK_SESSION)."""
        for statement in LOCK_SESSION:
            try:
                await connection.execute(text(statement))
                await connection.commit()
            except Exception as exc:  # e.g. idle_session_timeout before PostgreSQL 14
                await connection.rollback()
                log.warning("reminder service: %s refused: %s", statement, exc)

    async def hold(self) -> None:
        """Return when leadership is lost (the lock's connection broke)."""
        if not self.shared:
            await asyncio.Event().wait()  # one process: leads until stopped
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                assert self.connection is not None and self.fence is not None
                await self.connection.scalar(text("SELECT 1"))
                await self.connection.commit()
            except Exception as exc:
                log.error("reminder service: lost the leader's connection: %s", exc)
                if self.fence is not None:
                    self.fence.close()
                return
            self.fence.confirm()  # the lock is still ours, so no later term exists

    async def release(self) -> None:
        """Give up leadership."""
        self.leading = False
        if self.fence is not None:
            self.fence.close()
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
                    await connection.invalidate()  # not back to the pool with its timeouts
                    await connection.close()
                except Exception as exc:
                    log.warning("could not close the leader's connection: %s", exc)
