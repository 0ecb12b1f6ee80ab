"""What the web dashboard reads besides the chat's queries: scope checks, unit lists, leaders,
a unit's recent reports."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import DEFAULT_DOCUMENT, Member, ProgressLatest, ProgressUpdate, Role, Unit
from storage.queries.units import scope_ids, subtree_ids
from storage.status import Status

PL = ProgressLatest
PU = ProgressUpdate


async def in_subtree(session: AsyncSession, *, root_id: int, unit_id: int) -> bool:
    """Tell whether `unit_id` is `root_id` or one of its descendants."""
    tree = subtree_ids(root_id).subquery()
    found = await session.scalar(sa_select(tree.c.id).where(tree.c.id == unit_id).limit(1))
    return found is not None


async def units_in_scope(
    session: AsyncSession,
    *,
    root_id: int | None,
    document: str,
    search: str = "",
    limit: int = 200,
) -> list[tuple[Unit, int]]:
    """Return units in scope (all, or a subtree) matching `search` in code or name, by code,
    each with how many tasks it reports done (counted for the units returned only)."""
    query = select(Unit).order_by(col(Unit.code)).limit(limit)
    if root_id is not None:
        query = query.where(col(Unit.id).in_(scope_ids(root_id=root_id)))
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(func.lower(col(Unit.code)).like(pattern), func.lower(col(Unit.name)).like(pattern))
        )
    units = list((await session.scalars(query)).all())
    done = (
        sa_select(col(PL.unit_id), func.count())
        .where(
            col(PL.unit_id).in_([unit.id for unit in units]),
            col(PL.status) == Status.DONE.value,
            col(PL.document) == document,
        )
        .group_by(col(PL.unit_id))
    )
    counts = {unit_id: int(count) for unit_id, count in (await session.execute(done)).all()}
    return [(unit, counts.get(unit.id or 0, 0)) for unit in units]


async def leaders_of(session: AsyncSession, *, unit_id: int) -> list[Member]:
    """Return the members leading a unit (leaders and admins bound to it), by name."""
    query = (
        select(Member)
        .where(
            Member.unit_id == unit_id,
            col(Member.role).in_([Role.LEADER.value, Role.ADMIN.value]),
        )
        .order_by(col(Member.display_name), col(Member.id))
    )
    return list((await session.scalars(query)).all())


async def recent_reports(
    session: AsyncSession, *, unit_id: int, document: str = DEFAULT_DOCUMENT, limit: int = 50
) -> list[tuple[ProgressUpdate, str]]:
    """Return a unit's newest reports on every task with the reporter's name, newest first."""
    query = (
        sa_select(PU, col(Member.display_name))
        .outerjoin(Member, col(Member.id) == col(PU.reporter_member_id))
        .where(col(PU.unit_id) == unit_id, col(PU.document) == document)
        .order_by(col(PU.reported_at).desc(), col(PU.id).desc())
        .limit(limit)
    )
    return [(update, name or "") for update, name in (await session.execute(query)).all()]
