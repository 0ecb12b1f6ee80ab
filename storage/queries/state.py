"""Conversation state per (channel, chat id) with an expiry, shared by all workers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import ConversationState
from storage.queries.upsert import dialect_insert
from storage.types import UTCDateTime, utcnow

DEFAULT_STATE_TTL = timedelta(minutes=30)
# Built once (SQLAlchemy reuses its compiled form); populate_existing: put_state writes
# with a Core upsert, so a row this session loaded before must be overwritten, not reused.
_CURRENT = (
    select(ConversationState)
    .where(
        col(ConversationState.channel) == bindparam("channel"),
        col(ConversationState.chat_id) == bindparam("chat_id"),
        col(ConversationState.expires_at) > bindparam("now", type_=UTCDateTime()),
    )
    .execution_options(populate_existing=True)
)


async def get_state(
    session: AsyncSession, *, channel: str, chat_id: str, now: datetime | None = None
) -> ConversationState | None:
    """Return the chat's state unless it is missing or expired."""
    values = {"channel": channel, "chat_id": chat_id, "now": now or utcnow()}
    return await session.scalar(_CURRENT, values)


async def put_state(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    state: str,
    data: dict[str, Any] | None = None,
    ttl: timedelta = DEFAULT_STATE_TTL,
    now: datetime | None = None,
) -> None:
    """Insert or replace the chat's state (atomic upsert), valid for `ttl`; commit."""
    now = now or utcnow()
    values = {
        "channel": channel,
        "chat_id": chat_id,
        "state": state,
        "data": data or {},
        "expires_at": now + ttl,
        "updated_at": now,
    }
    statement = dialect_insert(session, ConversationState).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["channel", "chat_id"],
        set_={
            key: statement.excluded[key] for key in ("state", "data", "expires_at", "updated_at")
        },
    )
    await session.execute(statement)
    await session.commit()


async def take_state(
    session: AsyncSession, *, channel: str, chat_id: str, now: datetime | None = None
) -> ConversationState | None:
    """Delete the chat's unexpired state and return it, in one statement; no commit.

    The caller writes what the state led to and commits both, or rolls back. Of two
    transactions taking the same state at once, one gets it and the other None (on
    PostgreSQL the second DELETE waits for the first to end, then finds no row).
    """
    statement = (
        delete(ConversationState)
        .where(
            col(ConversationState.channel) == channel,
            col(ConversationState.chat_id) == chat_id,
            col(ConversationState.expires_at) > (now or utcnow()),
        )
        .returning(*ConversationState.__table__.columns)  # type: ignore[attr-defined]
    )
    row = (await session.execute(statement)).first()
    return ConversationState.model_validate(dict(row._mapping)) if row is not None else None


async def clear_state(session: AsyncSession, *, channel: str, chat_id: str) -> None:
    """Forget the chat's state; commit."""
    await session.execute(
        delete(ConversationState).where(
            col(ConversationState.channel) == channel, col(ConversationState.chat_id) == chat_id
        )
    )
    await session.commit()


async def purge_expired_states(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Delete expired states; return how many; commit."""
    result = await session.execute(
        delete(ConversationState).where(col(ConversationState.expires_at) <= (now or utcnow()))
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
