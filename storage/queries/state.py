"""Conversation state per (channel, chat id) with an expiry, shared by all workers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import ConversationState
from storage.queries.upsert import dialect_insert
from storage.types import utcnow

DEFAULT_STATE_TTL = timedelta(minutes=30)


async def get_state(
    session: AsyncSession, *, channel: str, chat_id: str, now: datetime | None = None
) -> ConversationState | None:
    """Return the chat's state unless it is missing or expired."""
    query = select(ConversationState).where(
        ConversationState.channel == channel,
        ConversationState.chat_id == chat_id,
        ConversationState.expires_at > (now or utcnow()),
    )
    return await session.scalar(query)


async def put_state(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    state: str,
    data: dict[str, Any] | None = None,
    ttl: timedelta = DEFAULT_STATE_TTL,
    now: datetime | None = None,
) -> ConversationState:
    """Insert or replace the chat's state (atomic upsert), valid for `ttl`; commit."""
    now = now or utcnow()
    await write_state(
        session, channel=channel, chat_id=chat_id, state=state, data=data, ttl=ttl, now=now
    )
    row = await get_state(session, channel=channel, chat_id=chat_id, now=now)
    assert row is not None
    await session.refresh(row)
    return row


async def write_state(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    state: str,
    data: dict[str, Any] | None = None,
    ttl: timedelta = DEFAULT_STATE_TTL,
    now: datetime | None = None,
) -> None:
    """Insert or replace the chat's state like `put_state`, without reading it back; commit."""
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
