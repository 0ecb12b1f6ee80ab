"""One chat's turns one at a time across processes: a PostgreSQL advisory lock per chat.

`lock_chat` makes every transaction of the session, from now on, begin by taking
`pg_advisory_xact_lock(key)`, the key a stable 64-bit hash of (channel, chat id). A
transaction-scoped lock, not a session-level one, because write functions commit (and a
question's turn closes its session early): the lock ends with each transaction whatever
happens to it (commit, rollback, a cancelled task, a lost connection), so it can never be
left behind on a pooled connection; the next transaction of the turn takes it again
before its first statement. So every read-then-write of one chat's state (each is one
transaction: `put_state`, `take_state` with the report) runs one process at a time, and
a second process's update of the chat waits for it, then sees what it wrote. Between two
transactions of one turn another turn of the chat may run; no flow reads the state in
one transaction and writes from that reading in another. A turn holds one chat's lock and
takes it before anything else in each transaction, so turns can't deadlock on these
locks. On SQLite it does nothing: one process, one writer connection (storage/engine.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_INFO_KEY = "chat_lock"  # session.info: the key this session already locks


def lock_key(*parts: str) -> int:
    """Return an advisory lock key: sha256 of the parts' first 8 bytes as a signed bigint."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def chat_lock_key(channel: str, chat_id: str) -> int:
    """Return the chat's advisory lock key."""
    return lock_key("chat", channel, chat_id)


async def lock_until_commit(session: AsyncSession, *parts: str) -> None:
    """Hold the lock named by `parts` until the session's transaction ends (PostgreSQL).

    For a read-then-write that must not run twice at once across processes, e.g. "at most
    once an hour": take it before the read. On SQLite it does nothing: the transaction holds
    the process's one connection, so the read and the write already run one at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(LOCK, {"key": lock_key(*parts)})


async def lock_chat(session: AsyncSession, *, channel: str, chat_id: str) -> None:
    """Hold the chat's lock in this and every later transaction of `session` (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = chat_lock_key(channel, chat_id)
    if session.info.get(_INFO_KEY) == key:
        return
    if _INFO_KEY in session.info:
        raise RuntimeError("a session locks one chat")
    session.info[_INFO_KEY] = key

    def relock(_session: Any, _transaction: Any, connection: Any) -> None:
        connection.execute(LOCK, {"key": key})

    event.listen(session.sync_session, "after_begin", relock)
    if session.in_transaction():  # begun before: take it now, the event comes next time
        await session.execute(LOCK, {"key": key})
    else:
        await session.connection()  # begins the transaction, and the event takes the lock
