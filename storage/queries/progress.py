"""Progress reports: an append-only log plus `progress_latest`, the newest per unit and task.

add_update inserts into the log; a database trigger (migration 0002) advances the
latest row in the same statement, only forward in (reported_at, id) order so a
back-dated report never hides a newer one, and writes the report's audit row.
A repeat of the same task by the same unit within REPLACE_WINDOW replaces the report
before it: that row is marked `replaced_by` (migration 0009) and its content audited
(`progress.replace`); readers of the log skip marked rows (`STANDING`).
rebuild_latest recomputes the latest rows from the log, for repairs.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Subquery, bindparam, delete, func, insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.errors import InvalidProgressError
from storage.models import (
    DEFAULT_DOCUMENT,
    NOTE_MAX_CHARS,
    Member,
    ProgressLatest,
    ProgressUpdate,
    Unit,
)
from storage.queries.audit import insert_audit
from storage.queries.units import scope_ids
from storage.status import Status
from storage.types import UTCDateTime, utcnow

PU = ProgressUpdate
PL = ProgressLatest
REPLACE_WINDOW = timedelta(minutes=10)  # a repeat within it corrects, not adds
STANDING = col(PU.replaced_by).is_(None)  # WHERE term: reports not replaced by a repeat
# Built once, on the table: SQLAlchemy reuses its compiled form for every report.
_APPEND = insert(PU.__table__).returning(PU.__table__.c.id)  # type: ignore[attr-defined]


def task_sort_key(code: str) -> tuple[Any, ...]:
    """Order task codes as numbers: 1 < 2 < 2.1 < 2.2.3 < 10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"\.", code))


def _validate(status: str, percent: int | None, note: str) -> None:
    """Refuse an unknown status, a percent outside 0..100 or an over-long note."""
    try:
        Status(status)
    except ValueError:
        raise InvalidProgressError(f"trạng thái không hợp lệ: {status!r}") from None
    if percent is not None and not 0 <= percent <= 100:
        raise InvalidProgressError(f"tỉ lệ phải từ 0 đến 100, nhận {percent}")
    if len(note) > NOTE_MAX_CHARS:
        raise InvalidProgressError(f"ghi chú dài quá {NOTE_MAX_CHARS} ký tự")


async def add_update(
    session: AsyncSession,
    *,
    unit_id: int,
    task_code: str,
    status: str,
    percent: int | None = None,
    note: str = "",
    reporter_member_id: int | None = None,
    document: str = DEFAULT_DOCUMENT,
    reported_at: datetime | None = None,
) -> ProgressUpdate:
    """Append a unit's report on a task (audited by the database); commit.

    The unit's report on the task from the last `REPLACE_WINDOW` is marked replaced.

    What the session did before is committed with it: the guided flow takes its
    conversation state first (`take_state`), so a confirmed report is saved exactly once.
    """
    note = note.strip()
    _validate(status, percent, note)
    values: dict[str, Any] = {
        "unit_id": unit_id,
        "document": document,
        "task_code": task_code.strip(),
        "status": Status(status).value,
        "percent": percent,
        "note": note,
        "reporter_member_id": reporter_member_id,
        "reported_at": reported_at or utcnow(),
    }
    # One Core INSERT, not the ORM unit of work: the database's trigger (migration 0002)
    # advances progress_latest and writes the audit row in the same statement.
    update = ProgressUpdate(id=await session.scalar(_APPEND, values), **values)
    await _replace_previous(session, update)
    await session.commit()
    return update


# The unit's standing report on the task from the last REPLACE_WINDOW, marked replaced by
# the new one in one UPDATE … RETURNING (of two repeats racing, only one marks it). Built
# once with bind parameters: SQLAlchemy then reuses its cache key and compiled form.
_LOG = PU.__table__  # type: ignore[attr-defined]
# On the table's columns, not the model's: an ORM column routes the UPDATE through the ORM's
# bulk-update machinery (~8% of a report's CPU under the profiler) for nothing it needs.
_PREVIOUS = (
    sa_select(_LOG.c.id)
    .where(_LOG.c.unit_id == bindparam("b_unit_id"), _LOG.c.document == bindparam("b_document"))
    .where(_LOG.c.task_code == bindparam("b_task_code"), _LOG.c.id != bindparam("b_new_id"))
    .where(_LOG.c.replaced_by.is_(None))
    .where(_LOG.c.reported_at >= bindparam("b_since", type_=UTCDateTime()))
    .where(_LOG.c.reported_at <= bindparam("b_until", type_=UTCDateTime()))
    .order_by(_LOG.c.reported_at.desc(), _LOG.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_MARK_REPLACED = (
    sa_update(_LOG)
    .where(_LOG.c.id == _PREVIOUS, _LOG.c.replaced_by.is_(None))
    .values(replaced_by=bindparam("b_new_id"))
    .returning(
        *(
            _LOG.c[name]
            for name in ("id", "status", "percent", "note", "reporter_member_id", "reported_at")
        )
    )
)


async def _replace_previous(session: AsyncSession, new: ProgressUpdate) -> None:
    """Mark the unit's standing report on the task from the last minutes as replaced; audit it."""
    marked = (
        await session.execute(
            _MARK_REPLACED,
            {
                "b_unit_id": new.unit_id,
                "b_document": new.document,
                "b_task_code": new.task_code,
                "b_new_id": new.id,
                "b_since": new.reported_at - REPLACE_WINDOW,
                "b_until": new.reported_at,
            },
        )
    ).first()
    if marked is None:
        return
    member = await session.get(Member, new.reporter_member_id) if new.reporter_member_id else None
    detail = {
        "unit_id": new.unit_id,
        "id": marked.id,
        "replaced_by": new.id,
        "status": marked.status,
        "percent": marked.percent,
        "note": marked.note,
        "reporter_member_id": marked.reporter_member_id,
        "reported_at": marked.reported_at.isoformat(),
    }
    actor = f"{member.channel}:{member.external_id}" if member else "system"
    await insert_audit(
        session,
        actor=actor,
        action="progress.replace",
        target=new.task_code,
        detail=detail,
        at=new.reported_at,
    )


def ranked(*filters: ColumnElement[bool]) -> Subquery:
    """Return reports numbered by `rank` (1 = newest per unit, document and task; ties → id)."""
    rank = (
        func.row_number()
        .over(
            partition_by=(col(PU.unit_id), col(PU.document), col(PU.task_code)),
            order_by=(col(PU.reported_at).desc(), col(PU.id).desc()),
        )
        .label("rank")
    )
    columns = (PU.unit_id, PU.document, PU.task_code, PU.id, PU.status, PU.reported_at)
    query = sa_select(*(col(c) for c in columns), rank).where(STANDING, *filters)
    return query.subquery("ranked")


async def rebuild_latest(session: AsyncSession) -> int:
    """Recompute progress_latest from the log (after bulk loads or repairs); commit."""
    newest = ranked()
    source = sa_select(
        newest.c.unit_id,
        newest.c.document,
        newest.c.task_code,
        newest.c.id,
        newest.c.status,
        newest.c.reported_at,
    ).where(newest.c.rank == 1)
    names = ["unit_id", "document", "task_code", "update_id", "status", "reported_at"]
    await session.execute(delete(PL))
    await session.execute(insert(PL).from_select(names, source))
    await session.commit()
    return int(await session.scalar(sa_select(func.count()).select_from(PL)) or 0)


def scope_filter(root_id: int | None, level: str | None) -> list[ColumnElement[bool]]:
    """Return WHERE terms limiting progress_latest to units in scope (none for all units)."""
    if root_id is None and level is None:
        return []
    return [col(PL.unit_id).in_(scope_ids(root_id=root_id, level=level))]


async def latest_for_unit(
    session: AsyncSession, *, unit_id: int, document: str = DEFAULT_DOCUMENT
) -> list[ProgressUpdate]:
    """Return the current report of each task a unit reported on, by task code."""
    query = (
        sa_select(PU)
        .join(PL, col(PL.update_id) == col(PU.id))
        .where(col(PL.unit_id) == unit_id, col(PL.document) == document)
    )
    rows = list((await session.scalars(query)).all())
    return sorted(rows, key=lambda row: task_sort_key(row.task_code))


async def latest_for_task(
    session: AsyncSession,
    *,
    task_code: str,
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    level: str | None = None,
    unit_ids: Collection[int] | None = None,
) -> list[tuple[Unit, ProgressUpdate]]:
    """Return (unit, current report) on one task for every reporting unit in scope, by code
    (only `unit_ids` when given: a page of them)."""
    query = (
        sa_select(Unit, PU)
        .join(PL, col(PL.update_id) == col(PU.id))
        .join(Unit, col(Unit.id) == col(PL.unit_id))
        .where(col(PL.document) == document, col(PL.task_code) == task_code)
        .where(*scope_filter(root_id, level))
        .order_by(col(Unit.code))
    )
    if unit_ids is not None:
        query = query.where(col(PL.unit_id).in_(sorted(unit_ids)))
    return [(unit, update) for unit, update in (await session.execute(query)).all()]


# A unit's newest standing report on a task (what a new report follows), built once.
_LAST_STANDING = (
    sa_select(_LOG)
    .where(_LOG.c.unit_id == bindparam("unit_id"), _LOG.c.document == bindparam("document"))
    .where(_LOG.c.task_code == bindparam("task_code"), _LOG.c.replaced_by.is_(None))
    .order_by(_LOG.c.reported_at.desc(), _LOG.c.id.desc())
    .limit(1)
)


async def last_report(
    session: AsyncSession, *, unit_id: int, task_code: str, document: str = DEFAULT_DOCUMENT
) -> ProgressUpdate | None:
    """Return the unit's newest standing report on the task (not attached to the session)."""
    values = {"unit_id": unit_id, "document": document, "task_code": task_code}
    row = (await session.execute(_LAST_STANDING, values)).first()
    return ProgressUpdate(**row._mapping) if row is not None else None


async def task_history(
    session: AsyncSession,
    *,
    unit_id: int,
    task_code: str,
    document: str = DEFAULT_DOCUMENT,
    limit: int = 50,
) -> list[tuple[ProgressUpdate, str]]:
    """Return a unit's standing reports on one task with the reporter's name, newest first."""
    query = (
        sa_select(PU, col(Member.display_name))
        .outerjoin(Member, col(Member.id) == col(PU.reporter_member_id))
        .where(col(PU.unit_id) == unit_id, col(PU.document) == document, STANDING)
        .where(col(PU.task_code) == task_code)
        .order_by(col(PU.reported_at).desc(), col(PU.id).desc())
        .limit(limit)
    )
    return [(update, name or "") for update, name in (await session.execute(query)).all()]
