"""Directives (`/van-ban`, admins; issue 16): the library as `documents list` shows it, with
set current / archive, and the deadlines stored directives propose (accept / reject, the
CLI's functions). The upload form on the same page is `directive_upload.py`'s.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_texts
from bot.commands.proposals import accept_proposal, reject_proposal
from bot.dashboard import texts
from bot.dashboard.app import ROW_ID, Base, admin_page
from bot.dashboard.viewer import Viewer
from handlers.flows.upload import MAX_UPLOAD_MB
from handlers.texts import format_date
from knowledge import Document
from storage.models import (
    DeadlineProposal,
    Directive,
    DirectiveStatus,
    ProposalState,
)
from storage.queries.directives import (
    archive_directive,
    list_directives,
    list_proposals,
    set_current,
)


def day_text(value: date | None) -> str:
    """Return a date as dd/mm/yyyy ('' for none)."""
    return format_date(value) if value else ""


class DirectivePages(Base):
    """/van-ban: the library, its actions, the proposed deadlines."""

    def add_routes(self, app: web.Application) -> None:
        """Route the page and its actions."""
        app.router.add_get("/van-ban", self.listing)
        app.router.add_post(f"/van-ban/{ROW_ID}/hien-hanh", self.make_current)
        app.router.add_post(f"/van-ban/{ROW_ID}/luu-tru", self.archive)
        app.router.add_post(f"/van-ban/han/{ROW_ID}/duyet", self.accept)
        app.router.add_post(f"/van-ban/han/{ROW_ID}/bo", self.reject)

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
        """Render the library, the proposed deadlines and the upload form."""
        proposals = [
            {
                "id": p.id,
                "document": p.document,
                "code": p.task_code,
                "due": day_text(p.due_on),
                "phrase": p.phrase,
            }
            for p in await list_proposals(session)
        ]
        context = {
            "documents": await self.documents(session),
            "proposals": proposals,
            "notice": notice,
            "error": error,
            "limit": MAX_UPLOAD_MB,
        }
        return self.render(request, "directives.html", context, viewer=viewer, status=status)

    async def documents(self, session: AsyncSession) -> list[dict[str, Any]]:
        """Return the library as `documents list` does, stored rows read now (a row the
        library has not loaded yet shows without its task count)."""
        rows = await list_directives(session)
        stored = {r.number for r in rows}
        bundled = [d for d in self.library.documents if d.number not in stored]
        no_current = not any(r.is_current for r in rows)
        items = [  # the first is the bundled directive (id 0); DOCUMENTS_DIR's have no id
            self.item(doc, None, current=no_current and i == 0) | ({} if i == 0 else {"id": None})
            for i, doc in enumerate(bundled)
        ]
        items += [self.item(self.library.document(r.number), r, current=r.is_current) for r in rows]
        return sorted(items, key=lambda i: (i["issued_on"] is None, i["issued_on"] or 0))

    def item(self, doc: Document | None, row: Directive | None, *, current: bool) -> dict[str, Any]:
        """Return one line of the library: a bundled document (no row) or a stored row, with
        its task count once this process's library has loaded it."""
        if row is None:
            assert doc is not None  # a bundled line is a loaded document
            meta = doc.metadata
            facts = {"id": 0, "number": doc.number, "kind": meta.kind, "title": meta.title}
            issued, archived = meta.issued, False
        else:
            facts = {"id": row.id, "number": row.number, "kind": row.kind, "title": row.title}
            issued, archived = row.issued, row.status == DirectiveStatus.ARCHIVED.value
        loaded = doc is not None and doc.number == facts["number"]
        return facts | {
            "bundled": row is None,
            "issued": day_text(issued),
            "issued_on": issued,
            "tasks": len(doc.tasks) if loaded and doc is not None else None,
            "current": current,
            "archived": archived,
        }

    @admin_page
    async def listing(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """The library of directives."""
        return await self.show(request, session, viewer)

    @admin_page
    async def make_current(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Make a stored directive (or, with id 0, the bundled one) current."""
        key = int(request.match_info["id"])
        items = {i["id"]: i for i in await self.documents(session)}
        item = items.get(key)
        if item is None:
            return await self.show(request, session, viewer, error=texts.DOC_GONE, status=404)
        if item["archived"]:
            error = cli_texts.DOC_CURRENT_ARCHIVED.format(number=item["number"])
            return await self.show(request, session, viewer, error=error, status=409)
        if item["current"]:
            notice = cli_texts.DOC_CURRENT_ALREADY.format(kind=item["kind"], number=item["number"])
            return await self.show(request, session, viewer, notice=notice)
        await set_current(session, directive_id=key or None, actor=viewer.actor)
        notice = cli_texts.DOC_CURRENT_SET.format(kind=item["kind"], number=item["number"])
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def archive(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Archive a stored directive: its reminders stop, its history stays."""
        key = int(request.match_info["id"])
        if key == 0:
            error = texts.DOC_ARCHIVE_BUNDLED
            return await self.show(request, session, viewer, error=error, status=409)
        row = await session.get(Directive, key)
        if row is None:
            return await self.show(request, session, viewer, error=texts.DOC_GONE, status=404)
        if row.status == DirectiveStatus.ARCHIVED.value:
            notice = cli_texts.DOC_ARCHIVE_ALREADY.format(number=row.number)
            return await self.show(request, session, viewer, notice=notice)
        kind, number = row.kind, row.number
        removed = await archive_directive(session, directive_id=key, actor=viewer.actor)
        notice = cli_texts.DOC_ARCHIVED.format(kind=kind, number=number, deadlines=removed)
        return await self.show(request, session, viewer, notice=notice)

    async def proposal(self, request: web.Request, session: AsyncSession) -> DeadlineProposal | str:
        """Return the path's proposal if it still waits for a decision, else why not."""
        row = await session.get(DeadlineProposal, int(request.match_info["id"]))
        if row is None or row.state != ProposalState.PROPOSED.value:
            return texts.PROPOSAL_GONE
        return row

    @staticmethod
    def facts(row: DeadlineProposal) -> dict[str, Any]:
        """Return what the accept / reject notices say of a proposal."""
        return {
            "id": row.id,
            "code": row.task_code,
            "document": row.document,
            "due": day_text(row.due_on),
        }

    @admin_page
    async def accept(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Accept a proposed deadline: reminded like any other from now on."""
        row = await self.proposal(request, session)
        if isinstance(row, str):
            return await self.show(request, session, viewer, error=row, status=409)
        facts = self.facts(row)
        deadline = await accept_proposal(
            session, proposal=row, settings=self.settings, actor=viewer.actor
        )
        notice = cli_texts.PROPOSAL_ACCEPTED.format(**facts, deadline=deadline.id)
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def reject(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Reject a proposed deadline: never reminded."""
        row = await self.proposal(request, session)
        if isinstance(row, str):
            return await self.show(request, session, viewer, error=row, status=409)
        facts = self.facts(row)
        await reject_proposal(session, proposal=row, actor=viewer.actor)
        notice = cli_texts.PROPOSAL_REJECTED.format(**facts)
        return await self.show(request, session, viewer, notice=notice)
