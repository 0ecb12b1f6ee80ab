"""What the period pages share (overview, task, missing reports, exports): the reportable
tasks and their groups, the current period's window, and the matrix the filters select."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import Base
from bot.dashboard.filters import Filters, keeps, matching
from bot.dashboard.viewer import Viewer
from knowledge.model import Document, Task
from knowledge.periods import Period, period_of
from storage.models import Unit
from storage.queries.completion import Window
from storage.queries.group_matrix import Tally, UnitStanding, standings
from storage.queries.matrix import TreeUnit, units_in_tree_order
from storage.queries.units import get_unit

MATRIX_ROWS = 100  # units per page of the matrix (a page stays well under 200 KB)


@dataclass(frozen=True)
class Column:
    """A matrix column: a task group ("3") or, within a group, one task ("3.2")."""

    code: str
    title: str
    tasks: list[str]


@dataclass(frozen=True)
class Row:
    """A matrix row: the unit, a tally per column, their sum, and whether it is exempt."""

    unit: TreeUnit
    cells: list[tuple[str, str]]  # (state, "done·reported·missing"), the last one the sum
    exempt: bool


@dataclass(frozen=True)
class PeriodStanding:
    """The period over the viewer's scope, as /chuabaocao counts it: units counted (not
    exempt), complete, exempt, and reported (unit, task) pairs over applicable ones."""

    counted: int
    complete: int
    exempt: int
    rate: float

    @classmethod
    def of(cls, units: Sequence[UnitStanding], *, leaving_out: int | None) -> PeriodStanding:
        """Sum the units' standings (`leaving_out`: a leader's own unit, as in chat)."""
        kept = [u for u in units if u.unit.id != leaving_out]
        counted = [u for u in kept if not u.exempt]
        applicable = reported = complete = 0
        for u in counted:  # 5,000 units: plain counts, no Tally each
            have = len(u.done) + len(u.reported)
            applicable, reported = applicable + len(u.applicable), reported + have
            complete += have >= len(u.applicable)
        return cls(
            len(counted),
            complete,
            len(kept) - len(counted),
            reported / applicable if applicable else 1.0,
        )


@dataclass(frozen=True)
class Matrix:
    """One page of the matrix, how many rows the filters kept, and the scope's standing."""

    root: Unit | None  # the subtree asked for (None: the viewer's whole scope)
    columns: list[Column]
    rows: list[Row]
    total: int
    page: int
    pages: int
    size: int  # rows per page
    standing: PeriodStanding
    units: int  # units in the viewer's scope


class Reporting(Base):
    """Period helpers for the pages that show who reported what."""

    def leaf_tasks(self, doc: Document) -> list[Task]:
        """Return a directive's reportable tasks (those without sub-tasks), in its order."""
        return [task for task in doc.tasks if not task.children]

    def codes(self, doc: Document) -> list[str]:
        """Return a directive's reportable task codes."""
        return [task.code for task in self.leaf_tasks(doc)]

    def groups(self, doc: Document) -> list[Column]:
        """Return the task groups (the directive's top-level parts), each with its tasks."""
        found: dict[str, list[str]] = {}
        for task in self.leaf_tasks(doc):
            found.setdefault(task.code.split(".")[0], []).append(task.code)
        out = []
        for code, tasks in found.items():
            group = doc.task(code)
            out.append(Column(code, group.title if group else code, tasks))
        return out

    def columns(self, group: str, doc: Document) -> list[Column]:
        """Return the matrix's columns: the groups, or one group's tasks."""
        for column in self.groups(doc):
            if column.code == group:
                titles = {task.code: task.title for task in self.leaf_tasks(doc)}
                return [Column(code, titles.get(code, ""), [code]) for code in column.tasks]
        return self.groups(doc)

    def period(self, now: datetime) -> Period:
        """Return the reporting period `now` falls in (users' time zone)."""
        return period_of(now.astimezone(self.settings.zone).date())

    def window(self, now: datetime) -> Window:
        """Return the current period's window, as the chat's /chuabaocao counts it."""
        return Window.of(self.period(now), self.settings.zone, now=now)

    def local(self, moment: datetime) -> str:
        """Return a moment as the users' local dd/mm/yyyy HH:MM."""
        return f"{moment.astimezone(self.settings.zone):%d/%m/%Y %H:%M}"

    async def subtree(
        self, request: web.Request, session: AsyncSession, viewer: Viewer, code: str
    ) -> Unit | web.Response | None:
        """Return the unit whose subtree the filter asks for (None: the whole scope), or the
        refusal: outside the scope 403, unknown 404 for an admin, 403 for a leader."""
        if not code:
            return None
        unit = await get_unit(session, code=code)
        if unit is None or unit.id is None:
            if viewer.is_admin:
                text = texts.UNIT_UNKNOWN.format(code=code)
                return self.message(request, text, status=404, viewer=viewer)
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        if not await viewer.may_see(session, unit):
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        return unit

    async def standings(
        self,
        session: AsyncSession,
        root_id: int | None,
        doc: Document,
        codes: Sequence[str] | None = None,
    ) -> list[UnitStanding]:
        """Return every unit of a subtree (None: all) in tree order with its period standing
        on a directive's tasks."""
        return await standings(
            session,
            window=self.window(self.clock()),
            units=await units_in_tree_order(session, root_id=root_id),
            task_codes=self.codes(doc) if codes is None else codes,
            document=doc.number,
            root_id=root_id,
        )

    async def matrix(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        filters: Filters,
        *,
        rows_per_page: int | None = MATRIX_ROWS,
    ) -> Matrix | web.Response:
        """Return the page of the matrix the filters select (rows_per_page None: every row)."""
        root = await self.subtree(request, session, viewer, filters.root)
        if isinstance(root, web.Response):
            return root
        doc = self.directive(request)
        every = await self.standings(session, viewer.root_id, doc)
        standing = PeriodStanding.of(every, leaving_out=own_unit_left_out(viewer, every))
        units = in_subtree(every, root.id) if root is not None else every
        wanted = {unit.id for unit in matching([u.unit for u in units], filters.search)}
        units = [u for u in units if u.unit.id in wanted]
        columns = self.columns(filters.group, doc)
        shown = [code for column in columns for code in column.tasks]
        whole = len(shown) == len(self.codes(doc))
        if filters.status:
            units = [
                u
                for u in units
                if not u.exempt and keeps(filters.status, u.total if whole else u.tally(shown))
            ]
        size = rows_per_page or max(len(units), 1)
        pages = max(1, -(-len(units) // size))
        page = min(filters.page, pages)
        rows = [
            Row(
                u.unit,
                [cell(u.tally(c.tasks)) for c in [*columns, Column("", "", shown)]],
                u.exempt,
            )
            for u in units[(page - 1) * size : page * size]
        ]
        return Matrix(root, columns, rows, len(units), page, pages, size, standing, len(every))


def own_unit_left_out(viewer: Viewer, units: Sequence[UnitStanding]) -> int | None:
    """Return the unit the period's counts leave out, as /chuabaocao does: a leader's own
    unit when it has units below it (a leader of a unit alone counts that unit)."""
    return viewer.root_id if len(units) > 1 else None


def cell(tally: Tally) -> tuple[str, str]:
    """Return a matrix cell: its colour and "done·reported·missing" ("–": nothing applies)."""
    if not tally.applicable:
        return tally.state, "–"
    return tally.state, f"{tally.done}·{tally.reported}·{tally.missing}"


def in_subtree(units: Sequence[UnitStanding], root_id: int | None) -> list[UnitStanding]:
    """Return the unit `root_id` and those below it, from units in tree order."""
    for start, item in enumerate(units):
        if item.unit.id == root_id:
            end = start + 1
            while end < len(units) and units[end].unit.depth > item.unit.depth:
                end += 1
            return list(units[start:end])
    return []
