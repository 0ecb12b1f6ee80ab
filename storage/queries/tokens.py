"""A platform's OAuth token pair, kept in the database so every process and restart shares it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlatformToken
from storage.queries.upsert import dialect_insert
from storage.types import as_utc, utcnow


async def get_tokens(session: AsyncSession, *, channel: str) -> PlatformToken | None:
    """Return the channel's stored token pair, or None."""
    return await session.get(PlatformToken, channel, populate_existing=True)


async def save_tokens(
    session: AsyncSession,
    *,
    channel: str,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
) -> None:
    """Store a new pair in one write (the old refresh token is already spent); commit."""
    values = {
        "channel": channel,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "expires_at": as_utc(expires_at),
        "updated_at": utcnow(),
    }
    statement = dialect_insert(session, PlatformToken).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["channel"],
        set_={
            k: statement.excluded[k]
            for k in ("access_token", "refresh_token", "expires_at", "updated_at")
        },
    )
    await session.execute(statement)
    await session.commit()
