"""The reminder leader's term: one counter per leadership, bumped by each new leader.

A claim of outbox rows records the term; a sender whose term is no longer the current
one (it hung while a follower took over) sends nothing (see scheduler/leader.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import LeaderTerm
from storage.queries.upsert import dialect_insert
from storage.types import as_utc

REMINDERS = "reminders"  # the reminder service's leadership


async def begin_term(session: AsyncSession, *, now: datetime, name: str = REMINDERS) -> int:
    """Start a new term of `name` atomically (the first is 1); return it; commit."""
    table: Table = LeaderTerm.__table__  # type: ignore[attr-defined]
    insert = dialect_insert(session, table).values(name=name, term=1, started_at=as_utc(now))
    statement = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={"term": table.c.term + 1, "started_at": insert.excluded.started_at},
    ).returning(table.c.term)
    term = int((await session.execute(statement)).scalar_one())
    await session.commit()
    return term


async def current_term(session: AsyncSession, *, name: str = REMINDERS) -> int:
    """Return the current term of `name` (0 before anyone led)."""
    query = sa_select(col(LeaderTerm.term)).where(col(LeaderTerm.name) == name)
    return int(await session.scalar(query) or 0)
