"""A directive file sent in chat by an admin: preview it, then store it on Lưu (vb:ok).

The channel downloads the file (size-capped) into `Incoming.file`; the text read
(`knowledge.ingest.read_document`) waits in the chat's state until the admin decides, so
any process can take the answer. Stored directives reach every process's library through
its `LibraryWatcher`. Non-admins are thanked and told who can add documents.
"""

from __future__ import annotations

from handlers import payloads, texts
from handlers.conversation import Ask, ChatState
from handlers.directives import new_directive, proposals_of
from handlers.flows.base import cancel_button, show
from handlers.payloads import Payload
from handlers.ports import KnowledgeBase
from handlers.render import replies, shorten
from handlers.scope import Access, Need
from handlers.turn import Turn
from handlers.types import Button, IncomingFile, Reply
from knowledge import Document
from knowledge.ingest import Ingested, Unreadable, read_document
from knowledge.library import text_digest
from knowledge.parser import parse_document
from storage.queries.directives import add_directive, find_duplicate
from storage.queries.state import take_state

FLOW = "upload"
MAX_UPLOAD_MB = 10
MAX_UPLOAD = MAX_UPLOAD_MB * 1024 * 1024  # bytes a channel downloads at most
TASKS_SHOWN = 15


def preview_text(ingested: Ingested) -> str:
    """Return the chat preview of a file read: what it is, its tasks and dated deadlines
    (shortened for a phone; `documents check` prints the whole outline), its warnings."""
    doc, meta = ingested.document, ingested.document.metadata
    issued = meta.issued.strftime("%d/%m/%Y") if meta.issued else "?"
    lines = [
        texts.UPLOAD_PREVIEW_HEAD.format(
            kind=meta.kind, number=doc.number, issued=issued, title=shorten(meta.title, 200)
        ),
        texts.UPLOAD_PREVIEW_TASKS.format(count=len(doc.tasks)),
    ]
    lines += [
        texts.UPLOAD_PREVIEW_TASK.format(code=t.code, title=shorten(t.title, 80))
        for t in doc.tasks[:TASKS_SHOWN]
    ]
    if len(doc.tasks) > TASKS_SHOWN:
        lines.append(texts.UPLOAD_PREVIEW_MORE.format(count=len(doc.tasks) - TASKS_SHOWN))
    dated = proposals_of(doc)
    if dated:
        lines.append(texts.UPLOAD_PREVIEW_DEADLINES.format(count=len(dated)))
        lines += [
            texts.UPLOAD_PREVIEW_DEADLINE.format(code=d.task_code, due=f"{d.due_on:%d/%m/%Y}")
            for d in dated
        ]
    lines += [
        texts.UPLOAD_PREVIEW_WARNING.format(warning=texts.ingest_warning(w))
        for w in ingested.warnings
    ]
    return "\n".join([*lines, "", texts.UPLOAD_CONFIRM])


class UploadFlow:
    """A document message: preview, then Lưu / Hủy."""

    name = FLOW
    kind = payloads.UPLOAD
    access = Access(Need.ADMIN, private=True)
    title = texts.FLOW_UPLOAD
    cancelled = texts.UPLOAD_CANCELLED

    def __init__(self, library: KnowledgeBase) -> None:
        self.library = library

    def opens(self, arg: str) -> bool:
        """No command opens it: a file does."""
        return False

    def enters(self, payload: Payload) -> bool:
        """No button starts it."""
        return False

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Not a command."""
        return []

    async def receive(self, turn: Turn, file: IncomingFile) -> list[Reply]:
        """Read a file an admin sent and show its preview with Lưu / Hủy."""
        name = shorten(file.name or "tệp", 80)
        if file.too_large or len(file.content) > MAX_UPLOAD:
            return [Reply(texts.UPLOAD_TOO_LARGE.format(name=name, limit=MAX_UPLOAD_MB))]
        try:
            ingested = read_document(file.content, file.name)
        except Unreadable as exc:
            reason = texts.unreadable_reason(exc.kind, exc.detail)
            return [Reply(texts.UPLOAD_UNREADABLE.format(name=name, reason=reason))]
        number = ingested.document.number
        known = await self.duplicate(turn, ingested)
        if known:
            return [Reply(texts.UPLOAD_DUPLICATE.format(number=known))]
        ok, no = payloads.upload("ok"), payloads.upload("huy")
        buttons = [[Button(texts.BUTTON_SAVE, ok), cancel_button(self.kind)]]
        *before, last = replies(preview_text(ingested), buttons)
        ask = Ask(last, yes=ok, no=no, hint=texts.STEP_CONFIRM)
        data = {"step": "confirm", "text": ingested.text, "filename": file.name, "number": number}
        return await show(turn, FLOW, data, ask, before)

    async def duplicate(self, turn: Turn, ingested: Ingested) -> str:
        """Return the number of the library's document this file repeats ('' if none)."""
        number = ingested.document.number
        if any(d.number == number for d in self.library.documents):
            return number
        sha = text_digest(ingested.text)
        twin = await find_duplicate(turn.session, number=number, sha256=sha)
        return twin.number if twin is not None else ""

    async def press(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Store the directive waiting in this chat (vb:ok); taken once, even if pressed twice."""
        channel, chat = turn.chat
        taken = await take_state(turn.session, channel=channel, chat_id=chat)
        turn.state = None
        if taken is None or taken.state != FLOW:
            await turn.session.rollback()
            await turn.audit("payload.refused", payload.pack(), reason="stale step")
            return [Reply(texts.STALE_BUTTON)]
        text, filename = str(taken.data["text"]), str(taken.data["filename"])
        doc: Document = parse_document(text, source=filename)
        ingested = Ingested(doc, text, ())
        if await self.duplicate(turn, ingested):  # stored meanwhile (another admin, the CLI)
            await turn.session.rollback()
            return [Reply(texts.UPLOAD_DUPLICATE.format(number=doc.number))]
        proposals = proposals_of(doc)
        row = await add_directive(
            turn.session,
            new=new_directive(ingested, filename),
            actor=turn.actor,
            proposals=proposals,
        )
        out = [
            texts.UPLOAD_SAVED.format(
                id=row.id, kind=doc.metadata.kind, number=doc.number, tasks=len(doc.tasks)
            )
        ]
        if proposals:
            out.append(texts.UPLOAD_PROPOSED.format(count=len(proposals)))
        return [Reply("\n".join(out))]

    async def type(self, turn: Turn, state: ChatState, text: str) -> list[Reply] | None:
        """The confirm step takes no typed value."""
        return None

    def match(self, state: ChatState, text: str) -> str | None:
        """Nothing beyond the buttons' labels and yes / no."""
        return None
