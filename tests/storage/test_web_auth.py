"""Dashboard sign-in: a login link is stored hashed, works once and expires; sessions idle out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.engine import session_factory
from storage.models import AuditLog, WebLoginLink, WebSession
from storage.queries.members import forget_member
from storage.queries.web_auth import (
    create_login_link,
    end_session,
    resume_session,
    start_session,
    take_login_link,
)
from tests.storage.helpers import make_member

NOW = datetime(2025, 5, 13, 2, 0, tzinfo=UTC)
IDLE = timedelta(hours=2)


async def test_a_link_signs_in_once_and_only_its_hash_is_stored(session: AsyncSession) -> None:
    member = await make_member(session)
    assert member.id is not None
    token = await create_login_link(session, member_id=member.id, actor="cli", now=NOW)
    for row in (await session.execute(select(WebLoginLink.__table__))).all():
        assert token not in [str(value) for value in row]
    assert await take_login_link(session, token=token, now=NOW) == member.id
    assert await take_login_link(session, token=token, now=NOW) is None
    assert await take_login_link(session, token=token + "x", now=NOW) is None
    actions = list(await session.scalars(select(AuditLog.action)))
    assert actions.count("web.link") == 1


async def test_a_link_expires(session: AsyncSession) -> None:
    member = await make_member(session)
    assert member.id is not None
    ttl = timedelta(minutes=10)
    token = await create_login_link(session, member_id=member.id, actor="cli", now=NOW, ttl=ttl)
    assert await take_login_link(session, token=token, now=NOW + ttl) is None


async def test_two_browsers_racing_for_one_link_one_wins(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        member = await make_member(session)
        assert member.id is not None
        token = await create_login_link(session, member_id=member.id, actor="cli", now=NOW)

    async def take() -> int | None:
        async with sessions() as session:
            return await take_login_link(session, token=token, now=NOW)

    results = await asyncio.gather(*(take() for _ in range(5)))
    assert sorted(results, key=lambda r: r is None) == [member.id, None, None, None, None]


async def test_a_session_lives_while_used_and_ends_when_idle_or_logged_out(
    session: AsyncSession,
) -> None:
    member = await make_member(session)
    assert member.id is not None
    token = await start_session(
        session, member_id=member.id, actor="telegram:1", now=NOW, idle=IDLE
    )
    stored = (await session.scalars(select(WebSession))).one()
    assert stored.token_hash != token and token not in stored.csrf
    later = NOW + IDLE - timedelta(minutes=1)
    live = await resume_session(session, token=token, now=later, idle=IDLE)
    assert live is not None and live.member_id == member.id and live.csrf == stored.csrf
    # used a minute before it would have ended: it now lives another IDLE from then
    assert await resume_session(session, token=token, now=later + IDLE / 2, idle=IDLE)
    assert await resume_session(session, token=token, now=later + 2 * IDLE, idle=IDLE) is None
    again = await start_session(session, member_id=member.id, actor="t", now=NOW, idle=IDLE)
    assert await end_session(session, token=again, actor="telegram:1", now=NOW)
    assert await resume_session(session, token=again, now=NOW, idle=IDLE) is None
    assert not await end_session(session, token=again, actor="telegram:1", now=NOW)


async def test_forgetting_a_member_ends_their_links_and_sessions(session: AsyncSession) -> None:
    member = await make_member(session, "100")
    assert member.id is not None
    link = await create_login_link(session, member_id=member.id, actor="telegram:100", now=NOW)
    cookie = await start_session(session, member_id=member.id, actor="t", now=NOW, idle=IDLE)
    await forget_member(
        session, channel=member.channel, external_id="100", actor="cli", label="đã xoá"
    )
    assert await take_login_link(session, token=link, now=NOW) is None
    assert await resume_session(session, token=cookie, now=NOW, idle=IDLE) is None
    assert not (await session.scalars(select(WebLoginLink))).all()
