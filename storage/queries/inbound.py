"""Inbound platform events taken in: a repeated update or webhook is handled once.

`claim_event` inserts (channel, key) and tells whether this call was the first: the
primary key decides, so it holds across processes. Rows older than EVENT_TTL are pruned.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import InboundEvent
from storage.queries.upsert import dialect_insert

EVENT_TTL = timedelta(days=1)  # platforms redeliver within minutes; a day is ample
KEY_MAX = 128  # the column's length


async def claim_event(session: AsyncSession, *, channel: str, key: str, now: datetime) -> bool:
    """Record the event; True if it is new, False if (channel, key) was taken before; commit."""
    statement = (
        dialect_insert(session, InboundEvent)
        .values(channel=channel, key=_fitted(key), received_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "key"])
    )
    result = await session.execute(statement)
    await session.commit()
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def prune_events(session: AsyncSession, *, now: datetime, ttl: timedelta = EVENT_TTL) -> int:
    """Delete events received more than `ttl` ago; return how many; commit."""
    result = await session.execute(
        delete(InboundEvent).where(col(InboundEvent.received_at) < now - ttl)
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def _fitted(key: str) -> str:
    """Return the key, or its sha256 when longer than the column (still unique in practice)."""
    if len(key) <= KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
