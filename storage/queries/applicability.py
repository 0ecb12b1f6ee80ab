"""Who must report: narrowing a task to levels or units, and exempting units for a while.

Write functions commit, with their audit row in the same transaction. Reading the scope
for counting is `storage.queries.completion.task_scope` (the defaults of
storage/data/task-scope.tsv, each replaced by a task's stored rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import DEFAULT_DOCUMENT, Level, TaskScope, Unit, UnitExemption
from storage.queries.audit import add_audit
from storage.queries.completion import EVERY_LEVEL, default_scope, task_scope
from storage.queries.progress import task_sort_key


async def set_task_scope(
    session: AsyncSession,
    *,
    task_code: str,
    actor: str,
    levels: Sequence[str] = (),
    unit_ids: Sequence[int] = (),
    document: str = DEFAULT_DOCUMENT,
) -> None:
    """Narrow a task to these levels and/or units (replacing its scope); commit."""
    if not levels and not unit_ids:
        raise ValueError("a task scope needs at least one level or unit")
    checked = sorted({Level(level).value for level in levels})
    await session.execute(
        delete(TaskScope).where(
            col(TaskScope.document) == document, col(TaskScope.task_code) == task_code
        )
    )
    for level in checked:
        session.add(
            TaskScope(document=document, task_code=task_code, level=level, created_by=actor)
        )
    for unit_id in sorted(set(unit_ids)):
        session.add(
            TaskScope(document=document, task_code=task_code, unit_id=unit_id, created_by=actor)
        )
    detail = {"levels": checked, "unit_ids": sorted(set(unit_ids)), "document": document}
    add_audit(session, actor=actor, action="task.scope", target=task_code, detail=detail)
    await session.commit()


async def clear_task_scope(
    session: AsyncSession, *, task_code: str, actor: str, document: str = DEFAULT_DOCUMENT
) -> bool:
    """Make a task apply to every unit again (a default scope is overridden by a "*" row);
    commit. False when it already did."""
    before = (await task_scope(session, document=document)).narrowed.get(task_code)
    await session.execute(
        delete(TaskScope).where(
            col(TaskScope.document) == document, col(TaskScope.task_code) == task_code
        )
    )
    if task_code in default_scope(document):
        session.add(
            TaskScope(document=document, task_code=task_code, level=EVERY_LEVEL, created_by=actor)
        )
    if before is None:
        await session.rollback()
        return False
    add_audit(session, actor=actor, action="task.scope_clear", target=task_code)
    await session.commit()
    return True


async def get_task_scope(
    session: AsyncSession, *, task_code: str, document: str = DEFAULT_DOCUMENT
) -> tuple[list[str], list[str]]:
    """Return a task's levels and unit codes (both empty: it applies to every unit)."""
    return (await list_task_scopes(session, document=document)).get(task_code, ([], []))


async def list_task_scopes(
    session: AsyncSession, *, document: str = DEFAULT_DOCUMENT
) -> dict[str, tuple[list[str], list[str]]]:
    """Return every narrowed task (defaults included): code → (levels, unit codes)."""
    scope = await task_scope(session, document=document)
    ids = sorted({unit_id for _, units in scope.narrowed.values() for unit_id in units})
    codes: dict[int, str] = {}
    if ids:
        query = select(Unit.id, Unit.code).where(col(Unit.id).in_(ids))
        codes = dict((await session.execute(query)).all())
    return {
        task: (sorted(levels), sorted(codes.get(u, str(u)) for u in units))
        for task, (levels, units) in sorted(
            scope.narrowed.items(), key=lambda i: task_sort_key(i[0])
        )
    }


async def add_exemption(
    session: AsyncSession, *, unit_id: int, starts_on: date, ends_on: date, reason: str, actor: str
) -> UnitExemption:
    """Exempt a unit from reporting and reminders from `starts_on` to `ends_on`; commit."""
    if ends_on < starts_on:
        raise ValueError("an exemption ends on or after its first day")
    row = UnitExemption(
        unit_id=unit_id, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor
    )
    session.add(row)
    await session.flush()
    detail = {"from": starts_on.isoformat(), "to": ends_on.isoformat(), "reason": reason}
    add_audit(session, actor=actor, action="unit.exempt", target=str(row.id), detail=detail)
    await session.commit()
    return row


async def list_exemptions(
    session: AsyncSession, *, unit_id: int | None = None, current_on: date | None = None
) -> list[tuple[UnitExemption, str]]:
    """Return exemptions with their unit code (one unit's; only those in force on a day)."""
    query = select(UnitExemption, Unit.code).join(Unit, col(Unit.id) == col(UnitExemption.unit_id))
    if unit_id is not None:
        query = query.where(col(UnitExemption.unit_id) == unit_id)
    if current_on is not None:
        query = query.where(
            col(UnitExemption.starts_on) <= current_on, col(UnitExemption.ends_on) >= current_on
        )
    query = query.order_by(col(Unit.code), col(UnitExemption.starts_on), col(UnitExemption.id))
    return [(row, code) for row, code in (await session.execute(query)).all()]


async def remove_exemption(session: AsyncSession, *, exemption_id: int, actor: str) -> bool:
    """Delete an exemption; commit. False when there is none with that id."""
    row = await session.get(UnitExemption, exemption_id)
    if row is None:
        return False
    await session.delete(row)
    add_audit(session, actor=actor, action="unit.exempt_remove", target=str(exemption_id))
    await session.commit()
    return True
