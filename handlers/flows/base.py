"""What every flow is, and the rules typed text follows in any flow.

A flow (like a PTB ConversationHandler or an aiogram FSM scene) has a name, the payload
kind its buttons carry, the `Access` it needs, and three entry points: `start` (its
command), `press` (one of its buttons, already parsed) and `type` (typed text at a step
that takes a value). The router owns everything else: loading the state, typed numbers
and words that pick a shown choice, cancel, questions asked mid-flow, and refusals.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from handlers import texts
from handlers.conversation import Ask, ChatState, drop_state, store_state
from handlers.payloads import Payload
from handlers.scope import Access
from handlers.turn import Turn
from handlers.types import Button, Reply
from knowledge.text import fold


class Flow(Protocol):
    """A named multi-step conversation whose state lives in the chat's state row."""

    name: str  # the state row's flow name, e.g. "report"
    kind: str  # the payload kind of its buttons, e.g. payloads.REPORT ("bc")
    access: Access
    title: str  # how people call it, in "which one to keep?"
    cancelled: str  # said when it is cancelled

    def opens(self, arg: str) -> bool:
        """Tell whether its command with this argument opens the flow (else it only shows)."""

    def enters(self, payload: Payload) -> bool:
        """Tell whether this button may start the flow when it is not open."""

    async def start(self, turn: Turn, arg: str) -> list[Reply]:
        """Run its command."""

    async def press(self, turn: Turn, payload: Payload) -> list[Reply]:
        """Take one of its buttons (the flow is open, or the button `enters` it)."""

    async def type(self, turn: Turn, state: ChatState, text: str) -> list[Reply] | None:
        """Take typed text at a value step; None when it is no value for the step."""

    def match(self, state: ChatState, text: str) -> str | None:
        """Return the payload typed words stand for at this step (beyond the labels), or None."""


# Words that answer a step on every channel (compared folded: accents and case ignored).
CANCEL_WORDS = frozenset(
    fold(w)
    for w in (
        "hủy",
        "huỷ",
        "hủy bỏ",
        "thôi",
        "dừng",
        "dừng lại",
        "thoát",
        "cancel",
        "stop",
        "không báo cáo nữa",
        "/huy",
    )
)
YES_WORDS = frozenset(
    fold(w) for w in ("có", "ok", "okay", "oke", "đồng ý", "gửi", "gửi đi", "yes", "xác nhận")
)
NO_WORDS = frozenset(fold(w) for w in ("không", "ko", "no"))
SKIP_WORDS = frozenset(fold(w) for w in ("bỏ qua", "skip", "không có", "bỏ"))
_QUESTION_WORDS = re.compile(r"\b(la gi|the nao|bao gio|khi nao|tai sao|o dau|nhu nao)\b")


def is_cancel(text: str) -> bool:
    """Tell whether typed text means "cancel what is open" ("hủy", "huy", "thôi", "dừng"…)."""
    return fold(text.strip().rstrip(".!")) in CANCEL_WORDS


def looks_like_question(text: str) -> bool:
    """Tell whether typed text that answers no step reads as a question to the directive."""
    folded = fold(text)
    return "?" in text or bool(_QUESTION_WORDS.search(folded)) or len(folded.split()) >= 3


def resolve(ask: Ask, text: str) -> str | None:
    """Return the payload typed text picks at a shown step, or None.

    A number picks the n-th choice, at a choice step only (at a value step a number is
    the value). Words pick a choice whose label they match, or stand for yes / no / skip.
    """
    typed = fold(text.strip())
    if ask.skip and (typed in SKIP_WORDS or text.strip() == "-"):
        return ask.skip
    if ask.yes and typed in YES_WORDS:
        return ask.yes
    if ask.no and typed in NO_WORDS:
        return ask.no
    if ask.kind != "choice":
        return None
    number = text.strip().rstrip(".")
    choices = ask.choices
    if 0 < len(number) <= 4 and number.isascii() and number.isdigit():
        index = int(number) - 1
        return choices[index].payload if 0 <= index < len(choices) else None
    return next((b.payload for b in choices if fold(b.label) == typed), None)


async def show(
    turn: Turn, flow: str, data: dict[str, Any], ask: Ask, before: list[Reply] | None = None
) -> list[Reply]:
    """Store the flow's data with the step about to be shown; return the replies."""
    state = ChatState(flow, data, ask)
    await store_state(turn.session, turn.chat, state)
    turn.state = state
    return [*(before or []), ask.reply]


async def end(turn: Turn) -> None:
    """Close whatever is open in the chat."""
    if turn.state is not None:
        await drop_state(turn.session, turn.chat)
        turn.state = None


def again(turn: Turn, problem: str) -> list[Reply]:
    """Say what was wrong and how to leave, then show the current step again."""
    ask = turn.state.ask if turn.state is not None else None
    said = Reply(f"{problem}\n{texts.HOW_TO_CANCEL}" if ask else problem)
    return [said, ask.reply] if ask else [said]


def cancel_button(kind: str) -> Button:
    """Return a flow's cancel button."""
    return Button(texts.BUTTON_CANCEL, Payload(kind, "huy").pack())
