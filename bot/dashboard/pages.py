"""The dashboard's reading pages: one unit, the audit log. Each is scope-checked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.errors import UsageError
from bot.commands.parse import parse_since
from bot.dashboard.app import Base, admin_page, unit_page
from bot.dashboard.viewer import Viewer
from storage.models import ProgressUpdate, Unit
from storage.queries.audit import list_audit
from storage.queries.dashboard import leaders_of, recent_reports
from storage.queries.invites import list_invites
from storage.queries.progress import latest_for_unit
from storage.queries.units import get_unit_by_id, list_children
from storage.status import STATUS_LABELS, Status

SEARCH_MAX = 64
AUDIT_SHOWN = 200


class Pages(Base):
    """Unit and audit pages."""

    def add_routes(self, app: web.Application) -> None:
        """Route /don-vi/{code} and /nhat-ky (the overview is overview.py's)."""
        app.router.add_get("/don-vi/{code}", self.unit)
        app.router.add_get("/nhat-ky", self.audit)

    def local(self, moment: datetime) -> str:
        """Return a moment as the users' local dd/mm/yyyy HH:MM."""
        return f"{moment.astimezone(self.settings.zone):%d/%m/%Y %H:%M}"

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
        doc = self.directive(request)
        latest = await latest_for_unit(session, unit_id=unit_id, document=doc.number)
        reported = {row.task_code for row in latest}
        tasks = [task for task in doc.tasks if not task.children]
        history = await recent_reports(session, unit_id=unit_id, document=doc.number)
        context = self.directive_context(doc) | {
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

    @admin_page
    async def audit(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """The newest audit rows, filtered by action, actor, unit and days (admins only)."""
        query = {
            name: request.query.get(name, "").strip()[:SEARCH_MAX]
            for name in ("action", "actor", "unit", "from", "to")
        }
        try:
            since = parse_since(query["from"], self.settings.zone) if query["from"] else None
            until = parse_since(query["to"], self.settings.zone) if query["to"] else None
        except UsageError as exc:
            failed: dict[str, Any] = {"rows": [], "q": query, "error": str(exc)}
            return self.render(request, "audit.html", failed, viewer=viewer, status=400)
        rows = await list_audit(
            session,
            limit=AUDIT_SHOWN,
            action=query["action"] or None,
            actor=query["actor"] or None,
            target=query["unit"] or None,
            since=since,
            until=until + timedelta(days=1) if until else None,  # "to" includes that day
        )
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
        context: dict[str, Any] = {"rows": shown, "q": query, "error": ""}
        return self.render(request, "audit.html", context, viewer=viewer)
