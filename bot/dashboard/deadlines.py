"""The deadlines page: list for everyone signed in; add and remove for admins, with exactly the
checks and the summary of `python -m bot deadlines add | remove` (bot/commands/deadlines.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.deadlines import (
    NewDeadline,
    check_task,
    days_status,
    describe_added,
    drop_deadline,
    local_text,
    now_of,
    parse_due,
    parse_id,
    parse_remind,
    parse_title,
    save_deadline,
)
from bot.commands.errors import UsageError
from bot.dashboard import texts
from bot.dashboard.app import Base, admin_page, page
from bot.dashboard.viewer import Viewer
from scheduler.plan import parse_offsets, reminder_times
from storage.queries.deadlines import get_deadline, list_deadlines

FIELD_MAX = 256
FIELDS = ("task", "due", "at", "remind", "title", "replace")  # replace: the id being edited


class DeadlinePages(Base):
    """/han-chot: list, add, edit (`?sua=ID` fills the form; saving replaces it), remove."""

    def add_routes(self, app: web.Application) -> None:
        """Route the list, the add form's POST and each remove button's POST."""
        app.router.add_get("/han-chot", self.listing)
        app.router.add_post("/han-chot", self.add)
        app.router.add_post("/han-chot/{id}/xoa", self.remove)

    async def show(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        *,
        notice: str = "",
        error: str = "",
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> web.Response:
        """Render the list with an optional notice, error and the form as typed."""
        zone, now = self.settings.zone, now_of(self.settings)
        rows = []
        for deadline in await list_deadlines(session):
            task = self.library.find_task(deadline.task_code, deadline.document)
            state, _ = days_status(deadline.due_at, now, zone)
            rows.append(
                {
                    "id": deadline.id,
                    "task": deadline.task_code,
                    "title": deadline.title or (task.label if task else ""),
                    "due": local_text(deadline.due_at, zone),
                    "remind": deadline.offsets,
                    "state": state,
                    "overdue": deadline.due_at <= now,
                }
            )
        context: dict[str, Any] = {
            "rows": rows,
            "notice": notice,
            "error": error,
            "form": dict.fromkeys(FIELDS, "") | (form or {}),
            "default_time": self.settings.reminder_time,
            "default_remind": self.settings.reminder_offsets,
        }
        return self.render(request, "deadlines.html", context, viewer=viewer, status=status)

    @page
    async def listing(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """List the deadlines by due date; `?sua=ID` opens one in the form (admins)."""
        editing = request.query.get("sua", "")
        if not editing or not viewer.is_admin:
            return await self.show(request, session, viewer)
        try:
            deadline_id = parse_id(editing[:FIELD_MAX])
        except UsageError as exc:
            return await self.show(request, session, viewer, error=str(exc), status=400)
        deadline = await get_deadline(session, deadline_id=deadline_id)
        if deadline is None or deadline.removed_at is not None:
            error = texts.DEADLINE_GONE.format(id=deadline_id)
            return await self.show(request, session, viewer, error=error, status=404)
        due = deadline.due_at.astimezone(self.settings.zone)
        form = {
            "task": deadline.task_code,
            "due": f"{due:%d/%m/%Y}",
            "at": f"{due:%H:%M}",
            "remind": deadline.offsets,
            "title": deadline.title,
            "replace": str(deadline.id),
        }
        return await self.show(request, session, viewer, form=form)

    @admin_page
    async def add(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Add (or update) a deadline from the form; say when its reminders go out."""
        posted = await request.post()
        form = {name: str(posted.get(name, ""))[:FIELD_MAX] for name in FIELDS}
        try:
            due_at = parse_due(form["due"], form["at"].strip() or None, self.settings)
            remind = form["remind"].strip() or self.settings.reminder_offsets
            new = NewDeadline(
                check_task(self.library, form["task"]),
                self.library.default.number,
                due_at,
                parse_remind(remind),
                parse_title(form["title"]),
            )
            replaced = parse_id(form["replace"]) if form["replace"].strip() else None
        except UsageError as exc:
            return await self.show(request, session, viewer, error=str(exc), form=form, status=400)
        deadline, created = await save_deadline(self.database, new, actor=viewer.actor)
        times = reminder_times(deadline.due_at, parse_offsets(deadline.offsets))
        notice = describe_added(deadline, new.task, created, times, self.settings)
        if replaced is not None and replaced != deadline.id:  # an edit: the old one goes
            try:
                await drop_deadline(self.database, replaced, actor=viewer.actor)
                notice += "\n" + texts.DEADLINE_REPLACED.format(old=replaced, new=deadline.id)
            except UsageError:  # removed meanwhile: the new one stands alone
                pass
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def remove(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Remove one deadline (its history stays)."""
        try:
            deadline_id = parse_id(request.match_info["id"])
            deadline = await drop_deadline(self.database, deadline_id, actor=viewer.actor)
        except UsageError as exc:
            return await self.show(request, session, viewer, error=str(exc), status=400)
        due = local_text(deadline.due_at, self.settings.zone)
        notice = texts.DEADLINE_REMOVED.format(id=deadline_id, task=deadline.task_code, due=due)
        return await self.show(request, session, viewer, notice=notice)
