"""The export's period view: units × tasks for the current period, completion per period.

A unit has reported task T for period P when its latest report on T up to P's end is
dated in P, or is "hoàn thành" (issue 14). One pass over the standing reports of the
units in scope computes that for every period asked, so a 5,000-unit workbook costs one
query. Periods arrive as `Span`s (aware [start, end) bounds): storage knows no calendar.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import groupby
from typing import Any, Protocol

from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.models import DEFAULT_DOCUMENT, ProgressUpdate, Unit
from storage.queries.completion import exempt_units, task_scope
from storage.queries.progress import STANDING, task_sort_key
from storage.queries.units import scope_ids
from storage.status import Status

PU = ProgressUpdate
DONE = Status.DONE.value


@dataclass(frozen=True)
class Span:
    """A reporting period as stored times: [start, end), aware, and its name for people."""

    label: str  # e.g. "quý IV/2026"
    start: datetime
    end: datetime

    @classmethod
    def of_days(cls, label: str, first: date, last: date, zone: tzinfo) -> Span:
        """Return the span from the start of `first` to the end of `last` in `zone`."""
        start = datetime.combine(first, time(), tzinfo=zone)
        return cls(label, start, datetime.combine(last + timedelta(days=1), time(), tzinfo=zone))

    @classmethod
    def of_periods(cls, periods: Iterable[PeriodLike], zone: tzinfo) -> list[Span]:
        """Return the spans of reporting periods (knowledge.periods.Period) in `zone`."""
        return [cls.of_days(p.label, p.start, p.end, zone) for p in periods]


class PeriodLike(Protocol):
    """What a Span needs of a reporting period: its name and first and last days."""

    @property
    def label(self) -> str: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...


@dataclass(frozen=True)
class TreeUnit:
    """A unit as the matrix lists it (tree order)."""

    id: int
    code: str
    name: str
    parent_code: str
    depth: int
    level: str = ""


@dataclass(frozen=True)
class Cell:
    """A unit's report that counts for a task in the current period."""

    status: str
    percent: int | None
    reported_at: datetime


@dataclass(frozen=True)
class PeriodSummary:
    """Completion in one period: units complete of those counted, and per task."""

    span: Span
    units_counted: int  # units with at least one applicable task
    units_complete: int  # of those, units that reported every applicable task
    tasks: list[tuple[str, int, int]]  # (code, units reported, units it applies to)


@dataclass(frozen=True)
class PeriodReport:
    """The matrix of the current period (the last span) and one summary per span."""

    units: list[TreeUnit]
    task_codes: list[str]
    applicable: dict[int, frozenset[str]]  # per unit, in the current period
    cells: dict[tuple[int, str], Cell]  # reported (unit, task) pairs of the current period
    summaries: list[PeriodSummary]  # in the order of the spans given


async def applicable_tasks(
    session: AsyncSession,
    *,
    units: Sequence[TreeUnit],
    task_codes: Sequence[str],
    span: Span,
    document: str = DEFAULT_DOCUMENT,
) -> dict[int, frozenset[str]]:
    """Return the tasks each unit must report in `span` (none: not counted, e.g. exempt).

    The same rules as the chat's completion: tasks narrowed to levels or units
    (`task_scope`), units exempt on any day of the span left out.
    """
    scope = await task_scope(session, document=document)
    last_day = (span.end - timedelta(microseconds=1)).date()
    exempt = await exempt_units(session, first=span.start.date(), last=last_day)
    return {
        unit.id: frozenset()
        if unit.id in exempt
        else frozenset(scope.for_unit(task_codes, unit.id, unit.level))
        for unit in units
    }


async def units_in_tree_order(session: AsyncSession, *, root_id: int | None) -> list[TreeUnit]:
    """Return the units in scope depth first, children by code, each after its parent."""
    parent = aliased(Unit)
    query = (
        sa_select(col(Unit.id), col(Unit.code), col(Unit.name), col(Unit.parent_id))
        .add_columns(col(parent.code), col(Unit.level))
        .outerjoin(parent, col(parent.id) == col(Unit.parent_id))
    )
    if root_id is not None:
        query = query.where(col(Unit.id).in_(scope_ids(root_id=root_id)))
    rows = (await (await session.connection()).execute(query.order_by(col(Unit.code)))).all()
    ids = {row[0] for row in rows}
    children: dict[int | None, list[Any]] = {}
    for row in rows:
        above = row[3] if row[3] in ids else None  # None: a root of the scope
        children.setdefault(above, []).append(row)
    ordered: list[TreeUnit] = []
    stack = [(row, 0) for row in reversed(children.get(None, []))]
    while stack:
        (uid, code, name, _, parent_code, level), depth = stack.pop()
        ordered.append(TreeUnit(uid, code, name, parent_code or "", depth, level))
        stack += [(row, depth + 1) for row in reversed(children.get(uid, []))]
    return ordered


async def period_report(
    session: AsyncSession,
    *,
    task_codes: Sequence[str],
    spans: Sequence[Span],
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
) -> PeriodReport:
    """Return the current period's matrix and each span's completion (spans oldest first)."""
    codes = sorted(task_codes, key=task_sort_key)
    units = await units_in_tree_order(session, root_id=root_id)
    applicable = [
        await applicable_tasks(session, units=units, task_codes=codes, span=span, document=document)
        for span in spans
    ]
    # Stored times come back in UTC: bounds in UTC too compare without offset arithmetic.
    bounds = [(span.start.astimezone(UTC), span.end.astimezone(UTC)) for span in spans]
    reported: list[set[tuple[int, str]]] = [set() for _ in spans]
    cells: dict[tuple[int, str], Cell] = {}
    for key, group in groupby(await _reports(session, document, codes, spans, root_id), _pair):
        rows = list(group)
        index, last = 0, None
        for number, (start, end) in enumerate(bounds):
            while index < len(rows) and rows[index][4] < end:
                last, index = rows[index], index + 1
            if last is not None and (last[4] >= start or last[2] == DONE):
                reported[number].add(key)
        if last is not None and key in reported[-1]:
            cells[key] = Cell(last[2], last[3], last[4])
    summaries = [
        _summary(span, codes, applies, done)
        for span, applies, done in zip(spans, applicable, reported, strict=True)
    ]
    return PeriodReport(units, codes, applicable[-1] if spans else {}, cells, summaries)


def _pair(row: Any) -> tuple[int, str]:
    """Return a report row's (unit id, task code)."""
    return (row[0], row[1])


async def _reports(
    session: AsyncSession,
    document: str,
    codes: Sequence[str],
    spans: Sequence[Span],
    root_id: int | None,
) -> list[Any]:
    """Return the standing reports up to the last span's end, by unit, task and time."""
    if not spans:
        return []
    query = (
        sa_select(col(PU.unit_id), col(PU.task_code), col(PU.status), col(PU.percent))
        .add_columns(col(PU.reported_at))
        .where(col(PU.document) == document, col(PU.task_code).in_(codes), STANDING)
        .where(col(PU.reported_at) < spans[-1].end)
        .order_by(col(PU.unit_id), col(PU.task_code), col(PU.reported_at), col(PU.id))
    )
    if root_id is not None:
        query = query.where(col(PU.unit_id).in_(scope_ids(root_id=root_id)))
    connection = await session.connection()  # Core rows: no ORM loading for 100,000 of them
    return [tuple(row) for row in await connection.execute(query)]


def _summary(
    span: Span,
    codes: Sequence[str],
    applies: dict[int, frozenset[str]],
    reported: set[tuple[int, str]],
) -> PeriodSummary:
    """Count complete units and, per task, units reported of those it applies to."""
    done: Counter[str] = Counter()
    done_by_unit: Counter[int] = Counter()
    for unit, code in reported:
        if code in applies.get(unit, ()):
            done[code] += 1
            done_by_unit[unit] += 1
    totals: Counter[str] = Counter()
    for tasks, units in Counter(applies.values()).items():  # units sharing one set of tasks
        for code in tasks:
            totals[code] += units
    counted = sum(1 for tasks in applies.values() if tasks)
    complete = sum(
        1 for unit, tasks in applies.items() if tasks and done_by_unit[unit] == len(tasks)
    )
    return PeriodSummary(span, counted, complete, [(c, done[c], totals[c]) for c in codes])
