"""Dashboard sign-in: one-time login links and browser sessions, both stored as sha256.

A link is taken once (an UPDATE … WHERE used_at IS NULL … RETURNING, so of two browsers
racing one wins); a session lives while it is used and ends after `idle` without use.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import WebLoginLink, WebSession
from storage.queries.audit import add_audit

LINK_TTL = timedelta(minutes=10)
TOUCH_EVERY = timedelta(minutes=1)  # how stale a session's expiry may get before it is written


def hash_token(token: str) -> str:
    """Return the sha256 hex digest of a token (the only form stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser: its member, the forms' CSRF token and when it ends."""

    member_id: int
    csrf: str
    expires_at: datetime


async def create_login_link(
    session: AsyncSession, *, member_id: int, actor: str, now: datetime, ttl: timedelta = LINK_TTL
) -> str:
    """Store a new one-time link for the member; return its token (shown once); commit."""
    token = secrets.token_urlsafe(32)
    await session.execute(delete(WebLoginLink).where(col(WebLoginLink.expires_at) <= now))
    session.add(
        WebLoginLink(
            token_hash=hash_token(token),
            member_id=member_id,
            expires_at=now + ttl,
            created_by=actor[:128],
            created_at=now,
        )
    )
    add_audit(
        session,
        actor=actor,
        action="web.link",
        target=f"member:{member_id}",
        detail={"ttl_minutes": int(ttl.total_seconds() // 60)},
        at=now,
    )
    await session.commit()
    return token


async def take_login_link(session: AsyncSession, *, token: str, now: datetime) -> int | None:
    """Use up a valid link; return its member's id (None: unknown, used or expired); commit."""
    statement = (
        update(WebLoginLink)
        .where(
            col(WebLoginLink.token_hash) == hash_token(token),
            col(WebLoginLink.used_at).is_(None),
            col(WebLoginLink.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(WebLoginLink.member_id))
    )
    member_id = (await session.execute(statement)).scalar_one_or_none()
    await session.commit()
    return member_id


async def start_session(
    session: AsyncSession, *, member_id: int, actor: str, now: datetime, idle: timedelta
) -> str:
    """Open a browser session for the member; return the cookie's token; commit."""
    token = secrets.token_urlsafe(32)
    await session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now))
    session.add(
        WebSession(
            token_hash=hash_token(token),
            member_id=member_id,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + idle,
        )
    )
    add_audit(session, actor=actor, action="web.login", target=f"member:{member_id}", at=now)
    await session.commit()
    return token


async def resume_session(
    session: AsyncSession, *, token: str, now: datetime, idle: timedelta
) -> BrowserSession | None:
    """Return the live session of a cookie, its idle expiry pushed back (None: ended)."""
    query = select(WebSession).where(
        col(WebSession.token_hash) == hash_token(token), col(WebSession.expires_at) > now
    )
    row = await session.scalar(query)
    if row is None or row.id is None:
        return None
    expires_at = now + idle
    if expires_at - row.expires_at >= TOUCH_EVERY:
        await session.execute(
            update(WebSession).where(col(WebSession.id) == row.id).values(expires_at=expires_at)
        )
        await session.commit()
    return BrowserSession(row.member_id, row.csrf, expires_at)


async def end_session(session: AsyncSession, *, token: str, actor: str, now: datetime) -> bool:
    """Delete a cookie's session (logout); return whether there was one; commit."""
    result = await session.execute(
        delete(WebSession)
        .where(col(WebSession.token_hash) == hash_token(token))
        .returning(col(WebSession.member_id))
    )
    member_id = result.scalar_one_or_none()
    if member_id is not None:
        add_audit(session, actor=actor, action="web.logout", target=f"member:{member_id}", at=now)
    await session.commit()
    return member_id is not None
