"""Messages between channels and handlers: what came in, what goes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class IncomingFile:
    """A file a user sent (a document message), downloaded by the channel."""

    name: str
    content: bytes  # empty when too_large: the channel did not download it
    too_large: bool = False


@dataclass(frozen=True, kw_only=True)
class Incoming:
    """One message or button press from a user, already translated by a channel."""

    channel: str  # "console", "telegram", ...
    chat_id: str
    user_id: str
    text: str = ""
    payload: str | None = None  # a button's payload: user input, never trusted
    at: datetime  # aware
    display_name: str = ""
    is_group: bool = False
    file: IncomingFile | None = None  # a document sent (an admin adding a directive)
    unreadable: bool = False  # a photo, sticker, voice note…: nothing the bot can read


@dataclass(frozen=True)
class Button:
    """An inline button; channels without buttons show it as a numbered choice."""

    label: str
    payload: str


@dataclass(frozen=True)
class LinkButton:
    """A button that opens an address, never a choice: Telegram shows it under the message
    (`web_app`: as a Mini App, given Telegram's signed user data; else a URL button);
    other channels print it as a line "label: url"."""

    label: str
    url: str
    web_app: bool = False


@dataclass(frozen=True)
class ReplyFile:
    """A file or photo attached to a reply."""

    name: str
    content: bytes
    mime: str
    kind: Literal["document", "photo"] = "document"


@dataclass(frozen=True)
class Reply:
    """One message to send: text, rows of buttons, links, an optional file.

    `numbered` False: the buttons are suggested values (a percent), not choices, so
    channels without buttons list them unnumbered: a typed number there is the value.
    """

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    file: ReplyFile | None = None
    numbered: bool = True
    links: list[LinkButton] = field(default_factory=list)  # shown after the buttons

    def flat_buttons(self) -> list[Button]:
        """Return the buttons row by row, as one list."""
        return [button for row in self.buttons for button in row]
