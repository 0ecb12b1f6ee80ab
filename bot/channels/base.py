"""The channel contract and helpers shared by every adapter."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Protocol

from handlers import texts
from handlers.render import split_text
from handlers.types import Incoming, Reply

Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]
Reachability = Callable[[str, str, bool], Awaitable[None]]  # (channel, user id, blocked)
FirstTime = Callable[[str, str], Awaitable[bool]]  # (channel, event key): not a repeat?


class ChannelStats(Protocol):
    """What a channel reports about its platform calls (bot/metrics.py counts it)."""

    def succeeded(self) -> None:
        """Note that a call to the platform's API just worked."""

    def sent(self, seconds: float) -> None:
        """Note one message delivered, its API call having taken `seconds`."""

    def rate_limited(self, wait: float) -> None:
        """Note a flood-limit answer (429 or the platform's code) and the wait it asks."""


class NoStats:
    """ChannelStats that keeps nothing (tests, the console)."""

    def succeeded(self) -> None:
        """Keep nothing."""

    def sent(self, seconds: float) -> None:
        """Keep nothing."""

    def rate_limited(self, wait: float) -> None:
        """Keep nothing."""


class WebhookInUse(Exception):
    """Polling would remove the webhook another deployment receives updates on."""

    def __init__(self, channel: str, url: str) -> None:
        super().__init__(f"{channel}: a webhook is set ({url}); polling would remove it")
        self.channel = channel
        self.url = url


class Channel(ABC):
    """One chat platform: receives messages, hands them to `dispatch`, sends replies.

    `start()` begins receiving and returns; `finished` is set when the channel
    stops on its own (the console at end of input) or after `stop()`.
    """

    name: str
    max_text: int  # longest text of one message
    supports_buttons: bool  # inline buttons, or numbered choices instead
    supports_links = False  # link buttons under a message, or "label: url" lines instead

    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.finished = asyncio.Event()

    async def preflight(self) -> None:
        """Check, before anything starts, that starting would harm nothing (raise if so)."""
        return None

    @abstractmethod
    async def start(self) -> None:
        """Begin receiving messages."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving and release resources."""

    @abstractmethod
    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send one reply to a chat."""

    def texts_of(self, reply: Reply) -> list[str]:
        """Return the reply's text split to this channel's max_text."""
        text = reply.text
        if reply.file is not None:
            text = f"{text}\n{texts.FILE_ATTACHED.format(name=reply.file.name)}".strip()
        if reply.links and not self.supports_links:
            text = f"{text}\n{format_links(reply)}".strip()
        return split_text(text, self.max_text)


def format_choices(reply: Reply) -> str:
    """Return a reply's buttons as text, for channels without buttons: numbered choices,
    one a line ("1. …"), or for suggested values (`numbered` False) one unnumbered line.

    Display only: what a typed number or word means is decided by the handlers, from the
    choices stored with the chat's state, the same on every channel and in every process.
    """
    buttons = reply.flat_buttons()
    if not reply.numbered:
        return texts.SUGGESTED_VALUES.format(values=" · ".join(b.label for b in buttons))
    return "\n".join(f"{n}. {button.label}" for n, button in enumerate(buttons, start=1))


def format_links(reply: Reply) -> str:
    """Return a reply's link buttons as lines "label: url", for channels without them."""
    return "\n".join(f"{link.label}: {link.url}" for link in reply.links)
