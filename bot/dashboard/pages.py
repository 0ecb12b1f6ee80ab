"""The dashboard's reading pages: overview, one unit, the audit log. Each is scope-checked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import Base, page, unit_page
from bot.dashboard.completion import completion
from bot.dashboard.viewer import Viewer
from knowledge.model import Task
from knowledge.periods import period_of
from storage.models import ProgressUpdate, Unit
from storage.queries.audit import list_audit
from storage.queries.completion import Window
from storage.queries.completion import completion as period_completion
from storage.queries.dashboard import leaders_of, recent_reports, units_in_scope
from storage.queries.invites import list_invites
from storage.queries.progress import latest_for_unit
from storage.queries.summary import count_units
from storage.queries.units import get_unit_by_id, list_children
from storage.status import STATUS_LABELS, Status

SEARCH_MAX = 64
UNITS_SHOWN = 200
AUDIT_SHOWN = 200


class Pages(Base):
    """Overview, unit and audit pages."""

    def add_routes(self, app: web.Application) -> None:
        """Route /, /don-vi/{code} and /nhat-ky."""
        app.router.add_get("/", self.overview)
        app.router.add_get("/don-vi/{code}", self.unit)
        app.router.add_get("/nhat-ky", self.audit)

    def leaf_tasks(self) -> list[Task]:
        """Return the reportable tasks (those without sub-tasks), in directive order."""
        return [task for task in self.library.tasks() if not task.children]

    def local(self, moment: datetime) -> str:
        """Return a moment as the users' local dd/mm/yyyy HH:MM."""
        return f"{moment.astimezone(self.settings.zone):%d/%m/%Y %H:%M}"

    @page
    async def overview(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """The current period, completion per task, and the units in scope (searchable)."""
        search = request.query.get("q", "")[:SEARCH_MAX]
        units = await units_in_scope(
            session,
            root_id=viewer.root_id,
            document=self.document,
            search=search,
            limit=UNITS_SHOWN,
        )
        tasks = self.leaf_tasks()
        context: dict[str, Any] = {"units": units, "search": search, "tasks_count": len(tasks)}
        if request.headers.get("HX-Request") == "true":  # the search box's partial update
            return self.render(request, "_units.html", context, viewer=viewer)
        done = await completion(
            session,
            document=self.document,
            task_codes=[task.code for task in tasks],
            root_id=viewer.root_id,
        )
        now = self.clock()
        period = period_of(now.astimezone(self.settings.zone).date())
        standing = await period_completion(
            session,
            window=Window.of(period, self.settings.zone, now=now),
            task_codes=[task.code for task in tasks],
            document=self.document,
            root_id=viewer.root_id,
            with_root=viewer.root_id is None,
            per_unit=True,
        )
        titles = {task.code: task.title for task in tasks}
        context |= {
            "period": period.label,
            "standing": standing,
            "scope": _unit_name(viewer.unit) if viewer.root_id else texts.SCOPE_ALL,
            "total_units": await count_units(session, root_id=viewer.root_id),
            "completion": done,
            "rows": [(item, titles.get(item.task_code, "")) for item in done.tasks],
        }
        return self.render(request, "overview.html", context, viewer=viewer)

    @unit_page
    async def unit(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        unit: Unit,
        unit_id: int,
    ) -> web.Response:
        """One unit: its leaders, sub-units, current report per task, missing tasks, history."""
        parent = await get_unit_by_id(session, unit_id=unit.parent_id) if unit.parent_id else None
        if parent is not None and not await viewer.may_see(session, parent):
            parent = None
        latest = await latest_for_unit(session, unit_id=unit_id, document=self.document)
        reported = {row.task_code for row in latest}
        tasks = self.leaf_tasks()
        history = await recent_reports(session, unit_id=unit_id, document=self.document)
        context = {
            "unit": unit,
            "parent": parent,
            "children": await list_children(session, unit_id=unit_id),
            "leaders": await leaders_of(session, unit_id=unit_id),
            "latest": [self.report_row(row) for row in latest],
            "missing": [task for task in tasks if task.code not in reported],
            "history": [self.report_row(row, name) for row, name in history],
            "invites": [
                {"id": i.id, "expires": self.local(i.expires_at), "by": i.created_by}
                for i in await list_invites(
                    session, unit_id=unit_id, active_only=True, now=self.clock()
                )
            ],
        }
        return self.render(request, "unit.html", context, viewer=viewer)

    def report_row(self, row: ProgressUpdate, reporter: str = "") -> dict[str, Any]:
        """Return what a page shows of one report."""
        return {
            "task": row.task_code,
            "status": row.status,
            "label": STATUS_LABELS.get(Status(row.status), row.status),
            "percent": row.percent,
            "note": row.note,
            "when": self.local(row.reported_at),
            "reporter": reporter,
        }

    @page
    async def audit(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """The newest audit rows, optionally of one action (admins only)."""
        if not viewer.is_admin:
            return self.message(request, texts.FORBIDDEN, status=403, viewer=viewer)
        action = request.query.get("action", "").strip()[:SEARCH_MAX]
        rows = await list_audit(session, limit=AUDIT_SHOWN, action=action or None)
        shown = [
            {
                "when": self.local(row.at),
                "actor": row.actor,
                "action": row.action,
                "target": row.target,
                "detail": ", ".join(f"{k}={v}" for k, v in sorted(row.detail.items())),
            }
            for row in rows
        ]
        return self.render(request, "audit.html", {"rows": shown, "action": action}, viewer=viewer)


def _unit_name(unit: Any) -> str:
    """Return "CODE — Name"."""
    return f"{unit.code} — {unit.name}" if unit is not None else ""
