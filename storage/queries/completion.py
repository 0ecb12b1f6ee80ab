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
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, union, union_all
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
NOT_DONE = [status.value for status in Status if status is not Status.DONE]
EVERY_LEVEL = "*"  # a stored level meaning "every unit" (a default scope cleared)
FEW_UNITS = 1000  # up to this many units are filtered in SQL; more are filtered in Python
#: A WHERE term on a unit id column (applied to progress_latest's or progress_update's).
UnitTerm = Callable[[Any], ColumnElement[bool]]


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


@dataclass(slots=True)
class UnitCompletion:
    """One unit's standing for the period (not frozen: 5,000 are built per question, and a
    frozen dataclass sets each field through object.__setattr__, about five times slower)."""

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
        applicable = sum(task.applicable for task in self.tasks)
        return sum(t.reported for t in self.tasks) / applicable if applicable else 1.0


def _reported(
    document: str,
    window: Window,
    codes: Sequence[str] | None,
    units: Sequence[UnitTerm] = (),
    *,
    flagged: bool = False,
) -> Any:
    """Return a SELECT of the (unit_id, task_code) pairs reported for the window.

    The current period: range scans of `ix_progress_latest_period` (document, status,
    reported_at, …) — the not-done statuses dated in the window, and every done one —
    each pair once. A closed period: done by its end, or any update dated in it (the
    log, by `ix_progress_update_period`).
    `codes`: only these tasks (None: every task; PostgreSQL tests a long IN list against
    every row, so the counts over all tasks leave it out and drop other codes after).
    `units`: WHERE terms on a `unit_id` column, pushed into every branch.
    `flagged`: a third column, 1 on the "done" branch and 0 on the other (a closed
    period may then give a pair twice, once from each).
    """
    done_flag = [literal(1).label("done")] if flagged else []
    other_flag = [literal(0).label("done")] if flagged else []
    tasks = [] if codes is None else [col(PL.task_code).in_(codes)]
    logged_tasks = [] if codes is None else [col(PU.task_code).in_(codes)]
    if not window.from_log:
        dated = sa_select(col(PL.unit_id), col(PL.task_code), *other_flag).where(
            col(PL.document) == document,
            col(PL.status).in_(NOT_DONE),
            col(PL.reported_at) >= window.start,
            col(PL.reported_at) < window.end,
            *tasks,
            *[term(col(PL.unit_id)) for term in units],
        )
        done = sa_select(col(PL.unit_id), col(PL.task_code), *done_flag).where(
            col(PL.document) == document,
            *tasks,
            col(PL.status) == Status.DONE.value,
            *[term(col(PL.unit_id)) for term in units],
        )
        return union_all(dated, done)
    done_by_end = sa_select(col(PL.unit_id), col(PL.task_code), *done_flag).where(
        col(PL.document) == document,
        *tasks,
        col(PL.status) == Status.DONE.value,
        col(PL.reported_at) < window.end,
        *[term(col(PL.unit_id)) for term in units],
    )
    logged = sa_select(col(PU.unit_id), col(PU.task_code), *other_flag).where(
        col(PU.document) == document,
        col(PU.reported_at) >= window.start,
        col(PU.reported_at) < window.end,
        *logged_tasks,
        *[term(col(PU.unit_id)) for term in units],
    )
    return union(done_by_end, logged)


def _in_scope(root_id: int | None, with_root: bool) -> list[UnitTerm]:
    """Return WHERE terms (on a unit id column): in the subtree of root_id (None: all)."""
    if root_id is None:
        return []
    subtree = subtree_ids(root_id)  # one CTE, shared by every branch it is used in
    terms: list[UnitTerm] = [lambda unit_id: unit_id.in_(subtree)]
    if not with_root:
        terms.append(lambda unit_id: unit_id != root_id)
    return terms


async def _exempt(session: AsyncSession, window: Window) -> set[int]:
    """Return the ids of units exempt on any day of the window's exemption span."""
    return await exempt_units(session, first=window.exempt_from, last=window.exempt_to)


async def exempt_units(session: AsyncSession, *, first: date, last: date) -> set[int]:
    """Return the ids of units exempt on any day from `first` to `last`."""
    query = sa_select(col(UnitExemption.unit_id)).where(
        col(UnitExemption.starts_on) <= last, col(UnitExemption.ends_on) >= first
    )
    return {unit_id for (unit_id,) in await _rows(session, query)}


async def _rows(session: AsyncSession, query: Any) -> Sequence[Any]:
    """Run a query on the session's connection: plain rows, no ORM loading."""
    connection = await session.connection()
    return (await connection.execute(query)).all()


def default_scope(document: str) -> dict[str, frozenset[str]]:
    """Return the document's default task scopes (storage/data/task-scope.tsv): code → levels."""
    return {code: levels for (doc, code), levels in DEFAULT_SCOPE.items() if doc == document}


def _load_defaults(path: Path) -> dict[tuple[str, str], frozenset[str]]:
    """Read the default scope file: document, code, levels (comma-separated), why."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            document, code, levels = line.split("\t")[:3]
            out[(document, code)] = frozenset(v.strip() for v in levels.split(",") if v.strip())
    return out


DEFAULT_SCOPE = _load_defaults(Path(__file__).parents[1] / "data" / "task-scope.tsv")


async def task_scope(session: AsyncSession, *, document: str = DEFAULT_DOCUMENT) -> Scope:
    """Return which tasks of the document are narrowed to some levels or units: the
    defaults, each replaced by the task's stored rows (level "*": every unit)."""
    query = sa_select(col(TaskScope.task_code), col(TaskScope.level), col(TaskScope.unit_id))
    query = query.where(col(TaskScope.document) == document)
    rules: defaultdict[str, tuple[set[str], set[int]]] = defaultdict(lambda: (set(), set()))
    for code, level, unit_id in await _rows(session, query):
        levels, units = rules[code]
        if level is not None:
            levels.add(level)
        if unit_id is not None:
            units.add(unit_id)
    narrowed = {
        code: (levels, frozenset[int]()) for code, levels in default_scope(document).items()
    }
    for code, (levels, units) in rules.items():
        if EVERY_LEVEL in levels:
            narrowed.pop(code, None)
        else:
            narrowed[code] = (frozenset(levels), frozenset(units))
    return Scope(narrowed)


@dataclass(frozen=True)
class _Base:
    """What every window of one question shares: the task scope, the units in scope, and
    the exemptions that touch any of the windows (read once, however many windows)."""

    scope: Scope
    units: Sequence[Any]  # (id, code, name, level, parent_id)
    exemptions: list[tuple[int, date, date]]
    scoped: list[UnitTerm]

    def exempt(self, window: Window) -> set[int]:
        """Return the ids of units exempt on any day of the window's exemption span."""
        return {
            uid
            for uid, first, last in self.exemptions
            if first <= window.exempt_to and last >= window.exempt_from
        }


async def _base(
    session: AsyncSession,
    windows: Sequence[Window],
    document: str,
    root_id: int | None,
    with_root: bool,
) -> _Base:
    """Read the scope, the units in scope and the exemptions touching the windows."""
    scope = await task_scope(session, document=document)
    scoped = _in_scope(root_id, with_root)
    unit_id = col(Unit.id)
    units_query = sa_select(
        unit_id, col(Unit.code), col(Unit.name), col(Unit.level), col(Unit.parent_id)
    ).where(*[term(unit_id) for term in scoped])
    units = await _rows(session, units_query)
    spans = sa_select(
        col(UnitExemption.unit_id), col(UnitExemption.starts_on), col(UnitExemption.ends_on)
    ).where(
        col(UnitExemption.starts_on) <= max(w.exempt_to for w in windows),
        col(UnitExemption.ends_on) >= min(w.exempt_from for w in windows),
    )
    exemptions = [(uid, first, last) for uid, first, last in await _rows(session, spans)]
    return _Base(scope, units, exemptions, scoped)


def _sources(document: str, window: Window, units: Sequence[UnitTerm], n: int) -> list[Any]:
    """Return the window's reported (unit_id, task_code) rows as disjoint sources, each a
    subquery with a `repeats` flag in its name's place: ("once", q) or ("repeats", q).

    The current period: one source, every pair once (progress_latest). A closed period: the
    updates logged in it (a pair may repeat) and the pairs done before it began that stayed
    done — disjoint, since such a pair's latest report is older than the period, so none
    of its updates is in it. Counting the two apart needs no UNION of the two sets.
    """
    if not window.from_log:
        return [("once", _reported(document, window, None, units).cte(f"reported_{n}"))]
    logged = sa_select(col(PU.unit_id), col(PU.task_code)).where(
        col(PU.document) == document,
        col(PU.reported_at) >= window.start,
        col(PU.reported_at) < window.end,
        *[term(col(PU.unit_id)) for term in units],
    )
    done_before = sa_select(col(PL.unit_id), col(PL.task_code)).where(
        col(PL.document) == document,
        col(PL.status) == Status.DONE.value,
        col(PL.reported_at) < window.start,
        *[term(col(PL.unit_id)) for term in units],
    )
    return [
        ("repeats", logged.subquery(f"logged_{n}")),
        ("once", done_before.subquery(f"done_before_{n}")),
    ]


def _counts(
    n: int,
    document: str,
    window: Window,
    base: _Base,
    narrow: Sequence[str],
    exempt: set[int],
    per_unit: bool,
    postgres: bool,
) -> list[Any]:
    """Return SELECTs of the window's counts, each row (n, tag, unit id, task code, count):
    tag "t" per task, "u" per unit (several rows add up), "p" a pair needing a closer look
    (a narrowed task or an exempt unit; corrected in Python)."""
    parts: list[Any] = []
    exempt_here = sorted(exempt & {row[0] for row in base.units})
    for kind, source in _sources(document, window, base.scoped, n):
        r = source.c
        repeats = kind == "repeats"
        units = func.count(r.unit_id.distinct()) if repeats else func.count()
        tasks = func.count(r.task_code.distinct()) if repeats else func.count()
        if per_unit and postgres and not repeats:
            # One hash pass for both counts (GROUPING SETS); SQLite has none and reads the
            # CTE twice, which measured cheaper there than materializing it.
            parts.append(
                sa_select(
                    literal(n),
                    case((r.unit_id.is_(None), "t"), else_="u"),
                    func.coalesce(r.unit_id, 0),
                    func.coalesce(r.task_code, ""),
                    func.count(),
                ).group_by(func.grouping_sets(r.unit_id, r.task_code))
            )
        else:
            parts.append(
                sa_select(literal(n), literal("t"), literal(0), r.task_code, units).group_by(
                    r.task_code
                )
            )
            if per_unit:
                parts.append(
                    sa_select(literal(n), literal("u"), r.unit_id, literal(""), tasks).group_by(
                        r.unit_id
                    )
                )
        odd = [r.task_code.in_(narrow)] if narrow else []
        if exempt_here:
            odd.append(r.unit_id.in_(exempt_here))
        if odd:
            pairs = sa_select(literal(n), literal("p"), r.unit_id, r.task_code, literal(1))
            pairs = pairs.where(or_(*odd))
            parts.append(pairs.distinct() if repeats else pairs)
    return parts


def _assemble(
    window: Window,
    base: _Base,
    codes: Sequence[str],
    exempt: set[int],
    by_unit: Counter[int],
    per_task: Counter[str],
    pairs: list[tuple[int, str]],
) -> Completion:
    """Return the window's standing from its raw counts, corrected for the pairs of narrowed
    tasks, exempt units and codes no longer tasks."""
    scope = base.scope
    known = set(codes)
    if pairs:
        levels = {row[0]: row[3] for row in base.units}
        applies = scope.applies
        for uid, code in pairs:
            if code not in known:
                by_unit[uid] -= uid not in exempt
            elif uid in exempt:
                per_task[code] -= 1
            elif not applies(code, uid, levels.get(uid, "")):
                per_task[code] -= 1
                by_unit[uid] -= 1
    narrow = [code for code in codes if code in scope.narrowed]
    named = {uid for _, units_of in scope.narrowed.values() for uid in units_of}
    kept = [row for row in base.units if row[0] not in exempt]
    of_level: dict[str, list[str]] = {}  # narrowed tasks applying by level alone
    per_level: Counter[str] = Counter()  # kept units (not named in a rule) per level
    narrow_applies: Counter[str] = Counter()
    out: list[UnitCompletion] = []
    everyone = len(codes) - len(narrow)
    for uid, code, name, level, parent_id in kept:
        if uid in named:
            mine = [c for c in narrow if scope.applies(c, uid, level)]
            narrow_applies.update(mine)
        else:
            if level not in of_level:
                of_level[level] = [c for c in narrow if level in scope.narrowed[c][0]]
            mine = of_level[level]
            per_level[level] += 1
        out.append(
            UnitCompletion(uid, code, name, level, parent_id, everyone + len(mine), by_unit[uid])
        )
    for level, count in per_level.items():
        for c in of_level[level]:
            narrow_applies[c] += count
    tasks = [
        TaskCompletion(
            code, narrow_applies[code] if code in scope.narrowed else len(kept), per_task[code]
        )
        for code in codes
    ]
    return Completion(window.period, out, tasks, exempt=len(base.units) - len(kept))


async def _standings(
    session: AsyncSession,
    *,
    windows: Sequence[Window],
    task_codes: Sequence[str],
    document: str,
    root_id: int | None,
    with_root: bool,
    per_unit: Callable[[int], bool],
) -> list[Completion]:
    """Return the standing for each window: three reads shared by all windows (scope, units,
    exemptions), then one statement counting every window's reports."""
    base = await _base(session, windows, document, root_id, with_root)
    codes = list(task_codes)
    narrow = [code for code in codes if code in base.scope.narrowed]
    postgres = session.get_bind().dialect.name == "postgresql"
    exempts = [base.exempt(window) for window in windows]
    parts = [
        part
        for n, window in enumerate(windows)
        for part in _counts(n, document, window, base, narrow, exempts[n], per_unit(n), postgres)
    ]
    by_unit: list[Counter[int]] = [Counter() for _ in windows]
    per_task: list[Counter[str]] = [Counter() for _ in windows]
    pairs: list[list[tuple[int, str]]] = [[] for _ in windows]
    for n, tag, uid, code, number in await _rows(session, union_all(*parts)):
        if tag == "u":
            by_unit[n][uid] += number
        elif tag == "t":
            per_task[n][code] += number
        else:
            pairs[n].append((uid, code))
    known = set(codes)
    for n, window in enumerate(windows):
        unknown = [code for code in per_task[n] if code not in known]  # no longer a task
        if unknown:
            reported = _reported(document, window, unknown, base.scoped).subquery("reported")
            query = sa_select(reported.c.unit_id, reported.c.task_code)
            pairs[n] += [(uid, code) for uid, code in await _rows(session, query)]
    return [
        _assemble(window, base, codes, exempts[n], by_unit[n], per_task[n], pairs[n])
        for n, window in enumerate(windows)
    ]


async def completion(
    session: AsyncSession,
    *,
    window: Window,
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    with_root: bool = True,
    per_unit: bool = True,
) -> Completion:
    """Return each unit's and each task's standing for the window over a scope of units.

    `per_unit=False`: the units' reported counts are left at 0 (only the rates per task and
    overall are wanted), which saves one pass over the reports.

    Four statements whatever the number of units: the scope, the units, the exemptions,
    and one pass over the reports (counts per unit and per task, and the few pairs that
    need a closer look — narrowed tasks, exempt units — corrected in Python).
    """
    [state] = await _standings(
        session,
        windows=[window],
        task_codes=task_codes,
        document=document,
        root_id=root_id,
        with_root=with_root,
        per_unit=lambda n: per_unit,
    )
    return state


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
    if unit is None or unit_id in await _exempt(session, window):
        return None
    scope = await task_scope(session, document=document)
    codes = scope.for_unit(task_codes, unit_id, unit.level)
    if not codes:
        return []
    reported = _reported(document, window, codes, [lambda column: column == unit_id]).subquery(
        "reported"
    )
    done = {code for (code,) in await _rows(session, sa_select(reported.c.task_code))}
    return [code for code in codes if code not in done]


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit as lists show it."""

    id: int
    code: str
    name: str


async def units_missing_task(
    session: AsyncSession,
    *,
    task_code: str,
    window: Window,
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    with_root: bool = True,
) -> list[UnitRef]:
    """Return the units in scope (not exempt) the task applies to that have not reported it,
    by code."""
    scope = await task_scope(session, document=document)
    scoped = _in_scope(root_id, with_root)
    reported = _reported(document, window, [task_code], scoped).subquery("reported")
    done = {uid for (uid,) in await _rows(session, sa_select(reported.c.unit_id))}
    exempt = await _exempt(session, window)
    unit_id = col(Unit.id)
    query = (
        sa_select(unit_id, col(Unit.code), col(Unit.name), col(Unit.level))
        .where(*[term(unit_id) for term in scoped])
        .order_by(col(Unit.code))
    )
    return [
        UnitRef(uid, code, name)
        for uid, code, name, level in await _rows(session, query)
        if uid not in done and uid not in exempt and scope.applies(task_code, uid, level)
    ]


async def trend(
    session: AsyncSession,
    *,
    windows: Sequence[Window],
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
    with_root: bool = True,
) -> list[Completion]:
    """Return the standing for each window (e.g. the last four quarters), in order, in one
    pass: the units' counts only for the last one (the others need only the rates)."""
    return await _standings(
        session,
        windows=windows,
        task_codes=task_codes,
        document=document,
        root_id=root_id,
        with_root=with_root,
        per_unit=lambda n: n == len(windows) - 1,
    )


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
    reported pairs once (at 5,000 units × 60 tasks: up to 300,000 rows).
    """
    scope = await task_scope(session, document=document)
    exempt = await _exempt(session, window)
    query = sa_select(col(Unit.id), col(Unit.level))
    wanted = None if unit_ids is None else set(unit_ids)
    terms: list[UnitTerm] = []
    if wanted is not None and len(wanted) <= FEW_UNITS:
        terms.append(lambda column: column.in_(sorted(wanted)))
        query = query.where(col(Unit.id).in_(sorted(wanted)))
    reported = _reported(document, window, None, terms).subquery("reported")
    done: defaultdict[int, set[str]] = defaultdict(set)
    for uid, code in await _rows(session, sa_select(reported.c.unit_id, reported.c.task_code)):
        done[uid].add(code)
    out: dict[int, list[str]] = {}
    for uid, level in await _rows(session, query):
        if uid in exempt or (wanted is not None and uid not in wanted):
            continue
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


async def reported_pairs(
    session: AsyncSession,
    *,
    window: Window,
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
    unit_ids: Collection[int] | None = None,
    root_id: int | None = None,
) -> dict[tuple[int, str], bool]:
    """Return the (unit, task) pairs reported for the window, each True when it counts as
    "hoàn thành" (the dashboard's matrix). Only `unit_ids` when given (up to FEW_UNITS
    filtered in SQL), else the subtree of `root_id` (None: every unit)."""
    keep = None if unit_ids is None else set(unit_ids)
    terms = _in_scope(root_id, True)
    if keep is not None and len(keep) <= FEW_UNITS:
        wanted = sorted(keep)
        terms = [lambda column: column.in_(wanted)]
    query = _reported(document, window, task_codes, terms, flagged=True).subquery("reported")
    out: dict[tuple[int, str], bool] = {}
    for uid, code, done in await _rows(session, sa_select(query)):
        if keep is None or uid in keep:
            out[(uid, code)] = out.get((uid, code), False) or bool(done)
    return out
