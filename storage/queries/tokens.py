"""A platform's OAuth token pair, kept in the database so every process and restart shares it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import PlatformToken
from storage.queries.upsert import dialect_insert
from storage.types import as_utc, utcnow

NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # the expiry of "no access token yet"


async def get_tokens(session: AsyncSession, *, channel: str) -> PlatformToken | None:
    """Return the channel's stored token pair, or None."""
    return await session.get(PlatformToken, channel, populate_existing=True)


async def list_tokens(session: AsyncSession) -> list[PlatformToken]:
    """Return every stored pair, by channel."""
    query = select(PlatformToken).order_by(col(PlatformToken.channel))
    return list((await session.scalars(query)).all())


async def lock_tokens(session: AsyncSession, *, channel: str) -> PlatformToken | None:
    """Return the stored pair, locked against other processes until the transaction ends."""
    query = select(PlatformToken).where(col(PlatformToken.channel) == channel).with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).first()


async def seed_tokens(session: AsyncSession, *, channel: str, refresh_token: str) -> None:
    """Store a first refresh token (no access token yet) unless a pair is stored; commit."""
    values = _pair(channel, "", refresh_token, NEVER)
    statement = dialect_insert(session, PlatformToken).values(**values)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["channel"]))
    await session.commit()


async def replace_refresh_token(session: AsyncSession, *, channel: str, refresh_token: str) -> None:
    """Store a refresh token issued in the platform's console; the next call trades it; commit."""
    await save_tokens(
        session, channel=channel, access_token="", refresh_token=refresh_token, expires_at=NEVER
    )


async def save_tokens(
    session: AsyncSession,
    *,
    channel: str,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
) -> None:
    """Store a new pair in one write (the old refresh token is already spent); commit."""
    values = _pair(channel, access_token, refresh_token, expires_at)
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


def _pair(channel: str, access: str, refresh: str, expires_at: datetime) -> dict[str, object]:
    """Return the column values of a stored pair."""
    return {
        "channel": channel,
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": as_utc(expires_at),
        "updated_at": utcnow(),
    }
