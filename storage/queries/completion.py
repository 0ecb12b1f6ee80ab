"""Who has reported what for a reporting period: missing tasks, completion rates, trend.

A unit has reported task T for a period when its latest update on T is dated in the
period, or T is already "hoàn thành" for it (progress_latest, migration 0002). Only the
tasks that apply to a unit count (task_scope: all units unless narrowed to levels or
units), and units exempt over the period (unit_exemption) are left out entirely.

Fast at 5,000 units × 60 tasks: the per-unit and per-task counts are two GROUP BYs over
progress_latest; only the few narrowed tasks come back as (unit, task) pairs. A closed
period in the past (the trend) also reads the log: an update dated in it, or a "done"
dated before its end that is still the latest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, union
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from knowledge.periods import Period
from storage.models import (
    DEFAULT_DOCUMENT,
    ProgressLatest,
    ProgressUpdate,
    TaskScope,
    Unit,
    UnitExemption,
)
from storage.queries.units import subtree_ids
from storage.status import Status

PL = ProgressLatest
PU = ProgressUpdate


@dataclass(frozen=True)
class Window:
    """The reports that count for a period: dated from `start` to before `end`.

    `from_log`: a period already closed when asked about, read from the log too (an update
    dated in it counts even when a newer one followed). `exempt_from`/`exempt_to`: a unit
    exempt on any day of this span is left out.
    """

    period: Period
    start: datetime
    end: datetime
    from_log: bool
    exempt_from: date
    exempt_to: date

    @classmethod
    def of(
        cls, period: Period, zone: tzinfo, *, now: datetime, exempt_on: date | None = None
    ) -> Window:
        """Return the window of `period` as seen at `now` (exempt on `exempt_on`, or any day)."""
        start = datetime.combine(period.start, time(), zone)
        end = datetime.combine(period.end + timedelta(days=1), time(), zone)
        return cls(
            period,
            start,
            end,
            from_log=end <= now,
            exempt_from=exempt_on or period.start,
            exempt_to=exempt_on or period.end,
        )

    def until(self, moment: datetime) -> Window:
        """Return the window with reports counted up to `moment` (late reports count)."""
        return Window(self.period, self.start, moment, False, self.exempt_from, self.exempt_to)


@dataclass(frozen=True)
class Scope:
    """Which tasks apply to whom: task code → (levels, unit ids); absent = every unit."""

    narrowed: dict[str, tuple[frozenset[str], frozenset[int]]] = field(default_factory=dict)

    def applies(self, code: str, unit_id: int, level: str) -> bool:
        """Tell whether task `code` applies to the unit."""
        rule = self.narrowed.get(code)
        return rule is None or level in rule[0] or unit_id in rule[1]

    def for_unit(self, codes: Sequence[str], unit_id: int, level: str) -> list[str]:
        """Return the codes that apply to the unit, in the given order."""
        return [code for code in codes if self.applies(code, unit_id, level)]


@dataclass(frozen=True, slots=True)
class UnitCompletion:
    """One unit's standing for the period."""

    unit_id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    applicable: int
    reported: int

    @property
    def missing(self) -> int:
        """How many applicable tasks it has not reported."""
        return self.applicable - self.reported

    @property
    def complete(self) -> bool:
        """True when nothing is missing."""
        return self.missing <= 0

    @property
    def rate(self) -> float:
        """Share of its applicable tasks reported (1.0 when none apply)."""
        return self.reported / self.applicable if self.applicable else 1.0


@dataclass(frozen=True, slots=True)
class TaskCompletion:
    """One task across the units in scope: how many it applies to, how many reported."""

    task_code: str
    applicable: int
    reported: int

    @property
    def rate(self) -> float:
        """Share of the units it applies to that reported it (1.0 when none)."""
        return self.reported / self.applicable if self.applicable else 1.0


@dataclass(frozen=True)
class Completion:
    """The period's standing over a scope of units (exempt units left out)."""

    period: Period
    units: list[UnitCompletion]
    tasks: list[TaskCompletion]
    exempt: int

    @property
    def complete(self) -> int:
        """Units that reported every applicable task."""
        return sum(1 for unit in self.units if unit.complete)

    @property
    def incomplete(self) -> list[UnitCompletion]:
        """Units missing tasks, most missing first, then by code."""
        late = [unit for unit in self.units if not unit.complete]
        return sorted(late, key=lambda unit: (-unit.missing, unit.code))

    @property
    def rate(self) -> float:
        """Reported (unit, task) pairs over applicable pairs (1.0 when none)."""
        applicable = sum(unit.applicable for unit in self.units)
        return sum(u.reported for u in self.units) / applicable if applicable else 1.0


def _reported(document: str, window: Window) -> Any:
    """Return a subquery of (unit_id, task_code) reported for the window."""
    in_window = and_(col(PL.reported_at) >= window.start, col(PL.reported_at) < window.end)
    if not window.from_log:
        done = col(PL.status) == Status.DONE.value
        return (
            sa_select(col(PL.unit_id).label("unit_id"), col(PL.task_code).label("task_code"))
            .where(col(PL.document) == document, or_(in_window, done))
            .subquery("reported")
        )
    done_by_end = sa_select(col(PL.unit_id), col(PL.task_code)).where(
        col(PL.document) == document,
        col(PL.status) == Status.DONE.value,
        col(PL.reported_at) < window.end,
    )
    logged = sa_select(col(PU.unit_id), col(PU.task_code)).where(
        col(PU.document) == document,
        col(PU.reported_at) >= window.start,
        col(PU.reported_at) < window.end,
    )
    return union(done_by_end, logged).subquery("reported")


def _not_exempt(unit_id: Any, window: Window) -> ColumnElement[bool]:
    """WHERE term: the unit has no exemption overlapping the window's exemption span."""
    return ~exists().where(
        col(UnitExemption.unit_id) == unit_id,
        col(UnitExemption.starts_on) <= window.exempt_to,
        col(UnitExemption.ends_on) >= window.exempt_from,
    )


def _in_scope(unit_id: Any, root_id: int | None, with_root: bool) -> list[ColumnElement[bool]]:
    """WHERE terms: the unit is in the subtree of root_id (all units when None)."""
    if root_id is None:
        return []
    terms = [unit_id.in_(subtree_ids(root_id))]
    if not with_root:
        terms.append(unit_id != root_id)
    return terms


async def _rows(session: AsyncSession, query: Any) -> Sequence[Any]:
    """Run a query on the session's connection: plain rows, no ORM loading."""
    connection = await session.connection()
    return (await connection.execute(query)).all()


async def task_scope(session: AsyncSession, *, document: str = DEFAULT_DOCUMENT) -> Scope:
    """Return which tasks of the document are narrowed to some levels or units."""
    query = sa_select(col(TaskScope.task_code), col(TaskScope.level), col(TaskScope.unit_id))
    query = query.where(col(TaskScope.document) == document)
    rules: defaultdict[str, tuple[set[str], set[int]]] = defaultdict(lambda: (set(), set()))
    for code, level, unit_id in await _rows(session, query):
        levels, units = rules[code]
        if level is not None:
            levels.add(level)
        if unit_id is not None:
            units.add(unit_id)
    return Scope({code: (frozenset(lv), frozenset(us)) for code, (lv, us) in rules.items()})


async def completion(
    session: AsyncSession,
    *,
    window: Window,
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    with_root: bool = True,
) -> Completion:
    """Return each unit's and each task's standing for the window over a scope of units.

    Five statements whatever the number of units: units, per-unit counts, per-task counts
    (both only for tasks that apply to everyone), pairs of the narrowed tasks, the scope.
    """
    scope = await task_scope(session, document=document)
    wide = [code for code in task_codes if code not in scope.narrowed]
    narrow = [code for code in task_codes if code in scope.narrowed]
    unit_id = col(Unit.id)
    exempt = ~_not_exempt(unit_id, window)
    units_query = sa_select(
        unit_id, col(Unit.code), col(Unit.name), col(Unit.level), col(Unit.parent_id), exempt
    ).where(*_in_scope(unit_id, root_id, with_root))
    units = await _rows(session, units_query)
    reported = _reported(document, window)
    where = [*_in_scope(reported.c.unit_id, root_id, with_root)]
    where.append(_not_exempt(reported.c.unit_id, window))
    per_unit: dict[int, int] = {}
    per_task: Counter[str] = Counter()
    if wide:
        wide_where = [*where, reported.c.task_code.in_(wide)]
        query = sa_select(reported.c.unit_id, func.count()).where(*wide_where)
        per_unit = dict(await _rows(session, query.group_by(reported.c.unit_id)))
        query = sa_select(reported.c.task_code, func.count()).where(*wide_where)
        per_task.update(dict(await _rows(session, query.group_by(reported.c.task_code))))
    pairs: list[tuple[int, str]] = []
    if narrow:
        query = sa_select(reported.c.unit_id, reported.c.task_code)
        pairs = [
            (u, t)
            for u, t in await _rows(session, query.where(*where, reported.c.task_code.in_(narrow)))
        ]
    levels = {row[0]: row[3] for row in units}
    narrow_done: Counter[int] = Counter()
    for unit, code in pairs:
        if unit in levels and scope.applies(code, unit, levels[unit]):
            narrow_done[unit] += 1
            per_task[code] += 1
    kept = [row for row in units if not row[5]]
    narrow_applies: Counter[str] = Counter()
    out: list[UnitCompletion] = []
    for uid, code, name, level, parent_id, _ in kept:
        mine = [c for c in narrow if scope.applies(c, uid, level)]
        narrow_applies.update(mine)
        out.append(
            UnitCompletion(
                uid,
                code,
                name,
                level,
                parent_id,
                applicable=len(wide) + len(mine),
                reported=per_unit.get(uid, 0) + narrow_done[uid],
            )
        )
    tasks = [
        TaskCompletion(
            code,
            narrow_applies[code] if code in scope.narrowed else len(kept),
            per_task[code],
        )
        for code in task_codes
    ]
    return Completion(window.period, out, tasks, exempt=len(units) - len(kept))


async def missing_tasks(
    session: AsyncSession,
    *,
    unit_id: int,
    window: Window,
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
) -> list[str] | None:
    """Return the unit's applicable tasks not reported for the window, in the given order.

    None when the unit is exempt over the window (or unknown).
    """
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return None
    exempt = await session.scalar(sa_select(~_not_exempt(unit_id, window)))
    if exempt:
        return None
    scope = await task_scope(session, document=document)
    reported = _reported(document, window)
    query = sa_select(reported.c.task_code).where(reported.c.unit_id == unit_id)
    done = {code for (code,) in await _rows(session, query)}
    applicable = scope.for_unit(task_codes, unit_id, unit.level)
    return [code for code in applicable if code not in done]


async def units_missing_task(
    session: AsyncSession,
    *,
    task_code: str,
    window: Window,
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    with_root: bool = True,
) -> list[Unit]:
    """Return the units in scope (not exempt) the task applies to that have not reported it."""
    scope = await task_scope(session, document=document)
    reported = _reported(document, window)
    done = exists().where(reported.c.unit_id == col(Unit.id), reported.c.task_code == task_code)
    query = (
        sa_select(Unit)
        .where(
            ~done, _not_exempt(col(Unit.id), window), *_in_scope(col(Unit.id), root_id, with_root)
        )
        .order_by(col(Unit.code))
    )
    units = (await session.scalars(query)).all()
    return [u for u in units if scope.applies(task_code, u.id or 0, u.level)]


async def trend(
    session: AsyncSession,
    *,
    windows: Sequence[Window],
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    with_root: bool = True,
) -> list[Completion]:
    """Return the standing for each window (e.g. the last four quarters), in order."""
    return [
        await completion(
            session,
            window=window,
            task_codes=task_codes,
            document=document,
            root_id=root_id,
            with_root=with_root,
        )
        for window in windows
    ]


async def incomplete_units(
    session: AsyncSession,
    *,
    window: Window,
    task_codes: Sequence[str],
    unit_ids: Collection[int] | None = None,
    document: str = DEFAULT_DOCUMENT,
) -> dict[int, list[str]]:
    """Return unit id → missing task codes for every incomplete, non-exempt unit.

    Only `unit_ids` when given (e.g. units that have a leader to remind). Reads the
    reported pairs of those units once (at 5,000 units × 60 tasks: ~100,000 rows).
    """
    scope = await task_scope(session, document=document)
    unit_id = col(Unit.id)
    query = sa_select(unit_id, col(Unit.level)).where(_not_exempt(unit_id, window))
    reported = _reported(document, window)
    pairs_query = sa_select(reported.c.unit_id, reported.c.task_code)
    if unit_ids is not None:
        wanted = sorted(set(unit_ids))
        query = query.where(unit_id.in_(wanted))
        pairs_query = pairs_query.where(reported.c.unit_id.in_(wanted))
    done: defaultdict[int, set[str]] = defaultdict(set)
    for uid, code in await _rows(session, pairs_query):
        done[uid].add(code)
    out: dict[int, list[str]] = {}
    for uid, level in await _rows(session, query):
        have = done.get(uid, set())
        missing = [c for c in scope.for_unit(task_codes, uid, level) if c not in have]
        if missing:
            out[uid] = missing
    return out


async def incomplete_children(
    session: AsyncSession,
    *,
    window: Window,
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
) -> dict[int, list[UnitCompletion]]:
    """Return parent unit id → its incomplete (non-exempt) child units, most missing first."""
    state = await completion(session, window=window, task_codes=task_codes, document=document)
    out: dict[int, list[UnitCompletion]] = {}
    for unit in state.incomplete:
        if unit.parent_id is not None:
            out.setdefault(unit.parent_id, []).append(unit)
    return out
