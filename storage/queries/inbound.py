"""Inbound platform events taken in: a repeated update or webhook is handled once.

`claim_event` inserts (channel, key) and tells whether this call was the first: the
primary key decides, so it holds across processes. Rows older than EVENT_TTL are pruned.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import InboundEvent
from storage.queries.upsert import INSERTS

EVENT_TTL = timedelta(days=1)  # platforms redeliver within minutes; a day is ample
KEY_MAX = 128  # the column's length


async def claim_event(session: AsyncSession, *, channel: str, key: str, now: datetime) -> bool:
    """Record the event; True if it is new, False if (channel, key) was taken before; commit."""
    values = {"channel": channel, "key": _fitted(key), "received_at": now}
    result = await session.execute(_claim(session.get_bind().dialect.name), values)
    await session.commit()
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


@cache
def _claim(dialect: str) -> Any:
    """Return the claim's INSERT … ON CONFLICT DO NOTHING, built once per dialect.

    On the table, not the ORM class, and built once: SQLAlchemy then reuses its compiled
    form and cache key instead of rebuilding them for every update taken in.
    """
    insert = INSERTS[dialect](InboundEvent.__table__)  # type: ignore[attr-defined]
    return insert.on_conflict_do_nothing(index_elements=["channel", "key"])


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
