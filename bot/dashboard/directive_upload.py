"""The directive upload of `/van-ban` (issue 16): a file previewed before anything is stored.

The upload (.txt, .docx, .pdf, ≤ 10 MB: the only route whose body may exceed 1 MB, and only
a signed-in admin's) is read by `knowledge.ingest.read_document` off the event loop and
refused, nothing stored, when it can't be read or repeats a number or a stored text.
Otherwise its normalised text waits server-side in a conversation state keyed to the
browser session (channel "web", 30 min), never in the page: «Lưu» takes it once (with the
sha256 the page showed, so a preview replaced in another tab is not stored by this one)
and stores it as `documents add` does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import timedelta
from pathlib import PurePath

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_texts
from bot.dashboard import texts
from bot.dashboard.app import admin_page
from bot.dashboard.directives import DirectivePages
from bot.dashboard.viewer import Viewer
from bot.preview import preview_lines
from handlers import texts as chat_texts
from handlers.directives import new_directive, proposals_of
from handlers.flows.upload import MAX_UPLOAD, MAX_UPLOAD_MB
from knowledge.ingest import Ingested, Unreadable, read_document
from knowledge.ingest.preview import describe
from knowledge.library import text_digest
from knowledge.parser import parse_document
from storage.models import ConversationState
from storage.queries.directives import add_directive, find_duplicate
from storage.queries.state import clear_state, get_state, put_state, take_state

CHANNEL = "web"  # conversation_state rows of dashboard sessions
PENDING = "vb_upload"
PENDING_MINUTES = 30
PENDING_TTL = timedelta(minutes=PENDING_MINUTES)
UPLOAD_BODY = MAX_UPLOAD + 256 * 1024  # the file plus the form's other fields
FILE_FIELD = "tep"
NAME_MAX = 255


def pending_key(viewer: Viewer) -> str:
    """Return the conversation-state key of the viewer's browser session (its CSRF token is
    the session's own secret: one pending upload per session, unknown to anyone else)."""
    return "vb:" + hashlib.sha256(viewer.csrf.encode()).hexdigest()[:48]


def matches(state: ConversationState | None, sha256: str) -> bool:
    """Tell whether a pending upload is there and is the one the page showed."""
    if state is None or state.state != PENDING:
        return False
    return hmac.compare_digest(str(state.data.get("sha256", "")).encode(), sha256.encode())


class DirectiveUpload(DirectivePages):
    """/van-ban with its upload: file → preview → Lưu / Hủy."""

    def add_routes(self, app: web.Application) -> None:
        """Route the library's page and actions, then the upload's three steps."""
        super().add_routes(app)
        app.router.add_post("/van-ban/tai-len", self.upload)
        app.router.add_post("/van-ban/luu", self.confirm)
        app.router.add_post("/van-ban/huy", self.cancel)

    async def upload(self, request: web.Request) -> web.StreamResponse:
        """Take an upload: bodies up to UPLOAD_BODY only from a signed-in admin (anyone else
        keeps the server's 1 MB and gets `page`'s refusal); over it, 413 said in Vietnamese."""
        async with self.database.sessions() as session:
            viewer = await self.viewer(request, session)
            await session.commit()
        if viewer is None or not viewer.is_admin:
            return await self.upload_file(request)
        try:
            return await self.upload_file(request.clone(client_max_size=UPLOAD_BODY))
        except web.HTTPRequestEntityTooLarge:
            text = texts.DOC_TOO_LARGE.format(limit=MAX_UPLOAD_MB)
            return self.message(request, text, status=413, viewer=viewer)

    @admin_page
    async def upload_file(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Read an uploaded directive and show its preview with Lưu / Hủy; nothing stored."""
        posted = await request.post()
        field = posted.get(FILE_FIELD)
        if not isinstance(field, web.FileField) or not field.filename:
            return await self.show(request, session, viewer, error=texts.DOC_NO_FILE, status=400)
        name = PurePath(field.filename.replace("\\", "/")).name[:NAME_MAX] or "tệp"
        data = field.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            error = chat_texts.UPLOAD_TOO_LARGE.format(name=name, limit=MAX_UPLOAD_MB)
            return await self.show(request, session, viewer, error=error, status=413)
        try:
            ingested = await asyncio.to_thread(read_document, data, name)
        except Unreadable as exc:
            reason = chat_texts.unreadable_reason(exc.kind, exc.detail)
            error = chat_texts.UPLOAD_UNREADABLE.format(name=name, reason=reason)
            return await self.show(request, session, viewer, error=error, status=400)
        refusal = await self.duplicate(session, ingested)
        if refusal:
            return await self.show(request, session, viewer, error=refusal, status=409)
        sha = text_digest(ingested.text)
        data_kept = {"text": ingested.text, "filename": name, "sha256": sha}
        await put_state(
            session,
            channel=CHANNEL,
            chat_id=pending_key(viewer),
            state=PENDING,
            data=data_kept,
            ttl=PENDING_TTL,
            now=self.clock(),
        )
        doc = ingested.document
        context = {
            "filename": name,
            "sha256": sha,
            "kind": doc.metadata.kind,
            "number": doc.number,
            "lines": preview_lines(describe(ingested)),
            "minutes": PENDING_MINUTES,
        }
        return self.render(request, "directive_preview.html", context, viewer=viewer)

    async def duplicate(self, session: AsyncSession, ingested: Ingested) -> str:
        """Return why this file can't be added (its number or text already in the library),
        as `documents add` says it; '' when it can."""
        number = ingested.document.number
        twin = await find_duplicate(session, number=number, sha256=text_digest(ingested.text))
        if twin is not None and twin.number == number:
            where = cli_texts.DOC_STORED_WHERE.format(id=twin.id)
            return cli_texts.DOC_DUPLICATE_NUMBER.format(number=number, where=where)
        if twin is not None:
            return cli_texts.DOC_DUPLICATE_CONTENT.format(id=twin.id, number=twin.number)
        if any(d.number == number for d in self.library.documents):
            where = cli_texts.DOC_BUNDLED_WHERE
            return cli_texts.DOC_DUPLICATE_NUMBER.format(number=number, where=where)
        return ""

    @admin_page
    async def confirm(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Store the previewed directive (taken once) with its deadlines as proposals."""
        posted = await request.post()
        shown = str(posted.get("sha256", ""))[:64]
        make_current = posted.get("hien_hanh") == "1"
        key, now = pending_key(viewer), self.clock()
        waiting = await get_state(session, channel=CHANNEL, chat_id=key, now=now)
        if not matches(waiting, shown):  # another upload replaced it, or none is waiting
            return await self.show(
                request, session, viewer, error=texts.DOC_PENDING_GONE, status=409
            )
        assert waiting is not None
        text, filename = str(waiting.data["text"]), str(waiting.data["filename"])
        # parsed before the row is taken: no write transaction is held while it runs
        doc = await asyncio.to_thread(parse_document, text, source=filename)
        ingested = Ingested(doc, text, ())
        taken = await take_state(session, channel=CHANNEL, chat_id=key, now=now)
        if not matches(taken, shown):  # taken meanwhile (a second click): nothing committed
            return await self.show(
                request, session, viewer, error=texts.DOC_PENDING_GONE, status=409
            )
        refusal = await self.duplicate(session, ingested)  # stored meanwhile (chat, the CLI)
        if refusal:
            await session.commit()  # the pending upload is spent
            return await self.show(request, session, viewer, error=refusal, status=409)
        proposals = proposals_of(doc)
        row = await add_directive(
            session,
            new=new_directive(ingested, filename),
            actor=viewer.actor,
            make_current=make_current,
            proposals=proposals,
        )
        notice = texts.DOC_SAVED.format(
            id=row.id,
            kind=doc.metadata.kind,
            number=doc.number,
            tasks=len(doc.tasks),
            current=cli_texts.DOC_ADDED_CURRENT if make_current else "",
        )
        if proposals:
            notice += " " + texts.DOC_PROPOSED.format(count=len(proposals))
        return await self.show(request, session, viewer, notice=notice)

    @admin_page
    async def cancel(
        self, request: web.Request, session: AsyncSession, viewer: Viewer
    ) -> web.Response:
        """Forget the previewed upload."""
        await clear_state(session, channel=CHANNEL, chat_id=pending_key(viewer))
        return await self.show(request, session, viewer, notice=chat_texts.UPLOAD_CANCELLED)
