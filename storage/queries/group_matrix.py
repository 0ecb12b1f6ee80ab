"""The dashboard's matrix: units × task groups (or one group's tasks) for a period.

Each cell counts, of the tasks in its column that apply to the unit, those "hoàn thành",
those reported in the period but not done, and those missing — with the chat's rules:
`completion.reported_pairs` (what counts as reported), `task_scope` (which tasks apply to
whom) and `exempt_units` (units left out for the period).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True)
class UnitRow:
    """A unit's row: its cells in column order, their total, and whether it is exempt."""

    unit: TreeUnit
    cells: list[Tally]
    exempt: bool

    @property
    def total(self) -> Tally:
        """Return the sum of the row's cells."""
        return sum(self.cells, Tally())


async def unit_rows(
    session: AsyncSession,
    *,
    window: Window,
    units: Sequence[TreeUnit],
    columns: Mapping[str, Sequence[str]],
    document: str = DEFAULT_DOCUMENT,
    root_id: int | None = None,
) -> list[UnitRow]:
    """Return one row per unit (in the order given) with a tally per column (label → task
    codes). `root_id`: the subtree the units are in, read in SQL when they are many."""
    scope = await task_scope(session, document=document)
    exempt = await exempt_units(session, first=window.exempt_from, last=window.exempt_to)
    codes = [code for tasks in columns.values() for code in tasks]
    pairs = await reported_pairs(
        session,
        window=window,
        task_codes=codes,
        document=document,
        unit_ids={unit.id for unit in units},
        root_id=root_id,
    )
    rows = []
    for unit in units:
        if unit.id in exempt:
            rows.append(UnitRow(unit, [Tally() for _ in columns], True))
            continue
        cells = []
        for tasks in columns.values():
            applicable = done = reported = 0
            for code in tasks:
                if not scope.applies(code, unit.id, unit.level):
                    continue
                applicable += 1
                state = pairs.get((unit.id, code))
                if state is True:
                    done += 1
                elif state is False:
                    reported += 1
            cells.append(Tally(applicable, done, reported))
        rows.append(UnitRow(unit, cells, False))
    return rows
