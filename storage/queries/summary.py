"""Summaries over many units: overview per task, who has not reported, export rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from storage.models import DEFAULT_DOCUMENT, Member, ProgressLatest, ProgressUpdate, Unit
from storage.queries.progress import scope_filter, task_sort_key
from storage.queries.units import scope_ids
from storage.status import Status

PU = ProgressUpdate
PL = ProgressLatest


@dataclass(frozen=True)
class TaskOverview:
    """How many units in scope are at each status of one task (silent = never reported)."""

    task_code: str
    total: int
    done: int
    in_progress: int
    not_started: int
    stuck: int

    @property
    def reported(self) -> int:
        """Units that sent at least one report on the task."""
        return self.done + self.in_progress + self.not_started + self.stuck

    @property
    def silent(self) -> int:
        """Units that never reported on the task."""
        return self.total - self.reported

    @classmethod
    def from_counts(cls, task_code: str, total: int, counts: Counter[str]) -> TaskOverview:
        """Build from a Counter of status codes."""
        return cls(
            task_code=task_code,
            total=total,
            done=counts[Status.DONE.value],
            in_progress=counts[Status.IN_PROGRESS.value],
            not_started=counts[Status.NOT_STARTED.value],
            stuck=counts[Status.STUCK.value],
        )


@dataclass(frozen=True)
class ExportRow:
    """The newest report of one unit on one task, with the names an export shows."""

    unit_code: str
    unit_name: str
    parent_code: str
    task_code: str
    status: str
    percent: int | None
    note: str
    reporter: str
    reported_at: datetime


async def count_units(
    session: AsyncSession, *, root_id: int | None = None, level: str | None = None
) -> int:
    """Return how many units are in scope (all, or a subtree, maybe one level)."""
    scope = scope_ids(root_id=root_id, level=level).subquery()
    return int(await session.scalar(sa_select(func.count()).select_from(scope)) or 0)


async def overview(
    session: AsyncSession,
    *,
    document: str = DEFAULT_DOCUMENT,
    task_codes: Sequence[str] | None = None,
    root_id: int | None = None,
    level: str | None = None,
) -> list[TaskOverview]:
    """Count units per current status for each task (the given tasks, or all reported ones)."""
    query = (
        sa_select(col(PL.task_code), col(PL.status), func.count())
        .where(col(PL.document) == document, *scope_filter(root_id, level))
        .group_by(col(PL.task_code), col(PL.status))
    )
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for task_code, status, number in (await session.execute(query)).all():
        counts[task_code][status] = number
    total = await count_units(session, root_id=root_id, level=level)
    codes = list(task_codes) if task_codes is not None else sorted(counts, key=task_sort_key)
    return [TaskOverview.from_counts(code, total, counts[code]) for code in codes]


async def units_not_reported(
    session: AsyncSession,
    *,
    document: str = DEFAULT_DOCUMENT,
    task_code: str | None = None,
    root_id: int | None = None,
    level: str | None = None,
) -> list[Unit]:
    """Return units in scope with no report on `task_code` (or on anything), by code."""
    report = exists().where(col(PL.unit_id) == col(Unit.id), col(PL.document) == document)
    if task_code is not None:
        report = report.where(col(PL.task_code) == task_code)
    query = select(Unit).where(~report).order_by(col(Unit.code))
    if root_id is not None or level is not None:
        query = query.where(col(Unit.id).in_(scope_ids(root_id=root_id, level=level)))
    return list((await session.scalars(query)).all())


def _export_query(document: str, root_id: int | None, level: str | None) -> Select[Any]:
    """Select current reports joined with unit, parent unit and reporter names."""
    parent = aliased(Unit)
    columns: list[Any] = [Unit.code, Unit.name, parent.code, PU.task_code, PU.status]
    columns += [PU.percent, PU.note, Member.display_name, PU.reported_at]
    return (
        sa_select(*columns)
        .select_from(PL)
        .join(PU, col(PU.id) == col(PL.update_id))
        .join(Unit, col(Unit.id) == col(PL.unit_id))
        .outerjoin(parent, col(parent.id) == col(Unit.parent_id))
        .outerjoin(Member, col(Member.id) == col(PU.reporter_member_id))
        .where(col(PL.document) == document, *scope_filter(root_id, level))
    )


async def export_rows(
    session: AsyncSession,
    *,
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    level: str | None = None,
    since: datetime | None = None,
) -> list[ExportRow]:
    """Return the current report per unit and task in scope (only those since `since`)."""
    query = _export_query(document, root_id, level)
    if since is not None:
        query = query.where(col(PL.reported_at) >= since)
    rows = [
        ExportRow(code, name, parent or "", task, status, percent, note, reporter or "", at)
        for code, name, parent, task, status, percent, note, reporter, at in (
            await session.execute(query)
        ).all()
    ]
    return sorted(rows, key=lambda row: (row.unit_code, task_sort_key(row.task_code)))
