"""What the sender needs of a channel, and how a channel says a message can't go."""

from __future__ import annotations

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
