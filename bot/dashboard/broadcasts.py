"""Broadcasts on the web (/phat-thanh, admins, as /phatthanh in chat): compose, choose the
audience (`handlers.audiences`: everyone, leaders, units incomplete for the period, one
unit's subtree), see how many will receive it (htmx, or the "count" button without
JavaScript), send (`queue_broadcast`, the chat flow's own function: one outbox row per
recipient), and watch its progress (`occasion_progress`, the CLI's `Progress`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.broadcast import Progress, check_text
from bot.commands.errors import UsageError
from bot.dashboard import texts
from bot.dashboard.app import CODE_MAX, ROW_ID, Base, admin_page
from bot.dashboard.viewer import Viewer
from handlers import audiences
from handlers.flows.broadcast import queue_broadcast
from storage.errors import UnitNotFoundError
from storage.models import OUTBOX_TEXT_MAX_CHARS, Broadcast
from storage.queries.outbox import broadcast_occasion, latest_broadcasts, occasion_progress
from storage.queries.recipients import UNIT_AUDIENCE
from storage.queries.units import get_unit

RECENT = 10  # broadcasts listed under the form


class BroadcastPages(Base):
    """/phat-thanh: the form and recent broadcasts; /phat-thanh/dem: the count (htmx);
    /phat-thanh/{id}: one broadcast's progress (htmx polls it while messages wait)."""

    def add_routes(self, app: web.Application) -> None:
        """Route the form, its count, the send and the progress pages."""
        app.router.add_get("/phat-thanh", self.form)
        app.router.add_post("/phat-thanh", self.send)
        app.router.add_get("/phat-thanh/dem", self.count)
        app.router.add_get(f"/phat-thanh/{ROW_ID}", self.progress)

    async def chosen(self, session: AsyncSession, audience: str, unit: str) -> str:
        """Return the audience a form names ("unit:CODE" for a subtree); UsageError if bad."""
        if audience not in audiences.CHOICES:
            raise UsageError(texts.BROADCAST_AUDIENCE_BAD)
        if audience != "unit":
            return audience
        code = unit.strip()[:CODE_MAX]
        found = await get_unit(session, code=code) if code else None
        if found is None:
            raise UsageError(texts.BROADCAST_UNIT_UNKNOWN.format(code=code))
        return f"{UNIT_AUDIENCE}{found.code}"

    async def counted(self, session: AsyncSession, form: dict[str, str]) -> tuple[str, int]:
        """Return who the form's audience is and how many would receive it now."""
        chosen = await self.chosen(session, form["audience"], form["unit"])
        people = await audiences.recipients_of(
            session, chosen=chosen, library=self.library, zone=self.settings.zone, now=self.clock()
        )
        return audiences.describe(chosen), len(people)

    async def show(
        self,
        request: web.Request,
        session: AsyncSession,
        viewer: Viewer,
        form: dict[str, str],
        *,
        error: str = "",
        count: tuple[str, int] | None = None,
        status: int = 200,
    ) -> web.Response:
        """Render the form (as typed), the count if known, and the recent broadcasts."""
        recent = [
            await self.summary(session, sent)
            for sent in await latest_broadcasts(session, limit=RECENT)
        ]
        context: dict[str, Any] = {
            "form": form,
            "error": error,
            "count": count,
            "choices": [(c, audiences.label(c)) for c in audiences.CHOICES],
            "recent": recent,
            "limit": OUTBOX_TEXT_MAX_CHARS,
        }
        return self.render(request, "broadcasts.html", context, viewer=viewer, status=status)

    async def summary(self, session: AsyncSession, sent: Broadcast) -> dict[str, Any]:
        """Return what a page shows of one broadcast: who, when, its text and progress."""
        assert sent.id is not None
        counts = await occasion_progress(session, occasion=broadcast_occasion(sent.id))
        chosen = sent.audience
        known = chosen in audiences.CHOICES or chosen.startswith(UNIT_AUDIENCE)
        return {
            "id": sent.id,
            "who": audiences.describe(chosen) if known else chosen,
            "at": f"{sent.created_at.astimezone(self.settings.zone):%d/%m/%Y %H:%M}",
            "text": sent.text,
            "by": sent.created_by,
            "progress": Progress.of(sent.total, counts),
        }

    @admin_page
    async def form(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Show the compose form and the recent broadcasts (admins only)."""
        return await self.show(request, session, viewer, form_of({}))

    @admin_page
    async def count(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Answer htmx with how many the chosen audience reaches (the `_audience.html` part)."""
        form = form_of(request.query)
        try:
            count, error = await self.counted(session, form), ""
        except UsageError as exc:
            count, error = None, str(exc)
        context = {"count": count, "error": error}
        return self.render(request, "_audience.html", context, viewer=viewer)

    @admin_page
    async def send(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Count (the "count" button) or queue the broadcast, then show its progress."""
        posted = await request.post()
        form = form_of(posted)
        try:
            count = await self.counted(session, form)
            if posted.get("action") == "count":
                return await self.show(request, session, viewer, form, count=count)
            text = check_text(form["text"])
            sent = await queue_broadcast(
                session,
                text=text,
                chosen=await self.chosen(session, form["audience"], form["unit"]),
                actor=viewer.actor,
                library=self.library,
                zone=self.settings.zone,
                now=self.clock(),
            )
        except (UsageError, UnitNotFoundError) as exc:
            error = str(exc) if isinstance(exc, UsageError) else texts.BROADCAST_AUDIENCE_BAD
            return await self.show(request, session, viewer, form, error=error, status=400)
        if sent is None:
            error = texts.BROADCAST_NOBODY.format(who=count[0])
            return await self.show(
                request, session, viewer, form, error=error, count=count, status=400
            )
        return web.Response(status=303, headers={"Location": f"/phat-thanh/{sent.id}"})

    @admin_page
    async def progress(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Show one broadcast's progress; htmx asks for the `_progress.html` part again."""
        sent = await session.get(Broadcast, int(request.match_info["id"]))
        if sent is None:
            return self.message(request, texts.NOT_FOUND, status=404, viewer=viewer)
        context = {"b": await self.summary(session, sent)}
        partial = request.headers.get("HX-Request") == "true"
        template = "_progress.html" if partial else "broadcast.html"
        return self.render(request, template, context, viewer=viewer)


def form_of(fields: Any) -> dict[str, str]:
    """Return the form's fields as typed (text, audience, unit), bounded."""
    return {
        "text": str(fields.get("text", ""))[: OUTBOX_TEXT_MAX_CHARS + 100],
        "audience": str(fields.get("audience", "all"))[:16],
        "unit": str(fields.get("unit", ""))[:CODE_MAX],
    }
