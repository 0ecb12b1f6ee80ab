"""The overview (`/`): the period's completion and the units × task-groups matrix with its
filters; one task's page (`/nhiem-vu/{code}`); the xlsx of what the filters show and the
chart of /bieudo. Each limited to the viewer's scope."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import HEADERS, page
from bot.dashboard.completion import completion
from bot.dashboard.filters import STATUSES, Filters
from bot.dashboard.reporting import Matrix, Reporting
from bot.dashboard.viewer import Viewer
from handlers.views import chart_png
from knowledge.periods import last_periods
from storage.export import EXPORT_PERIODS, write_xlsx
from storage.queries.audit import record
from storage.queries.matrix import Span, period_report
from storage.queries.progress import latest_for_task
from storage.queries.summary import export_rows, overview
from storage.status import STATUS_LABELS, Status

TASK_ROWS = 200  # units per page of a task's page
TASK_FILTERS = ("", "chua", "da")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OverviewPages(Reporting):
    """/, /nhiem-vu/{code}, /xuat.xlsx, /bieu-do.png."""

    def add_routes(self, app: web.Application) -> None:
        """Route the overview, a task's page, the export and the chart."""
        app.router.add_get("/", self.overview)
        app.router.add_get("/nhiem-vu/{code}", self.task)
        app.router.add_get("/xuat.xlsx", self.export)
        app.router.add_get("/bieu-do.png", self.chart)

    def scope_name(self, viewer: Viewer, matrix: Matrix | None = None) -> str:
        """Return the scope shown: the filtered subtree, the leader's unit, or all units."""
        unit = matrix.root if matrix is not None and matrix.root is not None else viewer.unit
        if unit is None or (viewer.is_admin and (matrix is None or matrix.root is None)):
            return texts.SCOPE_ALL
        return f"{unit.code} — {unit.name}"

    @page
    async def overview(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """The current period's standing, per task, and the matrix (htmx: the matrix only)."""
        filters = Filters.of(request.query)
        matrix = await self.matrix(request, session, viewer, filters)
        if isinstance(matrix, web.Response):
            return matrix
        doc = self.directive(request)
        context: dict[str, Any] = self.directive_context(doc) | {
            "m": matrix,
            "f": filters,
            "groups": self.groups(doc),
            "statuses": STATUSES,
            "period": self.period(self.clock()).label,
            "matrix_scope": self.scope_name(viewer, matrix),
        }
        if request.headers.get("HX-Request") == "true":  # the filter form's partial update
            return self.render(request, "_matrix.html", context, viewer=viewer)
        tasks = self.leaf_tasks(doc)
        done = await completion(
            session, document=doc.number, task_codes=self.codes(doc), root_id=viewer.root_id
        )
        titles = {task.code: task.title for task in tasks}
        context |= {
            "standing": matrix.standing,
            "scope": self.scope_name(viewer),
            "total_units": matrix.units,
            "tasks_count": len(tasks),
            "completion": done,
            "rows": [(item, titles.get(item.task_code, "")) for item in done.tasks],
        }
        return self.render(request, "overview.html", context, viewer=viewer)

    @page
    async def task(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """One task: every unit in scope, its standing for the period and its current report."""
        code = request.match_info["code"].strip()[:16]
        doc = self.directive(request)
        task = doc.task(code)
        if task is None or task.children:
            return self.message(request, texts.TASK_UNKNOWN.format(code=code), status=404)
        shown = request.query.get("tt", "")
        shown = shown if shown in TASK_FILTERS else ""
        filters = Filters.of(request.query)
        rows = await self.standings(session, viewer.root_id, doc, [code])
        if shown == "chua":
            rows = [row for row in rows if row.total.missing > 0]
        elif shown == "da":
            rows = [row for row in rows if row.total.applicable and not row.total.missing]
        pages = max(1, -(-len(rows) // TASK_ROWS))
        number = min(filters.page, pages)
        shown_rows = rows[(number - 1) * TASK_ROWS : number * TASK_ROWS]
        latest = {
            unit.id: update
            for unit, update in await latest_for_task(
                session,
                task_code=code,
                document=doc.number,
                unit_ids=[row.unit.id for row in shown_rows],
            )
        }
        lines = []
        for row in shown_rows:
            update = latest.get(row.unit.id)
            lines.append(
                {
                    "unit": row.unit,
                    "state": "exempt" if row.exempt else row.total.state,
                    "label": STATUS_LABELS[Status(update.status)] if update else "",
                    "status": update.status if update else "",
                    "percent": update.percent if update else None,
                    "note": update.note if update else "",
                    "when": self.local(update.reported_at) if update else "",
                }
            )
        counts = {
            "done": sum(1 for r in rows if r.total.state == "done"),
            "missing": sum(1 for r in rows if r.total.missing > 0),
        }
        context = self.directive_context(doc) | {
            "task": task,
            "lines": lines,
            "shown": shown,
            "total": len(rows),
            "counts": counts,
            "page": number,
            "pages": pages,
            "period": self.period(self.clock()).label,
            "scope": self.scope_name(viewer),
        }
        return self.render(request, "task.html", context, viewer=viewer)

    @page
    async def export(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.StreamResponse:
        """The workbook of /xuat limited to what the overview's filters show (every page)."""
        filters = replace(Filters.of(request.query), page=1)
        matrix = await self.matrix(request, session, viewer, filters, rows_per_page=None)
        if isinstance(matrix, web.Response):
            return matrix
        root_id = matrix.root.id if matrix.root is not None else viewer.root_id
        doc = self.directive(request)
        codes = [code for column in matrix.columns for code in column.tasks]
        keep = {row.unit.code for row in matrix.rows}
        rows = [
            row
            for row in await export_rows(session, document=doc.number, root_id=root_id)
            if row.unit_code in keep and row.task_code in codes
        ]
        now = self.clock().astimezone(self.settings.zone)
        spans = Span.of_periods(last_periods(now.date(), EXPORT_PERIODS), self.settings.zone)
        report = await period_report(
            session, task_codes=codes, spans=spans, document=doc.number, root_id=root_id
        )
        report = replace(report, units=[u for u in report.units if u.code in keep])
        titles = {task.code: task.title for task in doc.tasks}
        content = write_xlsx(rows, task_titles=titles, periods=report)
        await record(
            session,
            actor=viewer.actor,
            action="progress.export",
            target="xlsx",
            detail={"rows": len(rows), "units": len(keep), "filters": filters.query()},
        )
        response = web.Response(body=content, content_type=XLSX)
        response.headers.update(HEADERS)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="tien-do-{now:%Y%m%d-%H%M}.xlsx"'
        )
        return response

    @page
    async def chart(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.StreamResponse:
        """The PNG of /bieudo for the viewer's scope."""
        doc = self.directive(request)
        items = await overview(
            session, document=doc.number, root_id=viewer.root_id, task_codes=self.codes(doc)
        )
        png = chart_png(self.library, items, scope=self.scope_name(viewer), number=doc.number)
        response = web.Response(body=png, content_type="image/png")
        response.headers.update(HEADERS)
        return response
