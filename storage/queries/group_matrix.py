"""The dashboard's matrix: units × task groups (or one group's tasks) for a period.

Each cell counts, of the tasks in its column that apply to the unit, those "hoàn thành",
those reported in the period but not done, and those missing — with the chat's rules:
`completion.reported_pairs` (what counts as reported), `task_scope` (which tasks apply to
whom) and `exempt_units` (units left out for the period).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence, Set
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DEFAULT_DOCUMENT
from storage.queries.completion import Window, exempt_units, reported_pairs, task_scope
from storage.queries.matrix import TreeUnit


@dataclass(frozen=True, slots=True)
class Tally:
    """One unit's tasks in one column: how many apply, are done, are reported (not done)."""

    applicable: int = 0
    done: int = 0
    reported: int = 0

    @property
    def missing(self) -> int:
        """Applicable tasks with no report that counts for the period."""
        return self.applicable - self.done - self.reported

    @property
    def state(self) -> str:
        """Return the cell's colour: na, done, reported (all in, some not done), partial,
        missing (nothing in)."""
        if not self.applicable:
            return "na"
        if self.done == self.applicable:
            return "done"
        if not self.missing:
            return "reported"
        return "missing" if self.missing == self.applicable else "partial"

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.applicable + other.applicable,
            self.done + other.done,
            self.reported + other.reported,
        )


@dataclass(frozen=True, slots=True)
class UnitStanding:
    """A unit in the period: the tasks that apply to it, those done, those reported (not
    done) — both among the applicable — and whether it is exempt (then nothing applies)."""

    unit: TreeUnit
    applicable: Set[str]
    done: Set[str]
    reported: Set[str]
    exempt: bool

    @property
    def total(self) -> Tally:
        """Return the unit's tally over every task."""
        return Tally(len(self.applicable), len(self.done), len(self.reported))

    def tally(self, codes: Collection[str]) -> Tally:
        """Return the unit's tally over some tasks (one matrix column)."""
        return Tally(
            sum(1 for code in codes if code in self.applicable),
            sum(1 for code in codes if code in self.done),
            sum(1 for code in codes if code in self.reported),
        )


async def standings(
    session: AsyncSession,
    *,
    window: Window,
    units: Sequence[TreeUnit],
    task_codes: Sequence[str],
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
) -> list[UnitStanding]:
    """Return each unit's standing for the window, in the order given; `root_id`: the
    subtree the units are in (read in SQL when they are many). Three statements: the
    scope, the exempt units, the reported pairs."""
    scope = await task_scope(session, document=document)
    exempt = await exempt_units(session, first=window.exempt_from, last=window.exempt_to)
    pairs = await reported_pairs(
        session,
        window=window,
        task_codes=task_codes,
        document=document,
        unit_ids={unit.id for unit in units},
        root_id=root_id,
    )
    done: dict[int, set[str]] = {}
    reported: dict[int, set[str]] = {}
    for (uid, code), is_done in pairs.items():
        (done if is_done else reported).setdefault(uid, set()).add(code)
    named = {uid for _, ids in scope.narrowed.values() for uid in ids}
    by_level: dict[str, frozenset[str]] = {}
    nothing: frozenset[str] = frozenset()
    out = []
    for unit in units:
        if unit.id in exempt:
            out.append(UnitStanding(unit, nothing, nothing, nothing, True))
            continue
        if unit.id in named:
            applies = frozenset(scope.for_unit(task_codes, unit.id, unit.level))
        else:
            if unit.level not in by_level:
                by_level[unit.level] = frozenset(scope.for_unit(task_codes, -1, unit.level))
            applies = by_level[unit.level]
        its_done, its_reported = done.get(unit.id), reported.get(unit.id)
        out.append(
            UnitStanding(
                unit,
                applies,
                its_done & applies if its_done else nothing,
                its_reported & applies if its_reported else nothing,
                False,
            )
        )
    return out
