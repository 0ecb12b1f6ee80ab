"""What the period pages share (overview, task, missing reports, exports): the reportable
tasks and their groups, the current period's window, and the matrix the filters select."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import Base
from bot.dashboard.filters import Filters, kept, matching
from bot.dashboard.viewer import Viewer
from knowledge.model import Task
from knowledge.periods import Period, period_of
from storage.models import Unit
from storage.queries.completion import Window
from storage.queries.group_matrix import UnitRow, unit_rows
from storage.queries.matrix import units_in_tree_order
from storage.queries.units import get_unit

MATRIX_ROWS = 100  # units per page of the matrix (a page stays well under 200 KB)


@dataclass(frozen=True)
class Column:
    """A matrix column: a task group ("3") or, within a group, one task ("3.2")."""

    code: str
    title: str
    tasks: list[str]


@dataclass(frozen=True)
class Matrix:
    """The rows of one page of the matrix, and how many rows the filters kept in all."""

    root: Unit | None  # the subtree asked for (None: the viewer's whole scope)
    columns: list[Column]
    rows: list[UnitRow]
    total: int
    page: int
    pages: int
    size: int  # rows per page


class Reporting(Base):
    """Period helpers for the pages that show who reported what."""

    def leaf_tasks(self) -> list[Task]:
        """Return the reportable tasks (those without sub-tasks), in directive order."""
        return [task for task in self.library.tasks() if not task.children]

    def codes(self) -> list[str]:
        """Return the reportable task codes."""
        return [task.code for task in self.leaf_tasks()]

    def groups(self) -> list[Column]:
        """Return the task groups (the directive's top-level parts), each with its tasks."""
        found: dict[str, list[str]] = {}
        for task in self.leaf_tasks():
            found.setdefault(task.code.split(".")[0], []).append(task.code)
        out = []
        for code, tasks in found.items():
            task = self.library.find_task(code)
            out.append(Column(code, task.title if task else code, tasks))
        return out

    def columns(self, group: str) -> list[Column]:
        """Return the matrix's columns: the groups, or one group's tasks."""
        for column in self.groups():
            if column.code == group:
                titles = {task.code: task.title for task in self.leaf_tasks()}
                return [Column(code, titles.get(code, ""), [code]) for code in column.tasks]
        return self.groups()

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
                return self.message(request, texts.UNIT_UNKNOWN.format(code=code), status=404)
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        if not await viewer.may_see(session, unit):
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        return unit

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
        root_id = root.id if root is not None else viewer.root_id
        units = matching(await units_in_tree_order(session, root_id=root_id), filters.search)
        columns = self.columns(filters.group)
        spec = {column.code: column.tasks for column in columns}
        window = self.window(self.clock())
        document = self.document
        if filters.status:  # the status of every row is needed before a page is cut
            every = await unit_rows(
                session,
                window=window,
                units=units,
                columns=spec,
                document=document,
                root_id=root_id,
            )
            rows = kept(every, filters.status)
            total = len(rows)
            size = rows_per_page or max(total, 1)
            pages = max(1, -(-total // size))
            page = min(filters.page, pages)
            rows = rows[(page - 1) * size : page * size]
        else:
            total = len(units)
            size = rows_per_page or max(total, 1)
            pages = max(1, -(-total // size))
            page = min(filters.page, pages)
            shown = units[(page - 1) * size : page * size]
            rows = await unit_rows(
                session,
                window=window,
                units=shown,
                columns=spec,
                document=document,
                root_id=root_id,
            )
        return Matrix(root, columns, rows, total, page, pages, size)
