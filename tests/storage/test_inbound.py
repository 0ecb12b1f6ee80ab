"""Inbound events: the first claim of (channel, key) wins, across sessions; a day is kept."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import session_factory
from storage.models import InboundEvent
from storage.queries.inbound import EVENT_TTL, claim_event, prune_events
from storage.types import utcnow
from tests.storage.conftest import Backend


async def test_an_event_is_new_once_per_channel(session: AsyncSession) -> None:
    now = utcnow()
    assert await claim_event(session, channel="telegram", key="700000001", now=now)
    assert not await claim_event(session, channel="telegram", key="700000001", now=now)
    assert await claim_event(session, channel="zalo_bot", key="700000001", now=now)
    long_key = "x" * 500
    assert await claim_event(session, channel="zalo_oa", key=long_key, now=now)
    assert not await claim_event(session, channel="zalo_oa", key=long_key, now=now)
    assert await claim_event(session, channel="zalo_oa", key=long_key + "y", now=now)


async def test_racing_claims_from_two_engines_let_one_through(
    engine: AsyncEngine, backend: Backend
) -> None:
    other = backend.engine()
    try:
        for round_ in range(5):
            makers = [session_factory(engine), session_factory(other)] * 3

            async def claim(maker: async_sessionmaker[AsyncSession], key: str) -> bool:
                async with maker() as session:
                    return await claim_event(session, channel="zalo_oa", key=key, now=utcnow())

            won = await asyncio.gather(*(claim(maker, f"race-{round_}") for maker in makers))
            assert sorted(won) == [False] * 5 + [True]
    finally:
        await other.dispose()


async def test_events_older_than_a_day_are_pruned(session: AsyncSession) -> None:
    now = utcnow()
    old = now - EVENT_TTL - timedelta(minutes=1)
    await claim_event(session, channel="telegram", key="1", now=old)
    await claim_event(session, channel="telegram", key="2", now=now - timedelta(hours=23))
    assert await prune_events(session, now=now) == 1
    assert await session.scalar(select(func.count()).select_from(InboundEvent)) == 1
    assert await claim_event(session, channel="telegram", key="1", now=now)  # forgotten
    assert not await claim_event(session, channel="telegram", key="2", now=now)
