"""Missing reports (`/chua-bao-cao`): the units in scope incomplete for the period with their
missing tasks, and "nhắc ngay" per unit — the period reminder's own message queued through
the outbox to that unit's leaders, audited, at most once an hour per unit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard import texts
from bot.dashboard.app import page, unit_page
from bot.dashboard.filters import Filters
from bot.dashboard.reporting import Reporting, own_unit_left_out
from bot.dashboard.viewer import Viewer
from handlers import texts as chat_texts
from scheduler.jobs import period_text, report_buttons
from storage.models import Unit
from storage.queries.audit import add_audit, list_audit
from storage.queries.completion import missing_tasks
from storage.queries.locks import lock_until_commit
from storage.queries.outbox import OutboxRow, enqueue
from storage.queries.recipients import leaders_of_parents

MISSING_ROWS = 100  # units per page
TASKS_SHOWN = 12  # missing task codes listed per unit, the rest counted
NUDGE_GAP = timedelta(hours=1)  # "nhắc ngay" once an hour per unit
NUDGE = "unit.remind"  # the audit action, also the rate limit's record


class MissingPages(Reporting):
    """/chua-bao-cao and its "nhắc ngay" buttons."""

    def add_routes(self, app: web.Application) -> None:
        """Route the list and each unit's reminder button."""
        app.router.add_get("/chua-bao-cao", self.listing)
        app.router.add_post("/chua-bao-cao/{code}/nhac", self.remind)

    async def show(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
    ) -> web.Response:
        """Render the incomplete units (most missing first), a page at a time."""
        doc = self.directive(request)
        codes = self.codes(doc)
        every = await self.standings(session, viewer.root_id, doc)
        skip = own_unit_left_out(viewer, every)
        late = [u for u in every if not u.exempt and u.total.missing > 0 and u.unit.id != skip]
        late.sort(key=lambda u: (-u.total.missing, u.unit.code))
        filters = Filters.of(request.query)
        pages = max(1, -(-len(late) // MISSING_ROWS))
        number = min(filters.page, pages)
        rows = []
        for u in late[(number - 1) * MISSING_ROWS : number * MISSING_ROWS]:
            missing = [c for c in codes if c in u.applicable and c not in u.done | u.reported]
            rows.append(
                {
                    "unit": u.unit,
                    "missing": len(missing),
                    "applicable": len(u.applicable),
                    "codes": missing[:TASKS_SHOWN],
                    "more": max(0, len(missing) - TASKS_SHOWN),
                }
            )
        context: dict[str, Any] = self.directive_context(doc) | {
            "rows": rows,
            "total": len(late),
            "counted": sum(1 for u in every if not u.exempt and u.unit.id != skip),
            "page": number,
            "pages": pages,
            "period": self.period(self.clock()).label,
            "notice": notice,
            "error": error,
        }
        return self.render(request, "missing.html", context, viewer=viewer, status=status)

    @page
    async def listing(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """The units incomplete for the period."""
        return await self.show(request, session, viewer)

    @unit_page
    async def remind(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        unit: Unit,
        unit_id: int,
    ) -> web.Response:
        """Queue the period reminder to the unit's leaders now (once an hour per unit)."""
        now = self.clock()
        await lock_until_commit(session, NUDGE, unit.code)  # two clicks at once: one reminder
        last = await list_audit(
            session, limit=1, action=NUDGE, target=unit.code, since=now - NUDGE_GAP
        )
        if last:
            error = texts.NUDGE_TOO_SOON.format(
                code=unit.code, at=self.hour(last[0].at), again=self.hour(last[0].at + NUDGE_GAP)
            )
            return await self.show(request, session, viewer, error=error, status=429)
        period = self.period(now)
        missing = await missing_tasks(
            session,
            unit_id=unit_id,
            window=self.window(now),
            task_codes=self.codes(self.library.default),  # reminders: the current directive
            document=self.document,
        )
        if not missing:  # None: exempt; []: complete
            text = texts.NUDGE_EXEMPT if missing is None else texts.NUDGE_COMPLETE
            error = text.format(code=unit.code, period=period.label)
            return await self.show(request, session, viewer, error=error, status=400)
        people = [p for p in await leaders_of_parents(session, parent_ids=[unit_id]) if p.chat_id]
        if not people:
            error = texts.NUDGE_NOBODY.format(code=unit.code)
            return await self.show(request, session, viewer, error=error, status=400)
        message = period_text(
            self.library,
            missing,
            names=chat_texts.PERIOD_REMINDER_NAMES["quarter"],
            period=period,
            end=period.end,
        )
        occasion = f"nudge:{unit_id}:{now.astimezone(self.settings.zone):%Y%m%d%H%M%S}"
        rows = [
            OutboxRow(
                key=f"{occasion}:member:{person.member_id}",
                occasion=occasion,
                kind="period",
                channel=person.channel,
                chat_id=person.chat_id,
                member_id=person.member_id,
                text=message,
                buttons=report_buttons(self.library, missing),
            )
            for person in people
        ]
        add_audit(
            session,
            actor=viewer.actor,
            action=NUDGE,
            target=unit.code,
            detail={"recipients": len(rows), "missing": len(missing), "occasion": occasion},
            at=now,
        )
        queued = await enqueue(session, rows=rows, now=now)  # one commit: rows and audit
        notice = texts.NUDGE_QUEUED.format(code=unit.code, people=queued, missing=len(missing))
        return await self.show(request, session, viewer, notice=notice)

    def hour(self, moment: datetime) -> str:
        """Return a moment as the users' HH:MM."""
        return f"{moment.astimezone(self.settings.zone):%H:%M}"
