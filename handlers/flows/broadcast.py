"""The broadcast flow (/phatthanh): an admin's announcement, confirmed before it is queued.

Delivery is the reminder service's job: the flow only writes one outbox row per recipient.
Without text, /phatthanh shows how far the latest broadcasts have gone (no flow opens).
"""

from __future__ import annotations

from datetime import tzinfo

from handlers import payloads, texts
from handlers.conversation import Ask, ChatState
from handlers.flows.base import cancel_button, show
from handlers.payloads import Payload
from handlers.render import replies, shorten
from handlers.scope import Access, Need
from handlers.turn import Turn
from handlers.types import Button, Reply
from storage.queries.outbox import (
    broadcast_occasion,
    create_broadcast,
    latest_broadcasts,
    occasion_progress,
)
from storage.queries.recipients import audience
from storage.queries.state import take_state

FLOW = "broadcast"
MAX_BROADCAST = 4000


class BroadcastFlow:
    """/phatthanh: ask to confirm, then queue; stateless apart from the database."""

    name = FLOW
    kind = payloads.BROADCAST
    access = Access(Need.ADMIN, private=True)
    title = texts.FLOW_BROADCAST
    cancelled = texts.BROADCAST_CANCELLED

    def __init__(self, timezone: tzinfo) -> None:
        self.timezone = timezone

    def opens(self, arg: str) -> bool:
        """Only /phatthanh with a text opens the flow; without, it shows progress."""
        return bool(arg.strip())

    def enters(self, payload: Payload) -> bool:
        """No button starts a broadcast."""
        return False

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Ask an admin to confirm a broadcast; with no text, show the last ones' progress."""
        text = arg.strip()
        if not text:
            return await self.progress(turn)
        if len(text) > MAX_BROADCAST:
            return [Reply(texts.BROADCAST_TOO_LONG.format(length=len(text), limit=MAX_BROADCAST))]
        people = await audience(turn.session, audience="all")
        ok, no = payloads.broadcast("ok"), payloads.broadcast("huy")
        shown = texts.BROADCAST_CONFIRM.format(count=len(people), text=text)
        *before, last = replies(shown, [[Button(texts.BUTTON_SEND, ok), cancel_button(self.kind)]])
        ask = Ask(last, yes=ok, no=no, hint=texts.STEP_CONFIRM)
        return await show(turn, FLOW, {"step": "confirm", "text": text}, ask, before)

    async def press(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Queue the broadcast waiting in this chat (pt:ok); taken once, even if pressed twice."""
        channel, chat = turn.chat
        taken = await take_state(turn.session, channel=channel, chat_id=chat)
        turn.state = None
        if taken is None or taken.state != FLOW:
            await turn.session.rollback()
            await turn.audit("payload.refused", payload.pack(), reason="stale step")
            return [Reply(texts.STALE_BUTTON)]
        people = await audience(turn.session, audience="all")
        sent = await create_broadcast(
            turn.session,
            text=taken.data["text"],
            audience="all",
            actor=turn.actor,
            recipients=people,
            now=turn.now,
        )
        return [Reply(texts.BROADCAST_QUEUED.format(id=sent.id, count=sent.total))]

    async def type(self, turn: Turn, state: ChatState, text: str) -> list[Reply] | None:
        """The confirm step takes no typed value."""
        return None

    def match(self, state: ChatState, text: str) -> str | None:
        """Nothing beyond the buttons' labels and yes / no."""
        return None

    async def progress(self, turn: Turn) -> list[Reply]:
        """Show how far the latest broadcasts have gone (sent / failed / waiting)."""
        lines = [texts.BROADCAST_USAGE]
        for sent in await latest_broadcasts(turn.session):
            assert sent.id is not None
            counts = await occasion_progress(turn.session, occasion=broadcast_occasion(sent.id))
            waiting = counts.get("pending", 0) + counts.get("sending", 0)
            failed = sum(counts.get(k, 0) for k in ("failed", "dead", "undeliverable", "dropped"))
            lines.append(
                texts.BROADCAST_PROGRESS.format(
                    id=sent.id,
                    at=f"{sent.created_at.astimezone(self.timezone):%d/%m %H:%M}",
                    text=shorten(sent.text, 40),
                    sent=counts.get("sent", 0),
                    failed=failed,
                    waiting=waiting,
                    total=sent.total,
                )
            )
        return replies("\n".join(lines))
