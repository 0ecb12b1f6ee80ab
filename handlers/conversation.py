"""A chat's conversation state as the handlers see it: the open flow, its data, the step shown.

Stored in `conversation_state` (one row per channel and chat, with an expiry), as JSON:
the flow's own fields, plus `ask` (the step just shown: its text, its choices and how
typed words answer it) and, while the user decides, `switch` (a flow asked to start).
Storing the choices shown, not keeping them in a channel's memory, is what makes a
typed "2" mean the same on every channel and in every process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.types import Button, Reply
from storage.models import ConversationState
from storage.queries.state import clear_state, get_state, put_state

MENU = "menu"  # not a flow: the choices of the last reply, e.g. the main menu's buttons


@dataclass(frozen=True)
class Ask:
    """A step's question as shown, and how typed text answers it.

    kind "choice": a typed number picks the n-th button, typed words matching a button's
    label pick it. kind "value": typed text is the value (a number is a value, never an
    index); the buttons are suggested values. yes / no / skip: the payloads that "có",
    "không" and "bỏ qua" stand for at this step. hint: said when typed text answers nothing.
    """

    reply: Reply
    kind: str = "choice"
    yes: str | None = None
    no: str | None = None
    skip: str | None = None
    hint: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the ask as JSON for the state row."""
        rows = [[[b.label, b.payload] for b in row] for row in self.reply.buttons]
        return {
            "text": self.reply.text,
            "buttons": rows,
            "kind": self.kind,
            "yes": self.yes,
            "no": self.no,
            "skip": self.skip,
            "hint": self.hint,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ask:
        """Return the ask stored by `to_json`."""
        rows = [[Button(str(b[0]), str(b[1])) for b in row] for row in data.get("buttons", [])]
        kind = str(data.get("kind", "choice"))
        reply = Reply(str(data.get("text", "")), rows, numbered=kind == "choice")
        return cls(
            reply,
            kind,
            data.get("yes"),
            data.get("no"),
            data.get("skip"),
            str(data.get("hint", "")),
        )

    @property
    def choices(self) -> list[Button]:
        """Return the buttons in the order they are numbered."""
        return self.reply.flat_buttons()


@dataclass
class ChatState:
    """The chat's open flow (or MENU), its fields, the step shown and a pending switch."""

    flow: str
    data: dict[str, Any] = field(default_factory=dict)
    ask: Ask | None = None
    switch: dict[str, Any] | None = None

    @property
    def step(self) -> str:
        """Return the flow's current step ("" if it has none)."""
        return str(self.data.get("step", ""))

    def to_json(self) -> dict[str, Any]:
        """Return what the state row's data column keeps."""
        out = dict(self.data)
        if self.ask is not None:
            out["ask"] = self.ask.to_json()
        if self.switch is not None:
            out["switch"] = self.switch
        return out


async def read_state(session: AsyncSession, chat: tuple[str, str]) -> ChatState | None:
    """Return the chat's unexpired state, or None."""
    row = await get_state(session, channel=chat[0], chat_id=chat[1])
    return state_of_row(row) if row is not None else None


def state_of_row(row: ConversationState) -> ChatState:
    """Return the state a stored row describes."""
    return state_of(row.state, dict(row.data))


def state_of(flow: str, stored: dict[str, Any]) -> ChatState:
    """Return the state a row's flow name and data describe."""
    ask = stored.pop("ask", None)
    switch = stored.pop("switch", None)
    return ChatState(
        flow,
        stored,
        Ask.from_json(ask) if isinstance(ask, dict) else None,
        switch if isinstance(switch, dict) else None,
    )


async def store_state(session: AsyncSession, chat: tuple[str, str], state: ChatState) -> None:
    """Write the chat's state (replacing any); commit."""
    await put_state(
        session,
        channel=chat[0],
        chat_id=chat[1],
        state=state.flow,
        data=state.to_json(),
    )


async def drop_state(session: AsyncSession, chat: tuple[str, str]) -> None:
    """Forget the chat's state; commit."""
    await clear_state(session, channel=chat[0], chat_id=chat[1])
