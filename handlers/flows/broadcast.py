"""The broadcast flow (/phatthanh): an admin's announcement, to an audience they pick,
confirmed (with how many will receive it) before it is queued.

Steps: audience (everyone, leaders, units incomplete for the period, one unit's subtree;
buttons `pt:a:…`, or typed as a number or words) → the unit's code (for a subtree) →
confirm ("Gửi thông báo", `pt:ok`). Delivery is the reminder service's job: the flow only
writes one outbox row per recipient (`queue_broadcast`, which the web page uses too).
Without text, /phatthanh shows how far the latest broadcasts have gone (no flow opens).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audiences, payloads, texts
from handlers.conversation import Ask, ChatState
from handlers.flows.base import again, cancel_button, show
from handlers.payloads import Payload
from handlers.ports import KnowledgeBase
from handlers.render import button_rows, replies, shorten
from handlers.scope import Access, Need
from handlers.turn import Turn
from handlers.types import Button, Reply
from storage.errors import UnitNotFoundError
from storage.models import Broadcast
from storage.queries.outbox import (
    broadcast_occasion,
    create_broadcast,
    latest_broadcasts,
    occasion_progress,
)
from storage.queries.recipients import UNIT_AUDIENCE
from storage.queries.state import take_state
from storage.queries.units import CODE_MAX, get_unit

FLOW = "broadcast"
MAX_BROADCAST = 4000


async def queue_broadcast(
    session: AsyncSession,
    *,
    text: str,
    chosen: str,
    actor: str,
    library: KnowledgeBase,
    zone: tzinfo,
    now: datetime,
) -> Broadcast | None:
    """Queue a broadcast to the audience as it is now; None (nothing written) if nobody is in
    it. Raises UnitNotFoundError / ValueError as `recipients.audience` does."""
    people = await audiences.recipients_of(
        session, chosen=chosen, library=library, zone=zone, now=now
    )
    if not people:
        return None
    return await create_broadcast(
        session, text=text, audience=chosen, actor=actor, recipients=people, now=now
    )


class BroadcastFlow:
    """/phatthanh: pick the audience, confirm, then queue."""

    name = FLOW
    kind = payloads.BROADCAST
    access = Access(Need.ADMIN, private=True)
    title = texts.FLOW_BROADCAST
    cancelled = texts.BROADCAST_CANCELLED

    def __init__(self, library: KnowledgeBase, timezone: tzinfo) -> None:
        self.library = library
        self.timezone = timezone

    def opens(self, arg: str) -> bool:
        """Only /phatthanh with a text opens the flow; without, it shows progress."""
        return bool(arg.strip())

    def enters(self, payload: Payload) -> bool:
        """No button starts a broadcast."""
        return False

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Ask an admin who should receive the text; with no text, show the last ones' progress."""
        text = arg.strip()
        if not text:
            return await self.progress(turn)
        if len(text) > MAX_BROADCAST:
            return [Reply(texts.BROADCAST_TOO_LONG.format(length=len(text), limit=MAX_BROADCAST))]
        return await self.ask_audience(turn, text)

    async def ask_audience(self, turn: Turn, text: str, before: str = "") -> list[Reply]:
        """Show the audience step (choices as buttons, numbered where there are none)."""
        choices = [
            Button(audiences.label(c), payloads.broadcast("a", c)) for c in audiences.CHOICES
        ]
        buttons = [*button_rows(choices, per_row=2), [cancel_button(self.kind)]]
        shown = f"{before}\n\n{texts.BROADCAST_WHO}" if before else texts.BROADCAST_WHO
        ask = Ask(Reply(shown, buttons), hint=texts.STEP_PICK)
        return await show(turn, FLOW, {"step": "audience", "text": text}, ask)

    async def press(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Take an audience (pt:a:…) or queue the broadcast waiting in this chat (pt:ok)."""
        state = turn.state
        step = state.step if state is not None and state.flow == FLOW else ""
        if payload.step == "a" and step == "audience" and state is not None:
            text = str(state.data["text"])
            if payload.value == "unit":
                ask = Ask(Reply(texts.BROADCAST_WHICH_UNIT), kind="value", hint=texts.STEP_UNIT)
                return await show(turn, FLOW, {"step": "unit", "text": text}, ask)
            return await self.confirm(turn, text, payload.value)
        if payload.step == "ok" and step == "confirm":
            return await self.send(turn, payload)
        await turn.audit("payload.refused", payload.pack(), reason="stale step")
        return [Reply(texts.STALE_BUTTON)]

    async def confirm(self, turn: Turn, text: str, chosen: str) -> list[Reply]:
        """Show how many will receive the text and ask to confirm ("Gửi thông báo")."""
        people = await audiences.recipients_of(
            turn.session, chosen=chosen, library=self.library, zone=self.timezone, now=turn.now
        )
        who = audiences.describe(chosen)
        if not people:
            return await self.ask_audience(turn, text, texts.BROADCAST_NOBODY.format(who=who))
        ok, no = payloads.broadcast("ok"), payloads.broadcast("huy")
        shown = texts.BROADCAST_CONFIRM.format(count=len(people), who=who, text=text)
        buttons = [[Button(texts.BUTTON_SEND_BROADCAST, ok), cancel_button(self.kind)]]
        *before, last = replies(shown, buttons)
        ask = Ask(last, yes=ok, no=no, hint=texts.STEP_CONFIRM_BROADCAST)
        data = {"step": "confirm", "text": text, "audience": chosen}
        return await show(turn, FLOW, data, ask, before)

    async def send(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Queue the confirmed broadcast; taken once, even if pressed twice."""
        channel, chat = turn.chat
        taken = await take_state(turn.session, channel=channel, chat_id=chat)
        turn.state = None
        if taken is None or taken.state != FLOW or taken.data.get("step") != "confirm":
            await turn.session.rollback()
            await turn.audit("payload.refused", payload.pack(), reason="stale step")
            return [Reply(texts.STALE_BUTTON)]
        chosen = str(taken.data.get("audience", "all"))
        try:
            sent = await queue_broadcast(
                turn.session,
                text=str(taken.data["text"]),
                chosen=chosen,
                actor=turn.actor,
                library=self.library,
                zone=self.timezone,
                now=turn.now,
            )
        except UnitNotFoundError:  # the unit was deleted since the confirm step
            sent = None
        if sent is None:
            return [Reply(texts.BROADCAST_NOBODY.format(who=audiences.describe(chosen)))]
        return [Reply(texts.BROADCAST_QUEUED.format(id=sent.id, count=sent.total))]

    async def type(self, turn: Turn, state: ChatState, text: str) -> list[Reply] | None:
        """The unit step takes a unit's code; other steps take no typed value."""
        if state.step != "unit":
            return None
        code = text.strip()
        unit = await get_unit(turn.session, code=code) if 0 < len(code) <= CODE_MAX else None
        if unit is None:
            return again(turn, texts.UNIT_UNKNOWN.format(code=shorten(code, 40)))
        return await self.confirm(turn, str(state.data["text"]), f"{UNIT_AUDIENCE}{unit.code}")

    def match(self, state: ChatState, text: str) -> str | None:
        """At the audience step, words such as «lãnh đạo» or «chưa báo cáo» pick a choice."""
        if state.step != "audience":
            return None
        choice = audiences.choice_of(text)
        return payloads.broadcast("a", choice) if choice else None

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
