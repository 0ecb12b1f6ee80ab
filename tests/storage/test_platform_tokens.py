"""Zalo OA's single-use refresh token: spent once across processes, replaceable by an admin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.zalo_oa import ZaloOAChannel, ZaloOAConfig
from bot.web import WebServer
from handlers.types import Incoming, Reply
from storage.engine import session_factory
from storage.queries.tokens import get_tokens, replace_refresh_token
from tests.fakes.zalo_oa import FakeZaloOA


async def _nothing(incoming: Incoming) -> list[Reply]:
    return []


async def _unreachable(channel: str, user: str, blocked: bool) -> None:
    return None


def oa_channel(fake: FakeZaloOA, engine: AsyncEngine) -> ZaloOAChannel:
    """A Zalo OA channel as one bot process builds it, on its own engine."""
    config = ZaloOAConfig(
        app_id=fake.app_id,
        app_secret=fake.app_secret,
        secret_key=fake.secret_key,
        refresh_token="rt-0",
        api_base_url=fake.url,
        oauth_base_url=fake.url,
    )
    return ZaloOAChannel(
        _nothing,
        config,
        web_server=WebServer("127.0.0.1", 0),
        sessions=session_factory(engine),
        reachability=_unreachable,
    )


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeZaloOA]:
    server = FakeZaloOA(refresh_delay=0.3)  # long enough for two refreshes to overlap
    await server.start()
    yield server
    await server.stop()


async def test_two_processes_spend_the_refresh_token_once(
    backend: Any, engine: AsyncEngine, fake: FakeZaloOA
) -> None:
    if backend.name != "postgresql":  # SQLite serves one process only
        return
    engines = [backend.engine(), backend.engine()]  # two processes, two pools
    first, second = (oa_channel(fake, e) for e in engines)
    try:
        await first.start()
        await second.start()
        assert len(fake.refreshes) == 1  # the second process found the stored pair
        fake.expire_access_token()
        stale = await first.access_token()
        await asyncio.gather(
            first.refresh_after_failure(stale), second.refresh_after_failure(stale)
        )
        assert len(fake.refreshes) == 2
        assert all(r["error"] == 0 for r in fake.refreshes)
        assert await first.access_token() == await second.access_token() == fake.access_token
    finally:
        for channel in (first, second):
            await channel.stop()
        for made in engines:
            await made.dispose()


async def test_a_replaced_refresh_token_is_traded_at_the_next_call(
    engine: AsyncEngine, fake: FakeZaloOA
) -> None:
    channel = oa_channel(fake, engine)
    await channel.start()
    try:
        assert await channel.access_token() == "at-1"
        fake.refresh_token = "rt-console"  # the pair was lost; the Zalo console issued a new one
        async with session_factory(engine)() as session:
            await replace_refresh_token(session, channel="zalo_oa", refresh_token="rt-console")
        assert await channel.access_token() == "at-2"
        async with session_factory(engine)() as session:
            stored = await get_tokens(session, channel="zalo_oa")
        assert stored is not None and stored.refresh_token == "rt-2"
    finally:
        await channel.stop()
