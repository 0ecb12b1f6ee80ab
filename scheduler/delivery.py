"""What the sender needs of a channel, and how a channel says a message can't go."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol

from handlers.types import Reply


class Deliverer(Protocol):
    """A chat channel as the outbox sender sees it."""

    name: str

    async def send(self, chat_id: str, reply: Reply) -> None: ...


class Undeliverable(Exception):
    """The recipient can't get messages (blocked the bot, outside the window): don't retry."""


class RateLimited(Exception):
    """The platform asked us to wait longer than a channel waits by itself."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:.0f} s")
        self.retry_after = retry_after


class Fenced(Exception):
    """The sender's leadership term ended while the message waited: it was not sent."""


#: Set by the outbox sender around `send`: "is my leadership term still current?". A
#: channel whose limiter may hold a message back (Telegram's) asks it again right before
#: the API call, so a leader stopped while messages waited sends none of them on resuming.
SEND_GUARD: ContextVar[Callable[[], Awaitable[bool]] | None] = ContextVar(
    "send_guard", default=None
)


async def check_send_guard() -> None:
    """Raise Fenced if the sender set a guard and it refuses now."""
    guard = SEND_GUARD.get()
    if guard is not None and not await guard():
        raise Fenced("the leadership term ended before the message went out")
